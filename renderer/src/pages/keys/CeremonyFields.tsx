import type { ReactNode } from 'react';

/** A KCV read off paperwork: six hex digits, typed as printed (the caller trims and lower-cases). */
export function KcvInput({
  label,
  value,
  onChange,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
}) {
  return (
    <label>
      {label}{' '}
      <input
        className="kcv kcv-input"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        maxLength={6}
        autoComplete="off"
        spellCheck={false}
      />
    </label>
  );
}

/** A ceremony step's way on, and its way out: cancelling ends the whole ceremony, not just this step. */
export function CeremonyActions({
  busy,
  onCancel,
  children,
}: {
  busy: boolean;
  onCancel: () => void;
  children: ReactNode;
}) {
  return (
    <div className="row">
      <button type="submit" className="primary" disabled={busy}>
        {children}
      </button>
      <button type="button" onClick={onCancel}>
        Cancel ceremony
      </button>
    </div>
  );
}
