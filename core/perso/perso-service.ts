/**
 * Personalisation as the Workstation exposes it: orders imported into batches, one batch
 * running at a time on the chosen readers, its progress as events, the output files at the
 * end. Works on the unlocked station; the keys it opens for a run are zeroed when it ends.
 */
import { EventEmitter } from 'node:events';
import { dirname, join } from 'node:path';
import type { ReaderManager } from '../card/reader-manager.js';
import { ObfError } from '../errors.js';
import type { Kms, KmsService } from '../kms/index.js';
import { writeBatchOutputs } from './batch-output.js';
import { BatchRunner, type BatchProgress } from './batch-runner.js';
import { BatchStore, type BatchSummary, type CardRecord, type CardState } from './batch-store.js';
import { parseOrder } from './order.js';
import { openPersoKeys, resolvePersoKeyLabels, zeroPersoKeys } from './perso-keys.js';

export class PersoService extends EventEmitter<{ progress: [BatchProgress] }> {
  private runner: BatchRunner | null = null;
  /** The last run's final state, so a reloaded screen still shows how its lanes ended. */
  private last: BatchProgress | null = null;
  private stores: { kms: Kms; store: BatchStore } | null = null;
  private lastError: string | null = null;

  constructor(
    private readonly kms: KmsService,
    private readonly readers: ReaderManager,
  ) {
    super();
    // Locking the station (by hand or idle) ends a run between cards: its keys go with the lock.
    kms.on('status', (status) => {
      if (status.state !== 'unlocked') this.stop();
    });
  }

  /** Validates an order (manifest JSON text, optional rows CSV) and accepts it as a batch. */
  importOrder(manifest: string, rowsCsv: string | undefined): BatchSummary {
    const { kms, user } = this.kms.unlockedStation();
    const order = parseOrder(manifest, rowsCsv);
    resolvePersoKeyLabels(kms, order); // every key the order names exists, with the right usage
    return this.store().createBatch(order, user.username);
  }

  batches(): BatchSummary[] {
    return this.store().list();
  }

  cards(batchId: string, state: CardState | undefined, limit: number): CardRecord[] {
    return this.store().cards(batchId, { ...(state ? { state } : {}), limit });
  }

  /** Starts the batch on the readers; resolves at once, progress follows as events. */
  start(batchId: string, readers: string[] | 'all', handler: 'manual' | 'auto'): BatchProgress {
    if (this.runner)
      throw new ObfError(
        'VALIDATION',
        `batch ${this.runner.batchId} has a run in progress (running or paused): abort it, or let it finish, first`,
      );
    const { kms } = this.kms.unlockedStation();
    const store = this.store();
    const keys = openPersoKeys(kms, store.order(batchId));
    const runner = new BatchRunner(this.readers, store, batchId, keys, { readers, handler });
    runner.on('progress', (p) => this.emit('progress', p));
    this.runner = runner;
    this.lastError = null;
    runner
      .run()
      .catch((err: unknown) => {
        this.lastError = err instanceof Error ? err.message : String(err);
      })
      .finally(() => {
        zeroPersoKeys(keys);
        if (this.runner === runner) this.runner = null;
        this.last = runner.progress();
        this.emit('progress', this.last);
      });
    return runner.progress();
  }

  pause(): BatchProgress {
    return this.control((r) => r.pause());
  }

  resume(): BatchProgress {
    return this.control((r) => r.resume());
  }

  abort(): BatchProgress {
    return this.control((r) => r.abort());
  }

  progress(): BatchProgress | null {
    return this.runner?.progress() ?? this.last;
  }

  error(): string | null {
    return this.lastError;
  }

  /** The JWE and CSV of the batch's verified cards, beside the station database. */
  async writeOutputs(batchId: string) {
    const { kms, user } = this.kms.unlockedStation();
    const dir = join(dirname(kms.dbPath), 'output', batchId);
    const files = await writeBatchOutputs(kms, this.store(), batchId, dir, user.username);
    return {
      jwe: files.jwe ? { path: files.jwe.path, sha256: files.jwe.sha256, records: files.jwe.records } : null,
      csv: { path: files.csv.path, sha256: files.csv.sha256, records: files.csv.records },
    };
  }

  /** Stops a run in progress (the batch stays as it is, to be run again). */
  stop(): void {
    this.runner?.stop();
  }

  private control(act: (r: BatchRunner) => void): BatchProgress {
    if (!this.runner) throw new ObfError('VALIDATION', 'no batch is running');
    act(this.runner);
    return this.runner.progress();
  }

  /**
   * One store per station for the life of the service: it keeps each batch's parsed order, so
   * listing batches (the UI asks often) does not parse every order, rows CSV and all, again.
   * Its records ask for the database on each use, so it stays right across lock and unlock.
   */
  private store(): BatchStore {
    const { kms } = this.kms.unlockedStation();
    if (this.stores?.kms !== kms) this.stores = { kms, store: new BatchStore(kms.records()) };
    return this.stores.store;
  }
}
