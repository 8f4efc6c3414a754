import { useId, useState } from 'react';

/**
 * Secret entry (a share, a key component, a passphrase): masked by default, with a toggle for
 * the person typing it to check what they typed. The value lives in the caller's state only.
 */
export function MaskedInput({
  label,
  value,
  onChange,
  autoComplete = 'off',
  hint,
  mono = false,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  autoComplete?: 'off' | 'new-password' | 'current-password';
  hint?: string;
  mono?: boolean;
}) {
  const id = useId();
  const [shown, setShown] = useState(false);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="masked">
        <input
          id={id}
          type={shown ? 'text' : 'password'}
          className={mono ? 'mono' : undefined}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          autoComplete={autoComplete}
          autoCapitalize="off"
          autoCorrect="off"
          spellCheck={false}
          aria-describedby={hint ? `${id}-hint` : undefined}
        />
        <button
          type="button"
          aria-pressed={shown}
          aria-controls={id}
          aria-label={`Show ${label}`}
          onClick={() => setShown((s) => !s)}
        >
          Show
        </button>
      </div>
      {hint && (
        <span id={`${id}-hint`} className="muted hint">
          {hint}
        </span>
      )}
    </div>
  );
}
