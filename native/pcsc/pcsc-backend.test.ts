import { EventEmitter } from 'node:events';
import { afterEach, describe, it, expect, vi } from 'vitest';
import type { BackendEvent, CardChannel } from '../../core/card/index.js';
import { isObfError, toHex, type ErrorCode } from '../../core/index.js';
import type { Binding } from './binding.js';
import { PcscReaderBackend, type PcscBackendOptions } from './pcsc-backend.js';

const PRESENT = 0x20;
const EMPTY = 0x10;
const T0 = 0x1;
const T1 = 0x2;
const SHARED = 0x2;
const LEAVE = 0x0;
const ATR = Buffer.from('3b8a8001', 'hex');

interface FakeReader {
  name: string;
  state: number;
  atr: Buffer | null;
  connect: (share?: number, protocol?: number) => Promise<FakeCard>;
}

interface FakeCard {
  atr: Buffer | null;
  protocol: number;
  transmit: (apdu: Buffer, options?: { maxRecvLength?: number }) => Promise<Buffer>;
  getStatus: () => { atr: Buffer };
  disconnect: (disposition?: number) => void;
}

/** What the fake pcscd holds and how it misbehaves; every fake Context and Devices reads it. */
class FakePcsc {
  readers: FakeReader[] = [];
  /** How many `new Context()` calls still throw `contextError`. */
  contextFailures = 0;
  contextError = 'PC/SC service not running';
  /** When set, listReaders throws this text. */
  listError: string | null = null;
  readonly contexts: { close: ReturnType<typeof vi.fn> }[] = [];
  readonly devices: FakeDevices[] = [];

  binding(): Binding {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const pcsc = this;
    class Context {
      readonly close = vi.fn();
      constructor() {
        if (pcsc.contextFailures > 0) {
          pcsc.contextFailures--;
          throw new Error(pcsc.contextError);
        }
        pcsc.contexts.push(this);
      }
      listReaders(): FakeReader[] {
        if (pcsc.listError) throw new Error(pcsc.listError);
        return pcsc.readers;
      }
    }
    class Devices extends FakeDevices {
      constructor() {
        super();
        pcsc.devices.push(this);
      }
    }
    return {
      Context,
      Devices,
      SCARD_STATE_PRESENT: PRESENT,
      SCARD_SHARE_SHARED: SHARED,
      SCARD_PROTOCOL_T0: T0,
      SCARD_PROTOCOL_T1: T1,
      SCARD_LEAVE_CARD: LEAVE,
    } as unknown as Binding;
  }
}

class FakeDevices extends EventEmitter {
  readonly start = vi.fn();
  readonly stop = vi.fn();
}

function fakeCard(overrides: Partial<FakeCard> = {}): FakeCard {
  return {
    atr: ATR,
    protocol: T1,
    transmit: vi.fn(() => Promise.resolve(Buffer.from('6f009000', 'hex'))),
    getStatus: vi.fn(() => ({ atr: ATR })),
    disconnect: vi.fn(),
    ...overrides,
  };
}

function fakeReader(name: string, card: FakeCard | null = fakeCard()): FakeReader {
  return {
    name,
    state: card ? PRESENT : EMPTY,
    atr: card ? ATR : null,
    connect: vi.fn(() => (card ? Promise.resolve(card) : Promise.reject(new Error('No smart card present')))),
  };
}

let backend: PcscReaderBackend | undefined;

function started(pcsc: FakePcsc, options: PcscBackendOptions = {}) {
  const events: BackendEvent[] = [];
  backend = new PcscReaderBackend({
    initialBackoffMs: 5,
    maxBackoffMs: 20,
    watchdogMs: 60_000,
    load: () => ({ binding: pcsc.binding() }),
    ...options,
  });
  backend.start((e) => events.push(e));
  return { backend, events };
}

const services = (events: BackendEvent[]) => events.flatMap((e) => (e.type === 'service' ? [e.state] : []));

async function until(what: string, check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const err = await errorOf(promise);
  expect(isObfError(err) ? err.code : err).toBe(code);
}

afterEach(async () => {
  await backend?.stop();
  backend = undefined;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('PcscReaderBackend supervisor', () => {
  it('reports the service unavailable when the binding cannot load', () => {
    const events: BackendEvent[] = [];
    backend = new PcscReaderBackend({ load: () => ({ error: 'PC/SC binding not available' }) });
    backend.start((e) => events.push(e));
    expect(events).toEqual([
      { type: 'service', state: 'unavailable', message: 'PC/SC binding not available' },
    ]);
  });

  it('refuses to connect while it has no session, with PCSCD_DOWN', async () => {
    backend = new PcscReaderBackend({ load: () => ({ error: 'no binding' }) });
    backend.start(() => undefined);
    await expectCode(backend.connect('R1'), 'PCSCD_DOWN');
  });

  it('comes up at once and announces every reader with its card', () => {
    const pcsc = new FakePcsc();
    pcsc.readers = [fakeReader('R1'), fakeReader('R2', null)];
    const { events } = started(pcsc);
    expect(events).toEqual([
      { type: 'service', state: 'up', message: 'pcscd is running: 2 reader(s)' },
      { type: 'reader-added', reader: 'R1', atr: new Uint8Array(ATR) },
      { type: 'reader-added', reader: 'R2', atr: null },
    ]);
    expect(pcsc.devices).toHaveLength(1);
    expect(pcsc.devices[0]!.start).toHaveBeenCalledTimes(1);
  });

  it('announces a reader as empty when the present flag is not set, whatever ATR it reports', () => {
    const pcsc = new FakePcsc();
    pcsc.readers = [{ ...fakeReader('R1'), state: EMPTY }];
    const { events } = started(pcsc);
    expect(events[1]).toEqual({ type: 'reader-added', reader: 'R1', atr: null });
  });

  it('comes up with no readers when pcscd says none are available', () => {
    const pcsc = new FakePcsc();
    pcsc.listError = 'No readers are available';
    const { events } = started(pcsc);
    expect(events).toEqual([{ type: 'service', state: 'up', message: 'pcscd is running: 0 reader(s)' }]);
  });

  it('reports down twice while pcscd is not running, then up with the readers', async () => {
    const pcsc = new FakePcsc();
    pcsc.readers = [fakeReader('R1')];
    pcsc.contextFailures = 2;
    const { events } = started(pcsc);
    await until('service up', () => services(events).includes('up'));
    expect(services(events)).toEqual(['down', 'down', 'up']);
    expect(events[0]).toMatchObject({
      message: expect.stringContaining('PC/SC service not running') as string,
    });
    expect(events.at(-1)).toEqual({ type: 'reader-added', reader: 'R1', atr: new Uint8Array(ATR) });
    expect(pcsc.devices).toHaveLength(1);
  });

  it('closes the context and reports down when listing readers fails on boot', async () => {
    const pcsc = new FakePcsc();
    pcsc.listError = 'Communication error';
    const { events } = started(pcsc);
    expect(services(events)).toEqual(['down']);
    expect(pcsc.contexts[0]!.close).toHaveBeenCalled();
    pcsc.listError = null;
    await until('service up', () => services(events).includes('up'));
  });

  it('backs off exponentially up to the maximum delay', async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(1);
    const pcsc = new FakePcsc();
    pcsc.contextFailures = Number.POSITIVE_INFINITY;
    const { events } = started(pcsc, { initialBackoffMs: 100, maxBackoffMs: 300 });
    const downs = () => services(events).length;
    expect(downs()).toBe(1);
    for (const delay of [100, 200, 300, 300]) {
      const before = downs();
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(downs()).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(downs()).toBe(before + 1);
    }
  });

  it('restarts when the monitor reports a communication error, then recovers', async () => {
    const pcsc = new FakePcsc();
    pcsc.readers = [fakeReader('R1')];
    const { events } = started(pcsc);
    const [firstDevices] = pcsc.devices;
    events.length = 0;
    firstDevices!.emit('error', new Error('Communication error'));
    expect(services(events)).toEqual(['down']);
    expect(firstDevices!.stop).toHaveBeenCalled();
    expect(pcsc.contexts[0]!.close).toHaveBeenCalled();
    await until('service up again', () => services(events).includes('up'));
    expect(services(events)).toEqual(['down', 'up']);
    expect(events.at(-1)).toEqual({ type: 'reader-added', reader: 'R1', atr: new Uint8Array(ATR) });
    expect(pcsc.devices).toHaveLength(2);
    expect(pcsc.devices[1]!.start).toHaveBeenCalled();
  });

  it('ignores events and errors from a monitor it has discarded', async () => {
    const pcsc = new FakePcsc();
    const { events } = started(pcsc);
    const [old] = pcsc.devices;
    old!.emit('error', new Error('Communication error'));
    await until('service up again', () => services(events).includes('up') && pcsc.devices.length === 2);
    events.length = 0;
    old!.emit('error', new Error('Communication error'));
    expect(events).toEqual([]);
    expect(old!.listenerCount('reader-attached')).toBe(0);
  });

  it('leaves the readers alone on a monitor error that is not a service failure', () => {
    const pcsc = new FakePcsc();
    pcsc.readers = [fakeReader('R1')];
    const { events } = started(pcsc);
    events.length = 0;
    pcsc.devices[0]!.emit('error', new Error('Unresponsive card'));
    expect(events).toEqual([]);
    expect(pcsc.devices[0]!.stop).not.toHaveBeenCalled();
  });

  it('forwards monitor events as backend events', () => {
    const pcsc = new FakePcsc();
    const { events } = started(pcsc);
    events.length = 0;
    const devices = pcsc.devices[0]!;
    devices.emit('reader-attached', { name: 'R1', state: PRESENT, atr: ATR });
    devices.emit('reader-attached', { name: 'R2' });
    devices.emit('card-removed', { reader: { name: 'R1' }, card: null });
    devices.emit('card-inserted', { reader: { name: 'R1', atr: ATR }, card: {} });
    devices.emit('card-inserted', { reader: { name: 'R2', atr: null }, card: {} });
    devices.emit('reader-detached', { name: 'R2' });
    expect(events).toEqual([
      { type: 'reader-added', reader: 'R1', atr: new Uint8Array(ATR) },
      { type: 'reader-added', reader: 'R2', atr: null },
      { type: 'card-removed', reader: 'R1' },
      { type: 'card-inserted', reader: 'R1', atr: new Uint8Array(ATR) },
      { type: 'reader-removed', reader: 'R2' },
    ]);
  });

  it('restarts when the watchdog finds pcscd gone', async () => {
    const pcsc = new FakePcsc();
    const { events } = started(pcsc, { watchdogMs: 5 });
    events.length = 0;
    pcsc.listError = 'PC/SC service not running';
    await until('service down', () => services(events).includes('down'));
    pcsc.listError = null;
    await until('service up again', () => services(events).includes('up'));
    expect(services(events).slice(0, 2)).toEqual(['down', 'up']);
  });

  it('goes quiet after stop: no retries, monitor stopped and context closed', async () => {
    const pcsc = new FakePcsc();
    const { backend, events } = started(pcsc);
    await backend.stop();
    expect(pcsc.devices[0]!.stop).toHaveBeenCalled();
    expect(pcsc.contexts[0]!.close).toHaveBeenCalled();
    events.length = 0;
    pcsc.devices[0]!.emit('reader-attached', { name: 'R1' });
    await new Promise((r) => setTimeout(r, 30));
    expect(events).toEqual([]);
    expect(pcsc.devices).toHaveLength(1);
  });

  it('stops retrying when stopped while pcscd is down', async () => {
    const pcsc = new FakePcsc();
    pcsc.contextFailures = 1;
    const { backend, events } = started(pcsc);
    expect(services(events)).toEqual(['down']);
    await backend.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(services(events)).toEqual(['down']);
    expect(pcsc.contexts).toHaveLength(0);
  });
});

describe('PcscReaderBackend channels', () => {
  async function channelTo(card: FakeCard): Promise<{ channel: CardChannel; reader: FakeReader }> {
    const pcsc = new FakePcsc();
    const reader = fakeReader('R1', card);
    pcsc.readers = [reader];
    const { backend } = started(pcsc);
    return { channel: await backend.connect('R1'), reader };
  }

  it('connects shared over T=0 or T=1 and reports the card ATR and protocol', async () => {
    const { channel, reader } = await channelTo(fakeCard());
    expect(reader.connect).toHaveBeenCalledWith(SHARED, T0 | T1);
    expect(channel.reader).toBe('R1');
    expect(toHex(channel.atr)).toBe(toHex(ATR));
    expect(channel.protocol).toBe('T=1');
  });

  it('reports T=0 when the card negotiated it, and reads the ATR from the status if needed', async () => {
    const { channel } = await channelTo(fakeCard({ protocol: T0, atr: null }));
    expect(channel.protocol).toBe('T=0');
    expect(toHex(channel.atr)).toBe(toHex(ATR));
  });

  it('refuses a reader that is no longer attached with READER_GONE', async () => {
    const pcsc = new FakePcsc();
    const { backend } = started(pcsc);
    await expectCode(backend.connect('R9'), 'READER_GONE');
  });

  it('maps a connect failure to a typed error', async () => {
    const pcsc = new FakePcsc();
    pcsc.readers = [fakeReader('R1', null)];
    const { backend } = started(pcsc);
    await expectCode(backend.connect('R1'), 'CARD_REMOVED');
  });

  it('transmits the APDU and returns the response bytes', async () => {
    const card = fakeCard();
    const { channel } = await channelTo(card);
    const response = await channel.transmit(Uint8Array.of(0x00, 0xa4, 0x04, 0x00));
    expect(toHex(response)).toBe('6f009000');
    expect(card.transmit).toHaveBeenCalledWith(Buffer.from('00a40400', 'hex'), { maxRecvLength: 65538 });
  });

  it('maps a transmit failure to a typed error', async () => {
    const { channel } = await channelTo(
      fakeCard({ transmit: () => Promise.reject(new Error('Card was removed')) }),
    );
    await expectCode(channel.transmit(Uint8Array.of(0, 0xa4, 4, 0)), 'CARD_REMOVED');
  });

  it('reports CARD_REMOVED when an empty response is followed by the card going away', async () => {
    let polls = 0;
    const { channel } = await channelTo(
      fakeCard({
        transmit: () => Promise.resolve(Buffer.alloc(0)),
        getStatus: () => {
          if (++polls > 2) throw new Error('Card was removed');
          return { atr: ATR };
        },
      }),
    );
    await expectCode(channel.transmit(Uint8Array.of(0, 0xa4, 4, 0)), 'CARD_REMOVED');
    expect(polls).toBe(3);
  });

  it('reports BAD_RESPONSE when a response without status word comes from a card that stays', async () => {
    const { channel } = await channelTo(fakeCard({ transmit: () => Promise.resolve(Buffer.from([0x90])) }));
    vi.useFakeTimers();
    const outcome = errorOf(channel.transmit(Uint8Array.of(0, 0xa4, 4, 0)));
    await vi.advanceTimersByTimeAsync(2000);
    const err = await outcome;
    expect(isObfError(err, 'BAD_RESPONSE')).toBe(true);
  });

  it('leaves the card powered on disconnect and swallows errors from a card already gone', async () => {
    const card = fakeCard({
      disconnect: vi.fn(() => {
        throw new Error('Card was removed');
      }),
    });
    const { channel } = await channelTo(card);
    await expect(channel.disconnect()).resolves.toBeUndefined();
    expect(card.disconnect).toHaveBeenCalledWith(LEAVE);
  });
});
