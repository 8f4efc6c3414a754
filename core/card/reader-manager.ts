import { EventEmitter } from 'node:events';
import type { ReaderChange, ReaderInfo, ReaderService, ReadersSnapshot } from '../api/index.js';
import { toHex } from '../bytes.js';
import { ObfError } from '../errors.js';
import type { BackendEvent, CardChannel, ReaderBackend } from './transport.js';

export interface ReaderManagerEvents {
  change: [change: ReaderChange, snapshot: ReadersSnapshot];
}

/**
 * Keeps the current picture of every reader from a backend's events and hands out card
 * channels. Events are idempotent: a backend that re-announces a reader after a restart
 * does not produce duplicates.
 */
export class ReaderManager extends EventEmitter<ReaderManagerEvents> {
  private readonly readers = new Map<string, ReaderInfo>();
  private service: ReaderService;
  private started = false;

  constructor(readonly backend: ReaderBackend) {
    super();
    this.service = { source: backend.source, state: 'starting', message: 'starting the reader service' };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.backend.start((event) => this.apply(event));
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.backend.stop();
  }

  snapshot(): ReadersSnapshot {
    const readers = [...this.readers.values()].sort((a, b) => a.name.localeCompare(b.name));
    return { service: { ...this.service }, readers: readers.map((r) => ({ ...r })) };
  }

  /** Resolves with the first snapshot taken once the service has left `starting`. */
  async ready(timeoutMs = 5000): Promise<ReadersSnapshot> {
    if (this.service.state !== 'starting') return this.snapshot();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('change', onChange);
        reject(new ObfError('TIMEOUT', `the reader service did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      const onChange = (_c: ReaderChange, snap: ReadersSnapshot) => {
        if (snap.service.state === 'starting') return;
        clearTimeout(timer);
        this.off('change', onChange);
        resolve(snap);
      };
      this.on('change', onChange);
    });
  }

  async connect(reader: string): Promise<CardChannel> {
    const info = this.readers.get(reader);
    if (!info) throw new ObfError('NO_READER', `no reader named "${reader}"`);
    if (info.state !== 'present') throw new ObfError('NO_CARD', `no card in reader "${reader}"`);
    return this.backend.connect(reader);
  }

  private apply(event: BackendEvent): void {
    const change = this.update(event);
    if (change) this.emit('change', change, this.snapshot());
  }

  private update(event: BackendEvent): ReaderChange | null {
    const source = this.backend.source;
    switch (event.type) {
      case 'service': {
        if (this.service.state === event.state && this.service.message === event.message) return null;
        this.service = { source, state: event.state, message: event.message };
        if (event.state !== 'up') this.readers.clear();
        return { kind: 'service' };
      }
      case 'reader-added': {
        const next: ReaderInfo = event.atr
          ? { name: event.reader, state: 'present', atr: toHex(event.atr), source }
          : { name: event.reader, state: 'empty', source };
        const prev = this.readers.get(event.reader);
        if (prev && prev.state === next.state && prev.atr === next.atr) return null;
        this.readers.set(event.reader, next);
        return {
          kind: prev ? (next.atr ? 'card-inserted' : 'card-removed') : 'reader-added',
          reader: event.reader,
        };
      }
      case 'reader-removed':
        if (!this.readers.delete(event.reader)) return null;
        return { kind: 'reader-removed', reader: event.reader };
      case 'card-inserted': {
        const atr = toHex(event.atr);
        const prev = this.readers.get(event.reader);
        if (prev?.state === 'present' && prev.atr === atr) return null;
        this.readers.set(event.reader, { name: event.reader, state: 'present', atr, source });
        return { kind: 'card-inserted', reader: event.reader };
      }
      case 'card-removed': {
        const prev = this.readers.get(event.reader);
        if (prev?.state === 'empty') return null;
        this.readers.set(event.reader, { name: event.reader, state: 'empty', source });
        return { kind: 'card-removed', reader: event.reader };
      }
    }
  }
}
