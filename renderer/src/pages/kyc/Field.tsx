import { useId, type KeyboardEvent, type ReactNode } from 'react';

/** What a field shows under itself: why it is refused, or a doubt that does not refuse it. */
export interface FieldMessage {
  error?: string | null;
  warning?: string | null;
}

/**
 * Enter in a field moves to the next field of the same form instead of submitting it: a barcode
 * scanner types the identifier and ends with Enter, and the dealer (or the next scan) carries on
 * in the next field. The last field's Enter does submit (advances the step).
 */
export function enterMovesOn(e: KeyboardEvent<HTMLInputElement | HTMLSelectElement>) {
  if (e.key !== 'Enter' || e.nativeEvent.isComposing) return;
  const form = e.currentTarget.form;
  if (!form) return;
  const fields = [...form.querySelectorAll<HTMLElement>('input, select, textarea')].filter(
    (el) =>
      !(el as HTMLInputElement).disabled && el.offsetParent !== null && el.getAttribute('type') !== 'file',
  );
  const next = fields[fields.indexOf(e.currentTarget) + 1];
  if (next) {
    e.preventDefault();
    next.focus();
  }
}

/**
 * One labelled text field with its message under it, tied to it by aria-describedby and
 * aria-invalid so a screen reader (and a test) finds the message from the field. Every keystroke
 * is kept as typed (a scanner types 20 characters in a few ms): only the check waits, on blur or
 * Enter (onCommit) and after a pause in typing (the caller's debounce).
 */
export function KycField({
  label,
  value,
  onChange,
  onCommit,
  message,
  hint,
  autoFocus,
  inputMode,
  mono = true,
  autoComplete = 'off',
  type = 'text',
  maxLength,
  name,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  onCommit?: (value: string) => void;
  message?: FieldMessage;
  hint?: ReactNode;
  autoFocus?: boolean;
  inputMode?: 'text' | 'numeric' | 'tel';
  mono?: boolean;
  autoComplete?: string;
  type?: 'text' | 'tel' | 'password';
  maxLength?: number;
  name?: string;
}) {
  const id = useId();
  const error = message?.error ?? null;
  const warning = !error ? (message?.warning ?? null) : null;
  const described = [hint ? `${id}-hint` : null, error || warning ? `${id}-msg` : null]
    .filter(Boolean)
    .join(' ');
  return (
    <div className={`field kyc-field${error ? ' kyc-field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={name}
        type={type}
        className={mono ? 'mono' : undefined}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onBlur={(e) => {
          // Leaving for a button (Next, Save) is left to that button, which checks every field:
          // a message appearing here on mousedown would move the button from under the pointer
          // before mouseup, and the click would be lost.
          if (e.relatedTarget instanceof HTMLButtonElement) return;
          onCommit?.(e.target.value);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') onCommit?.(e.currentTarget.value);
          enterMovesOn(e);
        }}
        // The first field of a step takes the focus: keyboard first (DESIGN §10).
        autoFocus={autoFocus}
        inputMode={inputMode}
        autoComplete={autoComplete}
        autoCapitalize="off"
        autoCorrect="off"
        spellCheck={false}
        maxLength={maxLength}
        aria-invalid={error ? true : undefined}
        aria-describedby={described || undefined}
      />
      {hint && (
        <span id={`${id}-hint`} className="muted hint">
          {hint}
        </span>
      )}
      {error ? (
        <span id={`${id}-msg`} className="kyc-msg kyc-msg-error" data-testid="field-error">
          <span aria-hidden="true">✖ </span>
          {error}
        </span>
      ) : warning ? (
        <span id={`${id}-msg`} className="kyc-msg kyc-msg-warn" data-testid="field-warning">
          <span aria-hidden="true">⚠ </span>
          {warning}
        </span>
      ) : null}
    </div>
  );
}
