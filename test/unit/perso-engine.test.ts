/**
 * The personalisation engine over in-process virtual cards: a batch on three readers, a fault
 * after every single APDU of a card's personalisation (the card pulled, or its answer lost after
 * the card acted on it), and the output files.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReaderManager, type CardChannel } from '../../core/card/index.js';
import { ObfError } from '../../core/errors.js';
import { Kms } from '../../core/kms/index.js';
import {
  BatchRunner,
  BatchStore,
  openPersoKeys,
  readCardKeysJwe,
  runCardJob,
  writeBatchOutputs,
  zeroPersoKeys,
  type PersoKeys,
} from '../../core/perso/index.js';
import { toHex } from '../../core/bytes.js';
import { SimReaderBackend } from '../../native/vcard/index.js';
import { createPersoStation, PASSPHRASES, type PersoStation } from '../harness/perso-station.js';

let dir: string;
let station: PersoStation;
let kms: Kms;
let store: BatchStore;
let keys: PersoKeys;

async function setUp(cards: number) {
  station = await createPersoStation(dir, { cards });
  kms = Kms.open(station.dbPath);
  kms.unlock('oscar', PASSPHRASES.oscar);
  store = new BatchStore(kms.records());
  store.createBatch(station.order, 'oscar');
  keys = openPersoKeys(kms, station.order);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'obf-perso-'));
});
afterEach(() => {
  if (keys) zeroPersoKeys(keys);
  kms?.lock();
  rmSync(dir, { recursive: true, force: true });
});

type Fault =
  | 'card pulled before the command'
  | 'answer lost after the card acted'
  | 'station killed after the card acted';

/**
 * A channel that fails at APDU number `at`. "Station killed" throws an error the job does not
 * record (as a SIGKILL would leave the database: no word of the attempt), after the card acted.
 */
function faulty(channel: CardChannel, at: number, fault: Fault): CardChannel {
  let n = 0;
  return {
    ...channel,
    transmit: async (apdu) => {
      n++;
      if (n === at && fault === 'card pulled before the command')
        throw new ObfError('CARD_REMOVED', 'pulled before the command');
      const response = await channel.transmit(apdu);
      if (n === at && fault === 'answer lost after the card acted')
        throw new ObfError('CARD_REMOVED', 'pulled before the answer');
      if (n === at) throw new ObfError('INTERNAL', 'the station died here');
      return response;
    },
    disconnect: () => channel.disconnect(),
  };
}

/** In-process simulated readers, each holding a blank card, up and listed. */
async function simulatedReaders(slots: number) {
  const backend = new SimReaderBackend({ slots });
  const readers = new ReaderManager(backend);
  readers.start();
  await readers.ready();
  return { backend, readers };
}

/** The batch on every reader, with an operator who swaps cards by hand. */
function manualRun(readers: ReaderManager): BatchRunner {
  return new BatchRunner(readers, store, 'TEST-0001', keys, { readers: 'all', handler: 'manual' });
}

/** The operator: the finished card comes out and a blank one goes in, right after the event. */
function swapSoon(backend: SimReaderBackend, reader: string): void {
  setImmediate(() => {
    backend.remove(reader);
    backend.insert(reader);
  });
}

describe('the personalisation engine on in-process virtual cards', () => {
  it(
    'personalises a 6-card order on three readers, every card proven, and refuses an overlapping order',
    { timeout: 30_000 },
    async () => {
      await setUp(6);
      const { backend, readers } = await simulatedReaders(3);
      const runner = manualRun(readers);
      // The operator: a proven card comes out and a blank one goes in.
      runner.on('card', ({ reader, outcome }) => {
        if (outcome.kind !== 'verified') return;
        swapSoon(backend, reader);
      });
      const summary = await runner.run();
      await readers.stop();
      expect(summary).toMatchObject({ state: 'done', cardCount: 6, assigned: 6 });
      expect(summary.counts).toMatchObject({ verified: 6, rejected: 0 });
      const cards = store.cards('TEST-0001');
      expect(new Set(cards.map((c) => c.iccid)).size).toBe(6);
      expect(new Set(cards.map((c) => c.kcvs.k)).size).toBe(6);
      expect(
        cards.every(
          (c) => c.steps.map((s) => s.step).join(',') === 'open-scp03,put-key,store-data,authenticate',
        ),
      ).toBe(true);
      expect(new Set(cards.map((c) => c.reader)).size).toBe(3);
      expect(kms.verifyAudit().ok).toBe(true);
      const outbox = kms.database().prepare('SELECT count(*) AS n FROM outbox').get() as { n: number };
      expect(outbox.n).toBe(6);
      expect(() => store.createBatch({ ...station.order, batchId: 'OTHER' }, 'oscar')).toThrow(
        /overlaps batch TEST-0001/,
      );
    },
  );

  it(
    'a reader unplugged mid-batch stops its lane while the others finish; pause holds the lanes, resume goes on',
    { timeout: 30_000 },
    async () => {
      await setUp(12);
      const { backend, readers } = await simulatedReaders(3);
      const runner = manualRun(readers);
      let verified = 0;
      let heldAt = -1;
      let heldStill = false;
      runner.on('card', ({ reader, outcome }) => {
        if (outcome.kind !== 'verified') return;
        verified++;
        if (verified === 2) backend.unplug(backend.readerNames[0]!);
        if (verified === 5) {
          runner.pause();
          heldAt = store.summary('TEST-0001').counts.verified;
          // Nothing moves while paused (a card already in hand may finish); then the run goes on.
          setTimeout(() => {
            heldStill = store.summary('TEST-0001').counts.verified <= heldAt + 2;
            runner.resume();
          }, 400);
        }
        setImmediate(() => {
          if (!backend.readerNames.includes(reader)) return;
          backend.remove(reader);
          backend.insert(reader);
        });
      });
      const summary = await runner.run();
      await readers.stop();
      expect(summary.state).toBe('done');
      expect(summary.counts.verified).toBe(12);
      expect(heldStill).toBe(true);
      expect(runner.progress().lanes.find((l) => l.lastError === 'the reader was removed')).toBeDefined();
      const events = (
        kms.database().prepare("SELECT event FROM audit WHERE event LIKE '%batch-%'").all() as {
          event: string;
        }[]
      ).map((r) => (JSON.parse(r.event) as { type: string }).type);
      expect(events).toEqual(
        expect.arrayContaining(['batch-created', 'batch-paused', 'batch-resumed', 'batch-done']),
      );
    },
  );

  it('a station error (the KMS locked mid-run) ends the run only once every lane has stopped', async () => {
    await setUp(12);
    const { backend, readers } = await simulatedReaders(3);
    // Count the channels open at any moment: a lane at a card holds one.
    let open = 0;
    const connect = readers.connect.bind(readers);
    readers.connect = async (name) => {
      const channel = await connect(name);
      open++;
      return { ...channel, disconnect: () => (open--, channel.disconnect()) };
    };
    const runner = manualRun(readers);
    let locked = false;
    runner.on('card', ({ reader, outcome }) => {
      if (outcome.kind === 'verified' && !locked) {
        locked = true;
        kms.lock();
      }
      swapSoon(backend, reader);
    });
    await expect(runner.run()).rejects.toThrow(/locked/);
    // By the time run() answers, no lane is still at a card (the caller zeroes the masters next).
    expect(open).toBe(0);
    await readers.stop();
  });

  it(
    'abort stops every lane after the card in hand; an aborted batch does not run again',
    { timeout: 30_000 },
    async () => {
      await setUp(12);
      const { backend, readers } = await simulatedReaders(2);
      const runner = manualRun(readers);
      runner.on('card', ({ reader, outcome }) => {
        if (outcome.kind === 'verified' && store.summary('TEST-0001').counts.verified >= 3) runner.abort();
        swapSoon(backend, reader);
      });
      const summary = await runner.run();
      expect(summary.state).toBe('aborted');
      expect(summary.counts.verified).toBeLessThan(12);
      await expect(
        new BatchRunner(readers, store, 'TEST-0001', keys, { readers: 'all' }).run(),
      ).rejects.toThrow('is aborted');
      await readers.stop();
    },
  );

  it(
    'after a fault at any APDU — card pulled, answer lost, or the station killed — the same card resumes to a proven card with the same keys',
    { timeout: 60_000 },
    async () => {
      await setUp(160);
      const { backend, readers } = await simulatedReaders(1);
      const reader = backend.readerNames[0]!;
      // Count the APDUs of one clean personalisation first.
      let count = 0;
      const clean = await readers.connect(reader);
      const counting: CardChannel = {
        ...clean,
        transmit: (a) => (count++, clean.transmit(a)),
        disconnect: () => clean.disconnect(),
      };
      expect((await runCardJob(counting, { store, batchId: 'TEST-0001', keys, reader })).kind).toBe(
        'verified',
      );
      // identify 2, SCP03 2, PUT KEY, SCP03 again 2, GET STATUS, INSTALL, STORE DATA ≥ 2, SET STATUS, SELECT, AUTHENTICATE
      expect(count).toBeGreaterThan(14);
      expect(count).toBeLessThan(50);
      let exercised = 0;
      for (let at = 1; at <= count; at++) {
        for (const fault of [
          'card pulled before the command',
          'answer lost after the card acted',
          'station killed after the card acted',
        ] as const) {
          backend.remove(reader);
          backend.insert(reader);
          // A fault while the card is still being identified throws (nothing recorded yet); later ones answer retry.
          const first = await runCardJob(faulty(await readers.connect(reader), at, fault), {
            store,
            batchId: 'TEST-0001',
            keys,
            reader,
          }).catch((err: unknown) => ({ kind: err instanceof ObfError ? err.code : String(err) }));
          expect(['retry', 'CARD_REMOVED', 'INTERNAL'], `APDU ${at}, ${fault}`).toContain(first.kind);
          const second = await runCardJob(await readers.connect(reader), {
            store,
            batchId: 'TEST-0001',
            keys,
            reader,
          });
          expect(second.kind, `APDU ${at}, ${fault}: ${JSON.stringify(second)}`).toBe('verified');
          exercised++;
          if (second.kind === 'verified' && 'card' in first) {
            // The card resumed as itself: the same ICCID and the same keys.
            expect(second.card.iccid).toBe(first.card.iccid);
            expect(second.card.kcvs.k).toBe(first.card.kcvs.k);
          }
        }
      }
      await readers.stop();
      expect(exercised).toBe(count * 3);
      const summary = store.summary('TEST-0001');
      expect(summary.counts.rejected).toBe(0);
      expect(summary.counts.verified).toBe(summary.assigned);
      expect(kms.verifyAudit().ok).toBe(true);
    },
  );

  it('rejects a card whose keys do not match (crypto), and does not touch it again', async () => {
    await setUp(2);
    const { backend, readers } = await simulatedReaders(1);
    const reader = backend.readerNames[0]!;
    const wrong = { ...keys, vendorTransportMaster: new Uint8Array(16).fill(7) };
    const outcome = await runCardJob(await readers.connect(reader), {
      store,
      batchId: 'TEST-0001',
      keys: wrong,
      reader,
    });
    expect(outcome.kind).toBe('rejected');
    if (outcome.kind === 'rejected') {
      expect(outcome.card).toMatchObject({ failureClass: 'crypto', state: 'rejected' });
      expect(outcome.card.lastError).toContain('card cryptogram');
    }
    const again = await runCardJob(await readers.connect(reader), {
      store,
      batchId: 'TEST-0001',
      keys,
      reader,
    });
    expect(again.kind).toBe('rejected');
    await readers.stop();
  });

  it('writes the JWE and the pySim CSV from the verified cards; no clear key in either, hashes audited', async () => {
    await setUp(2);
    const { backend, readers } = await simulatedReaders(2);
    for (const reader of backend.readerNames) {
      expect(
        (await runCardJob(await readers.connect(reader), { store, batchId: 'TEST-0001', keys, reader })).kind,
      ).toBe('verified');
    }
    await readers.stop();
    const { jwe, csv } = await writeBatchOutputs(kms, store, 'TEST-0001', dir, 'oscar');
    expect(jwe?.records).toBe(2);
    expect(csv.records).toBe(2);
    const opened = await readCardKeysJwe(readFileSync(jwe!.path, 'utf8'), station.customerPrivateJwk);
    // Each record's keys are zeroed when the next is read: copy them out one at a time.
    const secrets: { k: string; opc: string }[] = [];
    for (const c of store.verifiedWithSecrets('TEST-0001'))
      secrets.push({ k: toHex(c.secrets.k), opc: toHex(c.secrets.opc) });
    expect(opened.records.map((r) => toHex(r.k)).sort()).toEqual(secrets.map((s) => s.k).sort());
    const files = readFileSync(jwe!.path, 'utf8') + readFileSync(csv.path, 'utf8');
    for (const s of secrets) {
      expect(files.toLowerCase()).not.toContain(s.k);
      expect(files.toLowerCase()).not.toContain(s.opc);
    }
    const events = kms
      .database()
      .prepare("SELECT event FROM audit WHERE event LIKE '%batch-output-file%'")
      .all();
    expect(events).toHaveLength(2);
  });
});
