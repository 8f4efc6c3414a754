export function PlaceholderPage({ title, body }: { title: string; body: string }) {
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">{title}</h2>
      <p className="muted">{body}</p>
    </section>
  );
}
