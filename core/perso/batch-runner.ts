/**
 * A batch on N readers at once: one lane per reader, each taking whatever card is put in it.
 * A reader that disappears stops its lane while the others go on; pause holds every lane
 * between cards, abort stops them after the card in hand. Two card-handling modes:
 * `manual` (an operator swaps cards: the lane waits for removal, then for the next card) and
 * `auto` (a card handler swaps them faster than PC/SC reports it: the lane reconnects and reads
 * which card it holds).
 */
import { EventEmitter } from 'node:events';
import type { ReaderManager } from '../card/reader-manager.js';
import type { ReaderChange, ReadersSnapshot } from '../api/index.js';
import { ObfError } from '../errors.js';
import type { BatchStore, BatchSummary } from './batch-store.js';
import { runCardJob, type CardOutcome, type PersoKeys } from './card-job.js';

export type LaneState = 'waiting-card' | 'working' | 'remove-card' | 'paused' | 'stopped';

export interface LaneView {
  reader: string;
  state: LaneState;
  iccid: string | null;
  step: string | null;
  lastError: string | null;
  done: number;
  failed: number;
}

export type RunState = 'running' | 'paused' | 'aborted' | 'done' | 'stopped';

export interface BatchProgress {
  batchId: string;
  state: RunState;
  summary: BatchSummary;
  lanes: LaneView[];
  startedAt: string;
  /** Cards verified per minute in this run. */
  ratePerMinute: number;
  /** Seconds to the end of the order at the current rate; null before the first card. */
  etaSeconds: number | null;
}

export interface BatchRunnerOptions {
  /** Reader names, or every reader the manager knows when the run starts. */
  readers: string[] | 'all';
  handler?: 'manual' | 'auto';
  /** How often progress is announced while cards are in work (ms). */
  progressEveryMs?: number;
}

type RunnerEvents = {
  progress: [BatchProgress];
  card: [{ reader: string; outcome: CardOutcome }];
};

export class BatchRunner extends EventEmitter<RunnerEvents> {
  private readonly lanes = new Map<string, LaneView>();
  private state: RunState = 'running';
  private readonly wakers = new Set<() => void>();
  /** Insertions and removals seen per reader: a swap faster than a glance at the snapshot still counts. */
  private readonly insertions = new Map<string, number>();
  private startedMs = 0;
  private startedAt = '';
  private verifiedThisRun = 0;
  private lastProgress = 0;
  private trailing: NodeJS.Timeout | null = null;
  private readonly handler: 'manual' | 'auto';

  constructor(
    private readonly readers: ReaderManager,
    private readonly store: BatchStore,
    readonly batchId: string,
    private readonly keys: PersoKeys,
    private readonly options: BatchRunnerOptions,
  ) {
    super();
    this.handler = options.handler ?? 'manual';
  }

  /** Runs until the order is done, or abort; resolves with the batch as it then stands. */
  async run(): Promise<BatchSummary> {
    const snapshot = this.readers.snapshot();
    const names = this.options.readers === 'all' ? snapshot.readers.map((r) => r.name) : this.options.readers;
    if (names.length === 0) throw new ObfError('NO_READER', 'no reader to personalise with');
    for (const name of names) {
      if (!snapshot.readers.some((r) => r.name === name))
        throw new ObfError('NO_READER', `no reader named "${name}"`);
      this.lanes.set(name, {
        reader: name,
        state: 'waiting-card',
        iccid: null,
        step: null,
        lastError: null,
        done: 0,
        failed: 0,
      });
    }
    const batch = this.store.summary(this.batchId);
    if (batch.state === 'aborted' || batch.state === 'done')
      throw new ObfError('VALIDATION', `batch "${this.batchId}" is ${batch.state}`);
    if (batch.state === 'paused') this.store.setState(this.batchId, 'open', 'station');
    this.startedMs = performance.now();
    this.startedAt = new Date().toISOString();
    const onChange = (change: ReaderChange, _snapshot: ReadersSnapshot) => {
      if (change.reader && (change.kind === 'card-inserted' || change.kind === 'card-removed'))
        this.insertions.set(change.reader, (this.insertions.get(change.reader) ?? 0) + 1);
      this.wake();
    };
    this.readers.on('change', onChange);
    // Every lane ends before run() does, even when one fails: the caller zeroes the batch's
    // masters right after, and a lane still at a card must not meet zeroed keys.
    const ended = await Promise.allSettled(names.map((name) => this.lane(name)));
    this.readers.off('change', onChange);
    const failure = ended.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason));
    if ((this.state === 'running' || this.state === 'done') && this.store.finished(this.batchId)) {
      this.state = 'done';
      this.store.setState(this.batchId, 'done', 'station');
    }
    this.announce(true);
    return this.store.summary(this.batchId);
  }

  pause(): void {
    if (this.state !== 'running') return;
    this.state = 'paused';
    this.store.setState(this.batchId, 'paused', 'station');
    this.announce(true);
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'running';
    this.store.setState(this.batchId, 'open', 'station');
    this.wake();
    this.announce(true);
  }

  /** Stops every lane after the card in hand; the batch stays aborted. */
  abort(): void {
    if (this.state === 'aborted' || this.state === 'done') return;
    this.state = 'aborted';
    this.store.setState(this.batchId, 'aborted', 'station');
    this.wake();
  }

  /** Stops the run without changing the batch (it can be run again later). */
  stop(): void {
    if (this.state === 'running' || this.state === 'paused') this.state = 'stopped';
    this.wake();
  }

  progress(): BatchProgress {
    const summary = this.store.summary(this.batchId);
    const minutes = (performance.now() - this.startedMs) / 60_000;
    const rate = minutes > 0 ? this.verifiedThisRun / minutes : 0;
    const remaining = summary.cardCount - summary.counts.verified - summary.counts.rejected;
    return {
      batchId: this.batchId,
      state: this.state,
      summary,
      lanes: [...this.lanes.values()].map((l) => ({ ...l })),
      startedAt: this.startedAt,
      ratePerMinute: Math.round(rate * 10) / 10,
      etaSeconds: rate > 0 ? Math.round((remaining / rate) * 60) : null,
    };
  }

  private async lane(reader: string): Promise<void> {
    const view = this.lanes.get(reader)!;
    const set = (patch: Partial<LaneView>) => {
      Object.assign(view, patch);
      this.announce(false);
    };
    for (;;) {
      if (this.ended()) break;
      if (this.state === 'paused') {
        set({ state: 'paused', step: null });
        await this.sleep();
        continue;
      }
      const present = this.readerState(reader);
      if (present === 'gone') {
        set({ state: 'stopped', step: null, lastError: 'the reader was removed' });
        return;
      }
      if (present !== 'present') {
        set({ state: 'waiting-card', step: null, iccid: null });
        await this.sleep();
        continue;
      }
      set({ state: 'working', step: 'connect', iccid: null });
      const insertion = this.insertions.get(reader) ?? 0;
      let outcome: CardOutcome;
      try {
        const channel = await this.readers.connect(reader);
        try {
          outcome = await runCardJob(channel, {
            store: this.store,
            batchId: this.batchId,
            keys: this.keys,
            reader,
            onStep: (step, iccid) => set({ step, iccid }),
          });
        } finally {
          await channel.disconnect().catch(() => undefined);
        }
      } catch (err) {
        if (err instanceof ObfError && (err.code.startsWith('KMS_') || err.code === 'INTERNAL')) {
          set({ state: 'stopped', step: null, lastError: err.message });
          this.stop();
          throw err;
        }
        // Connecting failed (card pulled, pcscd down): nothing was recorded; try again.
        set({
          state: 'waiting-card',
          step: null,
          lastError: err instanceof Error ? err.message : String(err),
        });
        await delay(100);
        continue;
      }
      this.emit('card', { reader, outcome });
      if (outcome.kind === 'order-complete') {
        if (this.store.finished(this.batchId)) {
          if (this.state === 'running') this.state = 'done';
          this.wake();
          break;
        }
        // ICCIDs are all taken but some cards are still in work or awaiting re-insertion.
        set({
          state: 'waiting-card',
          step: null,
          lastError: 'order complete: waiting for cards still in work',
        });
        await this.sleep();
        continue;
      }
      if (outcome.kind === 'verified') {
        this.verifiedThisRun++;
        set({ done: view.done + 1, lastError: null, step: 'verified' });
      } else if (outcome.kind === 'rejected') {
        set({ failed: view.failed + 1, lastError: outcome.card.lastError, step: 'rejected' });
      } else if (outcome.kind === 'retry') {
        set({ lastError: outcome.card.lastError, step: 'retry' });
      } else if (outcome.kind === 'unknown-card') {
        set({ lastError: outcome.reason, step: null });
      }
      if (this.store.finished(this.batchId)) {
        if (this.state === 'running') this.state = 'done';
        this.wake();
        break;
      }
      if (this.handler === 'manual' || outcome.kind === 'unknown-card') {
        // The operator takes the card out; the next card is a new insertion.
        set({ state: 'remove-card' });
        while (
          (this.insertions.get(reader) ?? 0) === insertion &&
          !this.ended() &&
          this.readerState(reader) !== 'gone'
        )
          await this.sleep();
      } else if (outcome.kind !== 'verified') {
        await delay(outcome.kind === 'retry' ? 50 : 5);
      }
    }
    if (view.state !== 'stopped') set({ state: 'stopped', step: null });
  }

  /** Read through a method: the state changes while a lane awaits, which narrowing cannot see. */
  private ended(): boolean {
    return this.state === 'aborted' || this.state === 'stopped' || this.state === 'done';
  }

  private readerState(reader: string): 'present' | 'empty' | 'gone' {
    const snapshot = this.readers.snapshot();
    if (snapshot.service.state === 'down') return 'empty';
    const r = snapshot.readers.find((x) => x.name === reader);
    if (!r) return 'gone';
    return r.state === 'present' ? 'present' : 'empty';
  }

  /** Until a reader changes, the run state changes, or a second passes. */
  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, 1000);
      this.wakers.add(done);
    });
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  /** At most one update per interval; one held back is sent when the interval ends, so the last state always arrives. */
  private announce(force: boolean): void {
    const every = this.options.progressEveryMs ?? 250;
    const wait = every - (performance.now() - this.lastProgress);
    if (!force && wait > 0) {
      this.trailing ??= setTimeout(() => {
        this.trailing = null;
        try {
          this.announce(true);
        } catch {
          // The station locked meanwhile: the lanes end the run and say why.
        }
      }, wait);
      return;
    }
    if (this.trailing) clearTimeout(this.trailing);
    this.trailing = null;
    this.lastProgress = performance.now();
    this.emit('progress', this.progress());
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
