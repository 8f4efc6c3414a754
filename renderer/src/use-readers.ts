import { useEffect, useState } from 'react';
import type { ReadersSnapshot } from '../../core/api/index.js';
import type { Station } from './api';
import type { ConnectionState } from './web-bridge';

/** The live reader snapshot: fetched on (re)connect, then kept current by `readers` events. */
export function useReaders(station: Station, connection: ConnectionState) {
  const [snapshot, setSnapshot] = useState<ReadersSnapshot | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => station.on('readers', ({ snapshot: next }) => setSnapshot(next)), [station]);
  useEffect(() => {
    if (connection !== 'open') return;
    let live = true;
    station.call('readers.list', {}).then(
      (next) => {
        if (!live) return;
        setSnapshot(next);
        setError(null);
      },
      (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [station, connection]);

  return { snapshot, error };
}
