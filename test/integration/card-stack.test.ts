import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../core/bytes.js';
import { ReaderManager, type CardChannel } from '../../core/card/index.js';
import { GpSession } from '../../core/card/gp/index.js';
import {
  authenticate,
  buildChallenge,
  Dgi,
  encodeIccid,
  Lifecycle,
  OBF_APPLET_AID,
  readIdentity,
  selectObfApplet,
  TRANSPORT_KVN,
} from '../../core/card/obf/index.js';
import { diversifyKeySet } from '../../core/crypto/index.js';
import { PcscReaderBackend } from '../../native/pcsc/index.js';
import { DEV_VENDOR_MASTER } from '../../native/vcard/index.js';
import { PcscHarness } from '../harness/pcsc-harness.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'obf-station.js');
const ISSUER_MASTER = fromHex('a1a2a3a4a5a6a7a8a9aaabacadaeafb0');
const ISSUER_KVN = 0x31;

interface Provisioned {
  reader: string;
  iccid: string;
  k: Uint8Array;
  opc: Uint8Array;
}

/** The personalisation this issue promises, one card: rotate keys, store DGIs, secure, prove. */
async function personalise(channel: CardChannel, index: number): Promise<Provisioned & { kcv: string }> {
  const transport = await GpSession.open(channel, {
    keys: (kdd) => diversifyKeySet(DEV_VENDOR_MASTER, kdd),
    kvn: TRANSPORT_KVN,
    level: 0x33,
  });
  const issuerKeys = diversifyKeySet(ISSUER_MASTER, transport.kdd);
  const kcvs = await transport.putKeySet(ISSUER_KVN, issuerKeys, TRANSPORT_KVN);
  // Reopening with the new set is itself the proof that the rotation took.
  const session = await GpSession.open(channel, { keys: issuerKeys, kvn: ISSUER_KVN, level: 0x33 });
  const k = new Uint8Array(randomBytes(16));
  const opc = new Uint8Array(randomBytes(16));
  const iccid = `89440000000000${String(index).padStart(4, '0')}9`;
  await session.installForPersonalization(OBF_APPLET_AID);
  await session.storeDgis(
    [
      { dgi: Dgi.ICCID, value: encodeIccid(iccid) },
      { dgi: Dgi.IMPI, value: new TextEncoder().encode(`00101000000000${index}@obf.test`) },
      { dgi: Dgi.DOMAIN, value: new TextEncoder().encode('obf.test') },
      { dgi: Dgi.AMF, value: fromHex('8000') },
      { dgi: Dgi.SQN, value: fromHex('000000000000') },
    ],
    [
      { dgi: Dgi.K, value: k },
      { dgi: Dgi.OPC, value: opc },
      { dgi: Dgi.APP_KEY_BASE + 1, value: new Uint8Array(randomBytes(16)) },
    ],
  );
  await session.setCardStatus(Lifecycle.SECURED);
  expect(await session.cardLifecycle()).toBe(Lifecycle.SECURED);
  return { reader: channel.reader, iccid, k, opc, kcv: kcvs.enc };
}

async function prove(channel: CardChannel, card: Provisioned, sqn: string) {
  await selectObfApplet(channel);
  const challenge = buildChallenge(
    card.k,
    card.opc,
    new Uint8Array(randomBytes(16)),
    fromHex(sqn),
    fromHex('8000'),
  );
  const result = await authenticate(channel, challenge.rand, challenge.autn);
  if (result.kind !== 'success') throw new Error(`${card.reader}: expected success, got ${result.kind}`);
  return { result, expected: challenge.expected };
}

describe('the card stack through real pcscd + vpcd, 4 cards in parallel', () => {
  let harness: PcscHarness;
  let manager: ReaderManager;
  const cards: Provisioned[] = [];

  beforeAll(async () => {
    harness = await PcscHarness.start({ slots: 4 });
    manager = new ReaderManager(new PcscReaderBackend());
    manager.start();
    await manager.ready();
  });

  afterAll(async () => {
    await manager?.stop();
    await harness?.stop();
  });

  it('opens SCP03, rotates the transport keys, stores the OBF DGIs, secures and authenticates every card', async () => {
    const done = await Promise.all(
      harness.readerNames.map(async (name, i) => {
        const channel = await manager.connect(name);
        try {
          const card = await personalise(channel, i);
          const { result, expected } = await prove(channel, card, '000000000001');
          expect(toHex(result.res)).toBe(toHex(expected.res));
          expect(toHex(result.ck)).toBe(toHex(expected.ck));
          expect(toHex(result.ik)).toBe(toHex(expected.ik));
          expect(await readIdentity(channel)).toMatchObject({ iccid: card.iccid, domain: 'obf.test' });
          return card;
        } finally {
          await channel.disconnect();
        }
      }),
    );
    cards.push(...done);
    expect(new Set(done.map((c) => c.kcv)).size).toBe(4); // per-card diversified issuer keys
  });

  it('keeps keys and SQN across a power cycle (card pulled and reinserted)', async () => {
    const name = harness.readerNames[0]!;
    const waitState = async (state: 'present' | 'empty') => {
      const deadline = Date.now() + 5000;
      while (manager.snapshot().readers.find((r) => r.name === name)?.state !== state) {
        if (Date.now() > deadline) throw new Error(`${name} did not become ${state}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    harness.remove(0);
    await waitState('empty');
    harness.insert(0);
    await waitState('present');
    const channel = await manager.connect(name);
    try {
      const { result, expected } = await prove(channel, cards[0]!, '000000000002');
      expect(toHex(result.res)).toBe(toHex(expected.res));
      // The transport keys are gone for good.
      await expect(
        GpSession.open(channel, {
          keys: (kdd) => diversifyKeySet(DEV_VENDOR_MASTER, kdd),
          kvn: TRANSPORT_KVN,
        }),
      ).rejects.toMatchObject({ code: 'SW_6A88' });
    } finally {
      await channel.disconnect();
    }
  });

  it('answers obf-station card info and card authenticate for a card in a real reader', () => {
    const card = cards[1]!;
    const info = spawnSync(
      process.execPath,
      [BIN, 'card', 'info', '--reader', card.reader, '--readers', 'pcsc', '--json'],
      {
        encoding: 'utf8',
      },
    );
    expect(info.status, info.stderr).toBe(0);
    const parsed = JSON.parse(info.stdout) as { lifecycle: string; keys: { kvn: number }[]; cplc: string };
    expect(parsed.lifecycle).toBe('SECURED');
    expect(parsed.keys.every((k) => k.kvn === ISSUER_KVN)).toBe(true);
    expect(parsed.cplc).toHaveLength(84);

    const challenge = buildChallenge(
      card.k,
      card.opc,
      new Uint8Array(randomBytes(16)),
      fromHex('000000000005'),
      fromHex('8000'),
    );
    const args = ['card', 'authenticate', '--reader', card.reader, '--readers', 'pcsc', '--json'];
    const auth = spawnSync(
      process.execPath,
      [BIN, ...args, '--rand', toHex(challenge.rand), '--autn', toHex(challenge.autn)],
      {
        encoding: 'utf8',
      },
    );
    expect(auth.status, auth.stderr).toBe(0);
    expect(JSON.parse(auth.stdout)).toEqual({
      res: toHex(challenge.expected.res),
      ck: toHex(challenge.expected.ck),
      ik: toHex(challenge.expected.ik),
    });
    // The same challenge again is a replay: the card answers AUTS.
    const replay = spawnSync(
      process.execPath,
      [BIN, ...args, '--rand', toHex(challenge.rand), '--autn', toHex(challenge.autn)],
      {
        encoding: 'utf8',
      },
    );
    expect(replay.status).toBe(0);
    expect(Object.keys(JSON.parse(replay.stdout) as object)).toEqual(['auts']);
  });
});
