/** An error next to the form it belongs to; nothing is rendered while there is none. */
export function Alert({ text }: { text: string | null }) {
  return text ? (
    <div className="banner banner-error" role="alert">
      {text}
    </div>
  ) : null;
}
