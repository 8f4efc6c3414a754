import type { KycDeviceCheck } from '../../../../core/api/index.js';

/**
 * What the station knows of the device: personalised here and secured (the expected case), not
 * from this station, or already bound. Said in words with an icon, never by colour alone.
 */
export function DeviceCheckPanel({
  check,
  onOpenBinding,
}: {
  check: KycDeviceCheck;
  onOpenBinding?: (id: string) => void;
}) {
  const bound = check.activeBinding !== null;
  const good = check.personalisedHere && check.secured && !bound;
  const tone = bound ? 'error' : good ? 'ok' : 'warn';
  const icon = bound ? '✖' : good ? '✔' : '⚠';
  const headline = bound
    ? 'Already bound to an active custodian'
    : check.personalisedHere
      ? check.secured
        ? 'Personalised here, secured'
        : 'Personalised here, not secured'
      : 'Not from this station';
  return (
    <div className={`banner banner-${tone} kyc-device-check`} role="status" data-testid="device-check">
      <p>
        <strong>
          <span aria-hidden="true">{icon}</span> {headline}
        </strong>
      </p>
      <p>{check.message}</p>
      <dl className="facts">
        <dt>ICCID</dt>
        <dd className="mono">{check.iccid}</dd>
        {check.batchId && (
          <>
            <dt>Batch</dt>
            <dd>{check.batchId}</dd>
          </>
        )}
        {check.cardState && (
          <>
            <dt>Card state</dt>
            <dd>{check.cardState}</dd>
          </>
        )}
        {check.verifiedAt && (
          <>
            <dt>Verified</dt>
            <dd>{new Date(check.verifiedAt).toLocaleString()}</dd>
          </>
        )}
      </dl>
      {check.activeBinding && (
        <p>
          Binding <span className="mono">{check.activeBinding.id}</span> since{' '}
          {new Date(check.activeBinding.createdAt).toLocaleString()}. A new custodian takes the device by a
          transfer.{' '}
          {onOpenBinding && (
            <button type="button" onClick={() => onOpenBinding(check.activeBinding!.id)}>
              Open that binding
            </button>
          )}
        </p>
      )}
    </div>
  );
}
