/**
 * A worker thread that checks record secrets (server/secrets.ts): the ECDH of each JWE is the
 * server's dearest per-record cost, so the pool spreads a batch over the cores. The private
 * key arrives once, as a KeyObject (cloneable between threads), and never leaves.
 */
import type { KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { SyncRecord } from '../core/sync/protocol.js';
import { checkSecrets } from './secrets.js';

let key: KeyObject | null = null;
parentPort!.on('message', (m: { key?: KeyObject; id?: number; records?: SyncRecord[] }) => {
  if (m.key) {
    key = m.key;
    return;
  }
  void checkSecrets(m.records!, key!).then(
    (errors) => parentPort!.postMessage({ id: m.id, errors: [...errors] }),
    (e: Error) => parentPort!.postMessage({ id: m.id, failure: e.message }),
  );
});
