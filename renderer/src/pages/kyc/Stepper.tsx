/**
 * Where the dealer is in the capture: every step in order, the current one marked in words and
 * by aria-current (never by colour alone), the ones done ticked. A step already reached can be
 * opened again; the ones ahead open only through the step before (its checks run first).
 */
export function Stepper<S extends string>({
  steps,
  current,
  reached,
  onOpen,
}: {
  steps: readonly { id: S; label: string }[];
  current: S;
  reached: number;
  onOpen: (id: S) => void;
}) {
  const at = steps.findIndex((s) => s.id === current);
  return (
    <ol className="kyc-stepper" aria-label="Capture steps">
      {steps.map((s, i) => {
        const state = i === at ? 'current' : i < reached || i < at ? 'done' : 'ahead';
        return (
          <li key={s.id} className={`kyc-step kyc-step-${state}`}>
            <button
              type="button"
              aria-current={i === at ? 'step' : undefined}
              disabled={i > reached}
              onClick={() => onOpen(s.id)}
            >
              <span aria-hidden="true" className="kyc-step-mark">
                {state === 'done' ? '✔' : String(i + 1)}
              </span>{' '}
              {s.label}
              <span className="visually-hidden">
                {state === 'current' ? ' (current step)' : state === 'done' ? ' (done)' : ''}
              </span>
            </button>
          </li>
        );
      })}
    </ol>
  );
}
