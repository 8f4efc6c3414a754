import type { Station } from '../../api';
import type { ConnectionState } from '../../web-bridge';
import { stateLabel, useSync } from './use-sync';

/** The Resource Server link in the app chrome: state in words and icon, the queue, a way to the page. */
export function SyncIndicator({
  station,
  connection,
  onOpen,
}: {
  station: Station;
  connection: ConnectionState;
  onOpen: () => void;
}) {
  const [status] = useSync(station, connection);
  if (!status) return null;
  const label = stateLabel[status.state];
  return (
    <button
      type="button"
      className={`sync-indicator sync-${status.state}`}
      onClick={onOpen}
      data-testid="sync-indicator"
      aria-label={`Resource Server: ${label.text}${status.queue !== null ? `, ${status.queue} queued` : ''}. Open Sync.`}
    >
      <span aria-hidden="true">{label.icon}</span> Server: {label.text}
      {status.queue !== null && status.queue > 0 ? ` · ${status.queue} queued` : ''}
    </button>
  );
}
