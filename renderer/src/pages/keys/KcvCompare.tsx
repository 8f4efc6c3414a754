import type { LiveKcv } from './use-component-kcv';

/** The live KCV beside the one typed from the sheet: match or mismatch in words, mark and colour. */
export function KcvCompare({ live, sheet }: { live: LiveKcv; sheet: string }) {
  const typed = sheet.trim().toLowerCase();
  const sheetComplete = /^[0-9a-f]{6}$/.test(typed);
  let body;
  if (live.state === 'incomplete')
    body = (
      <span className="muted">
        Computed KCV appears when the component is complete ({live.digits} of {live.needed.join(' or ')} hex
        digits).
      </span>
    );
  else if (live.state === 'pending') body = <span className="muted">Computing the KCV…</span>;
  else if (live.state === 'failed')
    body = <span className="kcv-mismatch">Cannot compute the KCV: {live.message}</span>;
  else {
    const match = typed === live.kcv.toLowerCase();
    body = (
      <>
        Computed KCV <strong className="kcv kcv-large">{live.kcv.toUpperCase()}</strong>{' '}
        {!sheetComplete ? (
          <span className="muted">— type the KCV from your sheet to compare.</span>
        ) : match ? (
          <strong className="kcv-match">
            <span aria-hidden="true">✓ </span>Matches the sheet
          </strong>
        ) : (
          <strong className="kcv-mismatch">
            <span aria-hidden="true">✗ </span>Does not match the sheet ({typed.toUpperCase()}): check the
            component
          </strong>
        )}
      </>
    );
  }
  return (
    <p className="kcv-compare" aria-live="polite" data-testid="live-kcv">
      {body}
    </p>
  );
}
