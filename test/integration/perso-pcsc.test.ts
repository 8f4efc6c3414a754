/**
 * Factory personalisation through the real PC/SC stack: the built CLI on 4 vpcd readers under
 * pcscd, a card handler (this test) swapping each finished card for a blank one. Then the same
 * with faults: cards pulled mid-personalisation, pcscd killed and restarted, the station killed
 * with SIGKILL and run again. Afterwards every card is verified or rejected with a reason, no
 * ICCID twice, and every card kept by the simulator answers AUTHENTICATE with the KMS's keys.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesEqual, fromHex, toHex } from '../../core/bytes.js';
import { expectSw, getDataCommand, parseTlv, transmitApdu, type CardChannel } from '../../core/card/index.js';
import { authenticate, buildChallenge, ISD_AID, selectObfApplet } from '../../core/card/obf/index.js';
import { Kms } from '../../core/kms/index.js';
import { BatchStore, readCardKeysJwe } from '../../core/perso/index.js';
import { FileCardStore, VirtualCard } from '../../native/vcard/index.js';
import { PcscHarness } from '../harness/pcsc-harness.js';
import { createPersoStation, PASSPHRASES, type PersoStation } from '../harness/perso-station.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'obf-station.js');

interface Run {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>;
  cards: { reader: string; outcome: string; iccid: string | null; error?: string }[];
}

/** `perso run` on the vpcd readers, with this test as the card handler: each finished card is swapped for a blank. */
function persoRun(station: PersoStation, harness: PcscHarness): Run {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'perso',
      'run',
      '--db',
      station.dbPath,
      '--user',
      'oscar',
      '--order',
      station.orderPath,
      '--source',
      'pcsc',
      '--handler',
      'auto',
      '--json',
    ],
    { env: { ...process.env, OBF_PASSPHRASE_OSCAR: PASSPHRASES.oscar }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const run: Run = { child, exit: null as never, cards: [] };
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  createInterface({ input: child.stderr }).on('line', (line) => {
    let msg: { event?: string; reader?: string; outcome?: string; iccid?: string | null; error?: string };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return; // a non-JSON line (a crash trace) shows in the failure through stdout/exit
    }
    if (msg.event !== 'card' || !msg.reader) return;
    run.cards.push({
      reader: msg.reader,
      outcome: msg.outcome!,
      iccid: msg.iccid ?? null,
      ...(msg.error ? { error: msg.error } : {}),
    });
    // The handler moves verified and rejected cards out; a card to retry stays in.
    if (msg.outcome === 'verified' || msg.outcome === 'rejected' || msg.outcome === 'already-verified') {
      const slot = harness.readerNames.indexOf(msg.reader);
      if (slot >= 0) harness.swap(slot);
    }
  });
  run.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout })));
  return run;
}

/** An in-process channel to a card kept in a state file. */
function channelTo(card: VirtualCard): CardChannel {
  card.reset();
  return {
    reader: 'state file',
    atr: card.atr,
    protocol: 'T=1',
    transmit: (apdu) => Promise.resolve(card.process(apdu)),
    disconnect: () => Promise.resolve(),
  };
}

/** Every card the simulator kept: the ones with an ICCID must answer AUTHENTICATE with the KMS copy of their keys. */
async function checkCardsAgainstKms(station: PersoStation, stateDir: string) {
  const kms = Kms.open(station.dbPath);
  kms.unlock('oscar', PASSPHRASES.oscar);
  const store = new BatchStore(kms.records());
  let proven = 0;
  const keys: Buffer[] = [];
  try {
    for (const file of readdirSync(stateDir).filter((f) => f.endsWith('.json'))) {
      const card = new VirtualCard({ serial: 0, store: new FileCardStore(join(stateDir, file)) });
      const channel = channelTo(card);
      await transmitApdu(channel, { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: ISD_AID, le: 256 });
      const cin = expectSw(await transmitApdu(channel, getDataCommand(0x0045)), 'GET DATA CIN');
      const cardId = toHex(parseTlv(cin)[0]!.value);
      const record = store.card(cardId);
      if (!record) continue; // a blank card the handler put in after the order was complete
      if (record.state !== 'verified') continue; // rejected, with its reason (checked by the caller)
      const secrets = store.secrets(record);
      keys.push(Buffer.from(secrets.k), Buffer.from(secrets.opc));
      for (const k of secrets.appKeys.values()) keys.push(Buffer.from(k));
      await selectObfApplet(channel);
      const challenge = buildChallenge(
        secrets.k,
        secrets.opc,
        new Uint8Array(randomBytes(16)),
        fromHex(record.nextSqn),
        fromHex('8000'),
      );
      const result = await authenticate(channel, challenge.rand, challenge.autn);
      expect(result.kind, `${record.iccid} in ${file}`).toBe('success');
      if (result.kind === 'success') {
        expect(bytesEqual(result.res, challenge.expected.res), record.iccid).toBe(true);
        expect(bytesEqual(result.ck, challenge.expected.ck), record.iccid).toBe(true);
      }
      proven++;
    }
    return {
      proven,
      keys,
      summary: store.summary(station.order.batchId),
      cards: store.cards(station.order.batchId),
    };
  } finally {
    kms.lock();
  }
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'obf-perso-pcsc-'));
  dirs.push(dir);
  return dir;
}

describe('perso run through real pcscd + vpcd, 4 readers', () => {
  let harness: PcscHarness;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = join(tempDir(), 'cards');
    mkdirSync(stateDir);
    harness = await PcscHarness.start({ slots: 4, stateDir });
  }, 60_000);

  afterAll(async () => {
    await harness?.stop();
  });

  it('personalises a 16-card order, proves every card, and writes output files only the right keys open', async () => {
    const station = await createPersoStation(tempDir(), {
      cards: 16,
      batchId: 'PCSC-0001',
      iccidStart: 1000,
    });
    const run = persoRun(station, harness);
    const { code, stdout } = await run.exit;
    expect(code, stdout).toBe(0);
    const result = JSON.parse(stdout) as {
      batch: { state: string; counts: Record<string, number> };
      outputs: { jwe: { path: string; records: number }; csv: { path: string; records: number } };
    };
    expect(result.batch.state).toBe('done');
    expect(result.batch.counts).toMatchObject({ verified: 16, rejected: 0 });
    expect(new Set(run.cards.filter((c) => c.outcome === 'verified').map((c) => c.reader)).size).toBe(4);
    const opened = await readCardKeysJwe(
      readFileSync(result.outputs.jwe.path, 'utf8'),
      station.customerPrivateJwk,
    );
    expect(opened.records).toHaveLength(16);
    const checked = await checkCardsAgainstKms(station, stateDir);
    expect(checked.proven).toBeGreaterThanOrEqual(16);
    // No card key in clear anywhere in the station's folder: database, WAL, keyring, output files.
    expect(checked.keys.length).toBeGreaterThanOrEqual(16 * 4);
    const home = dirname(station.dbPath);
    const files = readdirSync(home, { recursive: true, encoding: 'utf8' })
      .map((f) => join(home, f))
      .filter((f) => statSync(f).isFile());
    expect(files.some((f) => f.endsWith('.csv'))).toBe(true);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const key of checked.keys) {
        const hex = key.toString('hex');
        for (const needle of [
          key,
          Buffer.from(hex),
          Buffer.from(hex.toUpperCase()),
          Buffer.from(key.toString('base64')),
        ])
          expect(bytes.includes(needle), `${f} holds a card key in clear`).toBe(false);
      }
    }
  }, 120_000);

  it('survives cards pulled mid-way, pcscd killed and restarted, and the station killed: every card ends proven or rejected with a reason', async () => {
    const station = await createPersoStation(tempDir(), {
      cards: 24,
      batchId: 'PCSC-FAULT',
      iccidStart: 5000,
    });
    // Run 1: pull two cards mid-personalisation, then SIGKILL the station.
    const first = persoRun(station, harness);
    await waitUntil(() => first.cards.filter((c) => c.outcome === 'verified').length >= 3, 60_000);
    harness.remove(1);
    harness.remove(2);
    await sleep(300);
    harness.insert(1);
    harness.insert(2);
    await waitUntil(() => first.cards.filter((c) => c.outcome === 'verified').length >= 7, 60_000);
    first.child.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');
    // Run 2: pcscd dies and comes back while the batch runs.
    const second = persoRun(station, harness);
    await waitUntil(() => second.cards.filter((c) => c.outcome === 'verified').length >= 3, 60_000);
    await harness.killPcscd('SIGKILL');
    await sleep(500);
    await harness.startPcscd();
    const end = await second.exit;
    expect(end.code, end.stdout).toBe(0);
    const { proven, summary, cards } = await checkCardsAgainstKms(station, stateDir);
    expect(summary.state).toBe('done');
    expect(summary.counts.verified + summary.counts.rejected).toBe(24);
    expect(new Set(cards.map((c) => c.iccid)).size).toBe(cards.length);
    for (const c of cards.filter((x) => x.state === 'rejected')) expect(c.lastError, c.iccid).toBeTruthy();
    expect(proven).toBeGreaterThanOrEqual(summary.counts.verified);
  }, 240_000);
});

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
