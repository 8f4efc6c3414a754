import { describe, it, expect, vi } from 'vitest';
import type { ReaderChange, ReadersSnapshot } from '../api/index.js';
import { fromHex } from '../bytes.js';
import { isObfError, ObfError } from '../errors.js';
import { ReaderManager } from './reader-manager.js';
import type { BackendEvent, CardChannel, ReaderBackend } from './transport.js';

const ATR_A = fromHex('3b8a800101');
const ATR_B = fromHex('3b8a800102');

/** A backend driven by hand: the test calls `push` to play what a real backend would report. */
class FakeBackend implements ReaderBackend {
  readonly source = 'pcsc' as const;
  emit: ((event: BackendEvent) => void) | null = null;
  readonly start = vi.fn((emit: (event: BackendEvent) => void) => {
    this.emit = emit;
  });
  readonly stop = vi.fn(() => {
    this.emit = null;
    return Promise.resolve();
  });
  readonly connect = vi.fn((reader: string): Promise<CardChannel> =>
    Promise.resolve({
      reader,
      atr: ATR_A,
      protocol: 'T=1',
      transmit: () => Promise.resolve(fromHex('9000')),
      disconnect: () => Promise.resolve(),
    }),
  );

  push(...events: BackendEvent[]): void {
    for (const e of events) this.emit!(e);
  }
}

function started() {
  const backend = new FakeBackend();
  const manager = new ReaderManager(backend);
  const changes: ReaderChange[] = [];
  manager.on('change', (change) => changes.push(change));
  manager.start();
  return { backend, manager, changes };
}

const up: BackendEvent = { type: 'service', state: 'up', message: 'pcscd is running' };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

describe('ReaderManager', () => {
  it('starts in the starting state with no readers', () => {
    const manager = new ReaderManager(new FakeBackend());
    expect(manager.snapshot()).toEqual({
      service: { source: 'pcsc', state: 'starting', message: 'starting the reader service' },
      readers: [],
    });
  });

  it('starts its backend once however often start is called', () => {
    const { backend, manager } = started();
    manager.start();
    expect(backend.start).toHaveBeenCalledTimes(1);
  });

  it('stops its backend only when it was started', async () => {
    const backend = new FakeBackend();
    const manager = new ReaderManager(backend);
    await manager.stop();
    expect(backend.stop).not.toHaveBeenCalled();
    manager.start();
    await manager.stop();
    await manager.stop();
    expect(backend.stop).toHaveBeenCalledTimes(1);
  });

  it('emits each change with the snapshot taken after it', () => {
    const backend = new FakeBackend();
    const manager = new ReaderManager(backend);
    const seen: [ReaderChange, ReadersSnapshot][] = [];
    manager.on('change', (c, s) => seen.push([c, s]));
    manager.start();
    backend.push(up, { type: 'reader-added', reader: 'R1', atr: ATR_A });
    expect(seen).toHaveLength(2);
    expect(seen[0]![0]).toEqual({ kind: 'service' });
    expect(seen[0]![1].service.state).toBe('up');
    expect(seen[1]![0]).toEqual({ kind: 'reader-added', reader: 'R1' });
    expect(seen[1]![1].readers).toEqual([
      { name: 'R1', state: 'present', atr: '3b8a800101', source: 'pcsc' },
    ]);
  });

  it('emits nothing for a duplicate reader-added with the same ATR', () => {
    const { backend, changes } = started();
    backend.push(up, { type: 'reader-added', reader: 'R1', atr: ATR_A });
    changes.length = 0;
    backend.push({ type: 'reader-added', reader: 'R1', atr: fromHex('3b8a800101') });
    expect(changes).toEqual([]);
  });

  it('emits nothing for a duplicate reader-added of an empty reader', () => {
    const { backend, changes } = started();
    backend.push(up, { type: 'reader-added', reader: 'R1', atr: null });
    changes.length = 0;
    backend.push({ type: 'reader-added', reader: 'R1', atr: null });
    expect(changes).toEqual([]);
  });

  it('reports a re-announced reader with a new ATR as a card insertion, and without one as a removal', () => {
    const { backend, manager, changes } = started();
    backend.push(up, { type: 'reader-added', reader: 'R1', atr: ATR_A });
    changes.length = 0;
    backend.push({ type: 'reader-added', reader: 'R1', atr: ATR_B });
    expect(changes).toEqual([{ kind: 'card-inserted', reader: 'R1' }]);
    expect(manager.snapshot().readers[0]!.atr).toBe('3b8a800102');
    backend.push({ type: 'reader-added', reader: 'R1', atr: null });
    expect(changes.at(-1)).toEqual({ kind: 'card-removed', reader: 'R1' });
    expect(manager.snapshot().readers[0]).toEqual({ name: 'R1', state: 'empty', source: 'pcsc' });
  });

  it('emits nothing for a repeated card-inserted or card-removed', () => {
    const { backend, changes } = started();
    backend.push(up, { type: 'reader-added', reader: 'R1', atr: null });
    changes.length = 0;
    backend.push(
      { type: 'card-inserted', reader: 'R1', atr: ATR_A },
      { type: 'card-inserted', reader: 'R1', atr: ATR_A },
    );
    expect(changes).toEqual([{ kind: 'card-inserted', reader: 'R1' }]);
    backend.push({ type: 'card-removed', reader: 'R1' }, { type: 'card-removed', reader: 'R1' });
    expect(changes).toEqual([
      { kind: 'card-inserted', reader: 'R1' },
      { kind: 'card-removed', reader: 'R1' },
    ]);
  });

  it('emits nothing when an unknown reader is removed', () => {
    const { backend, manager, changes } = started();
    backend.push(up, { type: 'reader-added', reader: 'R1', atr: null });
    changes.length = 0;
    backend.push({ type: 'reader-removed', reader: 'R9' });
    expect(changes).toEqual([]);
    backend.push({ type: 'reader-removed', reader: 'R1' });
    expect(changes).toEqual([{ kind: 'reader-removed', reader: 'R1' }]);
    expect(manager.snapshot().readers).toEqual([]);
  });

  it('emits nothing when the service reports the same state and message again', () => {
    const { backend, changes } = started();
    backend.push(up, up);
    expect(changes).toEqual([{ kind: 'service' }]);
    backend.push({ type: 'service', state: 'up', message: 'pcscd is running: 2 reader(s)' });
    expect(changes).toHaveLength(2);
  });

  it('clears every reader when the service goes down', () => {
    const { backend, manager } = started();
    backend.push(
      up,
      { type: 'reader-added', reader: 'R1', atr: ATR_A },
      { type: 'reader-added', reader: 'R2', atr: null },
    );
    expect(manager.snapshot().readers).toHaveLength(2);
    backend.push({ type: 'service', state: 'down', message: 'pcscd is not reachable' });
    expect(manager.snapshot()).toEqual({
      service: { source: 'pcsc', state: 'down', message: 'pcscd is not reachable' },
      readers: [],
    });
  });

  it('keeps the readers when the service stays up with a new message', () => {
    const { backend, manager } = started();
    backend.push(up, { type: 'reader-added', reader: 'R1', atr: ATR_A });
    backend.push({ type: 'service', state: 'up', message: 'still running' });
    expect(manager.snapshot().readers).toHaveLength(1);
  });

  it('sorts the snapshot by reader name', () => {
    const { backend, manager } = started();
    backend.push(
      up,
      { type: 'reader-added', reader: 'Reader C', atr: null },
      { type: 'reader-added', reader: 'Reader A', atr: ATR_A },
      { type: 'reader-added', reader: 'Reader B', atr: null },
    );
    expect(manager.snapshot().readers.map((r) => r.name)).toEqual(['Reader A', 'Reader B', 'Reader C']);
  });

  it('hands out snapshots that callers cannot use to change its state', () => {
    const { backend, manager } = started();
    backend.push(up, { type: 'reader-added', reader: 'R1', atr: ATR_A });
    const snap = manager.snapshot();
    snap.readers[0]!.state = 'empty';
    snap.service.state = 'down';
    expect(manager.snapshot().readers[0]!.state).toBe('present');
    expect(manager.snapshot().service.state).toBe('up');
  });

  describe('ready()', () => {
    it('resolves at once when the service has already left starting', async () => {
      const { backend, manager } = started();
      backend.push({ type: 'service', state: 'unavailable', message: 'no binding' });
      await expect(manager.ready(1)).resolves.toMatchObject({ service: { state: 'unavailable' } });
    });

    it('resolves with the first snapshot taken once the service leaves starting', async () => {
      const { backend, manager } = started();
      const listeners = manager.listenerCount('change');
      const ready = manager.ready(1000);
      backend.push({ type: 'service', state: 'starting', message: 'still loading' });
      backend.push(up);
      backend.push({ type: 'reader-added', reader: 'R1', atr: null });
      const snap = await ready;
      expect(snap.service.state).toBe('up');
      expect(snap.readers).toEqual([]);
      expect(manager.listenerCount('change')).toBe(listeners);
    });

    it('rejects with a TIMEOUT error when the service never leaves starting', async () => {
      vi.useFakeTimers();
      try {
        const { manager } = started();
        const listeners = manager.listenerCount('change');
        let settled = false;
        const ready = rejection(manager.ready(200)).finally(() => (settled = true));
        await vi.advanceTimersByTimeAsync(199);
        expect(settled).toBe(false);
        await vi.advanceTimersByTimeAsync(1);
        const err = await ready;
        expect(isObfError(err, 'TIMEOUT')).toBe(true);
        expect((err as Error).message).toContain('200 ms');
        expect(manager.listenerCount('change')).toBe(listeners);
      } finally {
        vi.useRealTimers();
      }
    });
  });

  describe('connect()', () => {
    it('refuses an unknown reader with NO_READER', async () => {
      const { backend, manager } = started();
      backend.push(up);
      const err = await rejection(manager.connect('R9'));
      expect(isObfError(err, 'NO_READER')).toBe(true);
      expect(backend.connect).not.toHaveBeenCalled();
    });

    it('refuses an empty reader with NO_CARD', async () => {
      const { backend, manager } = started();
      backend.push(up, { type: 'reader-added', reader: 'R1', atr: null });
      const err = await rejection(manager.connect('R1'));
      expect(err).toBeInstanceOf(ObfError);
      expect((err as ObfError).code).toBe('NO_CARD');
      expect(backend.connect).not.toHaveBeenCalled();
    });

    it('asks the backend for a channel when the reader holds a card', async () => {
      const { backend, manager } = started();
      backend.push(up, { type: 'reader-added', reader: 'R1', atr: ATR_A });
      const channel = await manager.connect('R1');
      expect(channel.reader).toBe('R1');
      expect(backend.connect).toHaveBeenCalledWith('R1');
    });

    it('refuses a reader that vanished when the service went down', async () => {
      const { backend, manager } = started();
      backend.push(up, { type: 'reader-added', reader: 'R1', atr: ATR_A });
      backend.push({ type: 'service', state: 'down', message: 'gone' });
      expect(isObfError(await rejection(manager.connect('R1')), 'NO_READER')).toBe(true);
    });
  });
});
