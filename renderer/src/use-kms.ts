import { useEffect, useState } from 'react';
import type { KmsStatus } from '../../core/api/index.js';
import type { Station } from './api';
import type { ConnectionState } from './web-bridge';

/** The station's lock state: fetched on (re)connect, then kept current by `kms` events (auto-lock too). */
export function useKms(station: Station, connection: ConnectionState) {
  const [status, setStatus] = useState<KmsStatus | null>(null);
  useEffect(() => station.on('kms', setStatus), [station]);
  useEffect(() => {
    if (connection !== 'open') return;
    station.call('kms.status', {}).then(setStatus, () => setStatus(null));
  }, [station, connection]);
  return [status, setStatus] as const;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
