import { useEffect, useState } from 'react';
import type { SyncStatus } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import type { ConnectionState } from '../../web-bridge';

/** Sync status: fetched on (re)connect, then kept current by `sync` events. */
export function useSync(station: Station, connection: ConnectionState) {
  const [status, setStatus] = useState<SyncStatus | null>(null);
  useEffect(() => station.on('sync', setStatus), [station]);
  useEffect(() => {
    if (connection !== 'open') return;
    station.call('sync.status', {}).then(setStatus, () => setStatus(null));
  }, [station, connection]);
  return [status, setStatus] as const;
}

/** Words and an icon for each state: never colour alone (DESIGN.md §10). */
export const stateLabel: Record<SyncStatus['state'], { icon: string; text: string }> = {
  'not-enrolled': { icon: '○', text: 'Not enrolled' },
  locked: { icon: '🔒', text: 'Waiting for login' },
  offline: { icon: '⨯', text: 'Offline' },
  online: { icon: '✓', text: 'Online' },
  syncing: { icon: '⟳', text: 'Syncing' },
  error: { icon: '!', text: 'Sync stopped' },
};
