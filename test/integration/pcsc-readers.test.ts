import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadersSnapshot } from '../../core/api/index.js';
import { ReaderManager, decodeResponse, encodeCommand } from '../../core/card/index.js';
import { isObfError, toHex } from '../../core/index.js';
import { PcscReaderBackend } from '../../native/pcsc/index.js';
import { ISD_AID, VIRTUAL_ATR } from '../../native/vcard/index.js';
import { PcscHarness } from '../harness/pcsc-harness.js';

function until(
  manager: ReaderManager,
  what: string,
  check: (s: ReadersSnapshot) => boolean,
  timeoutMs: number,
) {
  const started = Date.now();
  return new Promise<number>((resolve, reject) => {
    if (check(manager.snapshot())) return resolve(0);
    const timer = setTimeout(() => {
      manager.off('change', onChange);
      reject(
        new Error(
          `not seen within ${timeoutMs} ms: ${what}; last snapshot ${JSON.stringify(manager.snapshot())}`,
        ),
      );
    }, timeoutMs);
    const onChange = (_c: unknown, snap: ReadersSnapshot) => {
      if (!check(snap)) return;
      clearTimeout(timer);
      manager.off('change', onChange);
      resolve(Date.now() - started);
    };
    manager.on('change', onChange);
  });
}

const stateOf = (s: ReadersSnapshot, name: string) => s.readers.find((r) => r.name === name)?.state;

describe('readers through real pcscd and vpcd', () => {
  let harness: PcscHarness;
  let manager: ReaderManager;

  beforeAll(async () => {
    harness = await PcscHarness.start({ slots: 4 });
    manager = new ReaderManager(new PcscReaderBackend({ initialBackoffMs: 100, maxBackoffMs: 500 }));
    manager.start();
  });

  afterAll(async () => {
    await manager?.stop();
    await harness?.stop();
  });

  it('lists the four vpcd readers with a virtual card present in each', async () => {
    await until(
      manager,
      '4 readers with cards',
      (s) => harness.readerNames.every((n) => stateOf(s, n) === 'present'),
      5000,
    );
    const snap = manager.snapshot();
    expect(snap.service.state).toBe('up');
    expect(snap.readers.map((r) => r.name)).toEqual(harness.readerNames);
    for (const r of snap.readers) expect(r.atr).toBe(toHex(VIRTUAL_ATR));
  });

  it('sees a card removed and inserted again within a second each', async () => {
    const name = harness.readerNames[1]!;
    harness.remove(1);
    const removedMs = await until(manager, 'card removed', (s) => stateOf(s, name) === 'empty', 1000);
    harness.insert(1);
    const insertedMs = await until(manager, 'card inserted', (s) => stateOf(s, name) === 'present', 1000);
    expect(removedMs).toBeLessThan(1000);
    expect(insertedMs).toBeLessThan(1000);
  });

  it('exchanges APDUs with the virtual card through the whole stack', async () => {
    const channel = await manager.connect(harness.readerNames[0]!);
    try {
      expect(toHex(channel.atr)).toBe(toHex(VIRTUAL_ATR));
      const select = decodeResponse(
        await channel.transmit(encodeCommand({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: ISD_AID, le: 256 })),
      );
      expect(select.sw).toBe(0x9000);
      expect(toHex(select.data)).toContain(toHex(ISD_AID));
      const cplc = decodeResponse(
        await channel.transmit(
          encodeCommand({ cla: 0x80, ins: 0xca, p1: 0x9f, p2: 0x7f, data: new Uint8Array(0), le: 256 }),
        ),
      );
      expect(cplc.sw).toBe(0x9000);
      expect(cplc.data.length).toBe(45); // 9F7F 2A + 42 bytes
      const unknown = decodeResponse(
        await channel.transmit(
          encodeCommand({ cla: 0x00, ins: 0x42, p1: 0, p2: 0, data: new Uint8Array(0) }),
        ),
      );
      expect(unknown.sw).toBe(0x6d00);
    } finally {
      await channel.disconnect();
    }
  });

  it('keeps the station live while a card hangs, and reports CARD_REMOVED when it is pulled mid-command', async () => {
    const name = harness.readerNames[2]!;
    const channel = await manager.connect(name);
    harness.stall(2);
    const pending = channel.transmit(
      encodeCommand({ cla: 0x80, ins: 0xca, p1: 0, p2: 0x45, data: new Uint8Array(0), le: 256 }),
    );
    try {
      // While that card hangs (longer than the supervisor's 1 s watchdog), the station stays
      // live: timers fire and another reader answers. A shared PC/SC context would freeze here.
      const started = Date.now();
      const other = await manager.connect(harness.readerNames[0]!);
      const answer = decodeResponse(
        await other.transmit(encodeCommand({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: ISD_AID, le: 256 })),
      );
      await other.disconnect();
      expect(answer.sw).toBe(0x9000);
      const ticks: number[] = [];
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          ticks.push(Date.now() - started);
          if (ticks.length === 15) {
            clearInterval(timer);
            resolve();
          }
        }, 100);
      });
      expect(ticks.at(-1)!).toBeLessThan(2500);
      harness.remove(2);
      const error = await pending.then(
        () => null,
        (err: unknown) => err,
      );
      expect(isObfError(error, 'CARD_REMOVED'), `got ${String(error)}`).toBe(true);
    } finally {
      await channel.disconnect();
      harness.insert(2);
    }
    await until(manager, 'card back', (s) => stateOf(s, name) === 'present', 2000);
  });

  it('recovers after pcscd is killed and restarted: down, then the readers come back', async () => {
    await harness.killPcscd('SIGKILL');
    await until(manager, 'service down', (s) => s.service.state === 'down' && s.readers.length === 0, 5000);
    await expect(manager.connect(harness.readerNames[0]!)).rejects.toMatchObject({ code: 'NO_READER' });
    await harness.startPcscd();
    await until(
      manager,
      'service up with 4 cards',
      (s) => s.service.state === 'up' && harness.readerNames.every((n) => stateOf(s, n) === 'present'),
      10_000,
    );
    const channel = await manager.connect(harness.readerNames[3]!);
    const r = decodeResponse(
      await channel.transmit(encodeCommand({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: ISD_AID, le: 256 })),
    );
    expect(r.sw).toBe(0x9000);
    await channel.disconnect();
  });
});
