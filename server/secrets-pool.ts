/**
 * Checks a batch's secrets on worker threads when the server runs from its build (the worker
 * is a .js file there), else on the calling thread (tests run the TypeScript sources).
 * Results are identical either way: the same checkSecrets runs in both.
 */
import type { KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SyncRecord } from '../core/sync/protocol.js';
import { checkSecrets } from './secrets.js';

type Reply = { id: number; errors?: [number, string][]; failure?: string };

export class SecretChecker {
  private workers: Worker[] = [];
  private pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  constructor(
    private readonly key: KeyObject,
    threads = Math.min(4, Math.max(0, availableParallelism() - 1)),
  ) {
    const file = fileURLToPath(new URL('./secrets-worker.js', import.meta.url));
    if (threads === 0 || !existsSync(file)) return;
    for (let i = 0; i < threads; i++) {
      const w = new Worker(file);
      w.unref();
      w.on('message', (r: Reply) => {
        const p = this.pending.get(r.id);
        this.pending.delete(r.id);
        p?.resolve(r);
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      w.postMessage({ key });
      this.workers.push(w);
    }
  }

  /** seq → reason for every record whose secret fails its check. */
  async check(records: readonly SyncRecord[]): Promise<Map<number, string>> {
    // Small batches are not worth a round trip between threads.
    if (this.workers.length === 0 || records.length < 16) return checkSecrets(records, this.key);
    const size = Math.ceil(records.length / this.workers.length);
    const replies = await Promise.all(
      this.workers.map((w, i) => {
        const part = records.slice(i * size, (i + 1) * size);
        if (part.length === 0) return Promise.resolve<Reply>({ id: -1, errors: [] });
        const id = this.nextId++;
        return new Promise<Reply>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          w.postMessage({ id, records: part });
        });
      }),
    );
    const errors = new Map<number, string>();
    for (const r of replies) {
      if (r.failure) throw new Error(`secret check failed: ${r.failure}`);
      for (const [seq, reason] of r.errors ?? []) errors.set(seq, reason);
    }
    return errors;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}
