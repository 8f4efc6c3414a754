import { describe, it, expect } from 'vitest';
import type { ReaderChange } from '../../core/api/index.js';
import { ReaderManager, type BackendEvent } from '../../core/card/index.js';
import { fromHex, isObfError, toHex, type ErrorCode } from '../../core/index.js';
import { SimReaderBackend } from './sim-backend.js';
import { VIRTUAL_ATR } from './virtual-card.js';

const SELECT_ISD = fromHex('00a4040008a000000151000000');
const SELECT_OBF = fromHex('00a4040007f04f4246434c01');
const GET_CIN = fromHex('80ca004500');

/** The error of a call, whether it throws synchronously or returns a rejected promise. */
async function errorOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

async function expectCode(fn: () => unknown, code: ErrorCode): Promise<void> {
  const err = await errorOf(fn);
  expect(isObfError(err) ? err.code : err).toBe(code);
}

function recording(backend: SimReaderBackend): BackendEvent[] {
  const events: BackendEvent[] = [];
  backend.start((e) => events.push(e));
  return events;
}

const sw = (response: Uint8Array) => toHex(response.subarray(-2));

describe('SimReaderBackend', () => {
  it('refuses slot counts outside 1..16 with VALIDATION', async () => {
    for (const slots of [0, 17, -1, 2.5, Number.NaN]) {
      await expectCode(() => new SimReaderBackend({ slots }), 'VALIDATION');
    }
    expect(new SimReaderBackend({ slots: 1 }).readerNames).toHaveLength(1);
    expect(new SimReaderBackend({ slots: 16 }).readerNames).toHaveLength(16);
  });

  it('names its readers with the prefix and a slot number', () => {
    expect(new SimReaderBackend({ slots: 2 }).readerNames).toEqual([
      'OBF Simulated Reader 0',
      'OBF Simulated Reader 1',
    ]);
    expect(new SimReaderBackend({ slots: 1, namePrefix: 'Bench' }).readerNames).toEqual(['Bench 0']);
  });

  it('announces the service up and every reader with its card on start', () => {
    const events = recording(new SimReaderBackend({ slots: 2, reason: 'no pcscd' }));
    expect(events[0]).toEqual({ type: 'service', state: 'up', message: '2 simulated readers: no pcscd' });
    expect(events.slice(1)).toEqual([
      { type: 'reader-added', reader: 'OBF Simulated Reader 0', atr: VIRTUAL_ATR },
      { type: 'reader-added', reader: 'OBF Simulated Reader 1', atr: VIRTUAL_ATR },
    ]);
  });

  it('announces empty readers when cards are not present at start', () => {
    const events = recording(new SimReaderBackend({ slots: 1, cardsPresent: false }));
    expect(events[1]).toEqual({ type: 'reader-added', reader: 'OBF Simulated Reader 0', atr: null });
  });

  it('emits card-removed on remove and card-inserted on insert', () => {
    const backend = new SimReaderBackend({ slots: 1 });
    const events = recording(backend);
    events.length = 0;
    backend.remove('OBF Simulated Reader 0');
    backend.insert('OBF Simulated Reader 0');
    expect(events).toEqual([
      { type: 'card-removed', reader: 'OBF Simulated Reader 0' },
      { type: 'card-inserted', reader: 'OBF Simulated Reader 0', atr: VIRTUAL_ATR },
    ]);
  });

  it('emits nothing when inserting into a full reader or removing from an empty one', () => {
    const backend = new SimReaderBackend({ slots: 1 });
    const events = recording(backend);
    events.length = 0;
    backend.insert('OBF Simulated Reader 0');
    backend.remove('OBF Simulated Reader 0');
    backend.remove('OBF Simulated Reader 0');
    expect(events).toEqual([{ type: 'card-removed', reader: 'OBF Simulated Reader 0' }]);
  });

  it('emits nothing after stop', async () => {
    const backend = new SimReaderBackend({ slots: 1 });
    const events = recording(backend);
    events.length = 0;
    await backend.stop();
    backend.remove('OBF Simulated Reader 0');
    expect(events).toEqual([]);
  });

  it('refuses an unknown reader with NO_READER for insert, remove and connect', async () => {
    const backend = new SimReaderBackend({ slots: 1 });
    await expectCode(() => backend.insert('Nope'), 'NO_READER');
    await expectCode(() => backend.remove('Nope'), 'NO_READER');
    await expectCode(() => backend.connect('Nope'), 'NO_READER');
  });

  it('refuses to connect to an empty reader with NO_CARD', async () => {
    const backend = new SimReaderBackend({ slots: 1, cardsPresent: false });
    await expectCode(() => backend.connect('OBF Simulated Reader 0'), 'NO_CARD');
  });

  it('connects over T=1 to the virtual card and exchanges APDUs', async () => {
    const backend = new SimReaderBackend({ slots: 1 });
    const channel = await backend.connect('OBF Simulated Reader 0');
    expect(channel.protocol).toBe('T=1');
    expect(toHex(channel.atr)).toBe(toHex(VIRTUAL_ATR));
    expect(sw(await channel.transmit(SELECT_ISD))).toBe('9000');
  });

  it('resets the card on connect so the ISD is selected again', async () => {
    const backend = new SimReaderBackend({ slots: 1 });
    const first = await backend.connect('OBF Simulated Reader 0');
    expect(sw(await first.transmit(SELECT_OBF))).toBe('9000');
    expect(sw(await first.transmit(GET_CIN))).toBe('6a88');
    const second = await backend.connect('OBF Simulated Reader 0');
    expect(sw(await second.transmit(GET_CIN))).toBe('9000');
  });

  it('rejects a transmit in flight with CARD_REMOVED when the card is pulled', async () => {
    const backend = new SimReaderBackend({ slots: 1 });
    const channel = await backend.connect('OBF Simulated Reader 0');
    const inFlight = errorOf(() => channel.transmit(SELECT_ISD));
    backend.remove('OBF Simulated Reader 0');
    const err = await inFlight;
    expect(isObfError(err, 'CARD_REMOVED')).toBe(true);
  });

  it('rejects with CARD_REMOVED on a channel whose card was swapped for another', async () => {
    const backend = new SimReaderBackend({ slots: 1 });
    const channel = await backend.connect('OBF Simulated Reader 0');
    backend.remove('OBF Simulated Reader 0');
    backend.insert('OBF Simulated Reader 0');
    await expectCode(() => channel.transmit(SELECT_ISD), 'CARD_REMOVED');
  });

  it('refuses to transmit on a disconnected channel', async () => {
    const backend = new SimReaderBackend({ slots: 1 });
    const channel = await backend.connect('OBF Simulated Reader 0');
    await channel.disconnect();
    const err = await errorOf(() => channel.transmit(SELECT_ISD));
    expect(isObfError(err, 'VALIDATION')).toBe(true);
    expect((err as Error).message).toContain('closed');
  });

  it('gives every card it creates its own serial, so a re-inserted card has a new CIN', async () => {
    const backend = new SimReaderBackend({ slots: 2 });
    const cin = async (reader: string) => toHex(await (await backend.connect(reader)).transmit(GET_CIN));
    const a = await cin('OBF Simulated Reader 0');
    const b = await cin('OBF Simulated Reader 1');
    backend.remove('OBF Simulated Reader 0');
    backend.insert('OBF Simulated Reader 0');
    const c = await cin('OBF Simulated Reader 0');
    expect(new Set([a, b, c]).size).toBe(3);
  });
});

describe('ReaderManager over SimReaderBackend', () => {
  function managed(slots = 3) {
    const backend = new SimReaderBackend({ slots });
    const manager = new ReaderManager(backend);
    const changes: ReaderChange[] = [];
    manager.on('change', (c) => changes.push(c));
    manager.start();
    return { backend, manager, changes };
  }

  it('is ready with every simulated reader present, sorted by name', async () => {
    const { manager } = managed();
    const snap = await manager.ready(100);
    expect(snap.service).toEqual({ source: 'sim', state: 'up', message: '3 simulated readers' });
    expect(snap.readers.map((r) => r.name)).toEqual([
      'OBF Simulated Reader 0',
      'OBF Simulated Reader 1',
      'OBF Simulated Reader 2',
    ]);
    for (const r of snap.readers) expect(r).toMatchObject({ state: 'present', atr: toHex(VIRTUAL_ATR) });
  });

  it('emits no duplicates when the backend re-announces the same readers after a restart', async () => {
    const { manager, changes } = managed();
    changes.length = 0;
    await manager.stop();
    manager.start();
    expect(changes).toEqual([]);
  });

  it('follows a removal and refuses to connect to the emptied reader with NO_CARD', async () => {
    const { backend, manager, changes } = managed();
    changes.length = 0;
    backend.remove('OBF Simulated Reader 1');
    expect(changes).toEqual([{ kind: 'card-removed', reader: 'OBF Simulated Reader 1' }]);
    expect(manager.snapshot().readers[1]).toEqual({
      name: 'OBF Simulated Reader 1',
      state: 'empty',
      source: 'sim',
    });
    await expectCode(() => manager.connect('OBF Simulated Reader 1'), 'NO_CARD');
  });

  it('refuses to connect to a reader it does not know with NO_READER', async () => {
    const { manager } = managed();
    await expectCode(() => manager.connect('OBF Simulated Reader 9'), 'NO_READER');
  });

  it('hands out a working channel to a reader with a card', async () => {
    const { manager } = managed();
    const channel = await manager.connect('OBF Simulated Reader 2');
    expect(sw(await channel.transmit(SELECT_ISD))).toBe('9000');
  });
});
