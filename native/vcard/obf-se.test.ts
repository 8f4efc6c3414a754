import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../core/bytes.js';
import { decodeResponse, encodeCommand, type CardChannel } from '../../core/card/index.js';
import { GpSession, Scp03Wrapper } from '../../core/card/gp/index.js';
import {
  authenticate,
  buildChallenge,
  Dgi,
  encodeIccid,
  Lifecycle,
  OBF_APPLET_AID,
  readIdentity,
  resynchronise,
  selectObfApplet,
  TRANSPORT_KVN,
} from '../../core/card/obf/index.js';
import { aesCbcEncrypt, diversifyKeySet, kcvAes } from '../../core/crypto/index.js';
import { isObfError } from '../../core/index.js';
import { DEV_VENDOR_MASTER, FileCardStore, MemoryCardStore } from './card-state.js';
import { VirtualCard } from './virtual-card.js';

/** An in-process channel to one virtual card; `tamper` may alter what crosses in either direction. */
function channelTo(
  card: VirtualCard,
  tamper?: { command?: (a: Uint8Array) => Uint8Array; response?: (r: Uint8Array) => Uint8Array },
): CardChannel {
  card.reset();
  return {
    reader: 'in-process',
    atr: card.atr,
    protocol: 'T=1',
    transmit: (apdu) => {
      const response = card.process(tamper?.command ? tamper.command(apdu) : apdu);
      return Promise.resolve(tamper?.response ? tamper.response(response) : response);
    },
    disconnect: () => Promise.resolve(),
  };
}

const transportKeys = (kdd: Uint8Array) => diversifyKeySet(DEV_VENDOR_MASTER, kdd);
const issuerKeys = {
  enc: fromHex('11'.repeat(16)),
  mac: fromHex('22'.repeat(16)),
  dek: fromHex('33'.repeat(16)),
};
const k = fromHex('465b5ce8b199b49faa5f0a2ee238a6bc');
const opc = fromHex('cd63cb71954a9f4e48a5994e37a02baf');
const ICCID = '8944000000000000012';

async function personalise(card: VirtualCard, level = 0x33) {
  const transport = await GpSession.open(channelTo(card), { keys: transportKeys, kvn: TRANSPORT_KVN, level });
  await transport.putKeySet(0x31, issuerKeys, TRANSPORT_KVN);
  const session = await GpSession.open(channelTo(card), { keys: issuerKeys, kvn: 0x31, level });
  await session.installForPersonalization(OBF_APPLET_AID);
  await session.storeDgis(
    [
      { dgi: Dgi.ICCID, value: encodeIccid(ICCID) },
      { dgi: Dgi.IMPI, value: new TextEncoder().encode('001010000000012@obf.example') },
      { dgi: Dgi.DOMAIN, value: new TextEncoder().encode('obf.example') },
      { dgi: Dgi.AMF, value: fromHex('8000') },
      { dgi: Dgi.SQN, value: fromHex('000000000020') },
    ],
    [
      { dgi: Dgi.K, value: k },
      { dgi: Dgi.OPC, value: opc },
      { dgi: Dgi.APP_KEY_BASE + 1, value: fromHex('44'.repeat(16)) },
    ],
  );
  await session.setCardStatus(Lifecycle.SECURED);
  return session;
}

describe('the virtual OBF SE over SCP03 (in process)', () => {
  it.each([0x01, 0x03, 0x11, 0x13, 0x33])(
    'personalises and proves the card at security level %s',
    async (level) => {
      const card = new VirtualCard({ serial: 7 });
      const session = await personalise(card, level);
      expect(await session.cardLifecycle()).toBe(Lifecycle.SECURED);
      const channel = channelTo(card);
      await selectObfApplet(channel);
      expect(await readIdentity(channel)).toEqual({
        iccid: ICCID,
        impi: '001010000000012@obf.example',
        domain: 'obf.example',
      });
      const challenge = buildChallenge(
        k,
        opc,
        new Uint8Array(randomBytes(16)),
        fromHex('000000000021'),
        fromHex('8000'),
      );
      const result = await authenticate(channel, challenge.rand, challenge.autn);
      expect(result.kind).toBe('success');
      if (result.kind !== 'success') return;
      expect([toHex(result.res), toHex(result.ck), toHex(result.ik)]).toEqual([
        toHex(challenge.expected.res),
        toHex(challenge.expected.ck),
        toHex(challenge.expected.ik),
      ]);
    },
  );

  it('refuses wrong static keys: the card cryptogram does not verify and no session opens', async () => {
    const card = new VirtualCard({ serial: 8 });
    const wrong = GpSession.open(channelTo(card), { keys: issuerKeys, kvn: TRANSPORT_KVN });
    await expect(wrong).rejects.toMatchObject({ code: 'CARD_AUTH_FAILED' });
  });

  it('answers 6982 to a host cryptogram made with other keys, and keeps no session', async () => {
    const card = new VirtualCard({ serial: 9 });
    const channel = channelTo(card);
    const iu = decodeResponse(card.process(fromHex('00a4040008a000000151000000')));
    expect(iu.sw).toBe(0x9000);
    const answer = decodeResponse(
      card.process(
        encodeCommand({ cla: 0x80, ins: 0x50, p1: 0x30, p2: 0, data: new Uint8Array(8), le: 256 }),
      ),
    );
    expect(answer.sw).toBe(0x9000);
    // An EXTERNAL AUTHENTICATE MACed with made-up session keys.
    const forged = new Scp03Wrapper(
      { sEnc: new Uint8Array(16), sMac: new Uint8Array(16), sRmac: new Uint8Array(16) },
      0x01,
    );
    const ea = forged.wrap({ cla: 0x80, ins: 0x82, p1: 0x01, p2: 0, data: new Uint8Array(8) });
    expect(decodeResponse(card.process(encodeCommand(ea))).sw).toBe(0x6982);
    // Nothing that needs a session works afterwards.
    const putKey = forged.wrap({ cla: 0x80, ins: 0xd8, p1: 0, p2: 0x81, data: Uint8Array.of(0x32) });
    expect(decodeResponse(await channel.transmit(encodeCommand(putKey))).sw).toBe(0x6982);
  });

  it('detects a flipped C-MAC bit: the card answers 6982 and ends the session', async () => {
    const card = new VirtualCard({ serial: 10 });
    let flip = false;
    const channel = channelTo(card, {
      command: (a) => {
        if (!flip) return a;
        const b = a.slice();
        b[b.length - 1]! ^= 0x01;
        return b;
      },
    });
    const session = await GpSession.open(channel, { keys: transportKeys, kvn: TRANSPORT_KVN, level: 0x01 });
    flip = true;
    await expect(session.setCardStatus(Lifecycle.INITIALIZED)).rejects.toMatchObject({ code: 'SW_6982' });
    flip = false;
    await expect(session.setCardStatus(Lifecycle.INITIALIZED)).rejects.toMatchObject({ code: 'SW_6982' });
    expect(card.lifecycle).toBe(Lifecycle.OP_READY);
  });

  it('detects a flipped R-MAC bit on the host side', async () => {
    const card = new VirtualCard({ serial: 11 });
    let flip = false;
    const channel = channelTo(card, {
      response: (r) => {
        if (!flip || r.length < 10) return r;
        const b = r.slice();
        b[0]! ^= 0x80;
        return b;
      },
    });
    const session = await GpSession.open(channel, { keys: transportKeys, kvn: TRANSPORT_KVN, level: 0x13 });
    flip = true;
    const error = await session.cardLifecycle().catch((e: unknown) => e);
    expect(isObfError(error, 'BAD_RESPONSE')).toBe(true);
    expect(String(error)).toContain('R-MAC verification failed');
  });

  it('counts INITIALIZE UPDATEs in the sequence counter and keeps it across power cycles', async () => {
    const store = new MemoryCardStore();
    const first = new VirtualCard({ serial: 12, store });
    await GpSession.open(channelTo(first), { keys: transportKeys, kvn: TRANSPORT_KVN });
    await GpSession.open(channelTo(first), { keys: transportKeys, kvn: TRANSPORT_KVN });
    const again = new VirtualCard({ serial: 12, store });
    await GpSession.open(channelTo(again), { keys: transportKeys, kvn: TRANSPORT_KVN });
    expect(store.load()!.sequenceCounter).toBe(3);
  });

  it('keeps its keys, life cycle and SQN in its state file across a process restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'obf-card-'));
    try {
      const path = join(dir, 'card.json');
      await personalise(new VirtualCard({ serial: 21, store: new FileCardStore(path) }));
      const reborn = new VirtualCard({ serial: 21, store: new FileCardStore(path) });
      expect(reborn.lifecycle).toBe(Lifecycle.SECURED);
      const channel = channelTo(reborn);
      await selectObfApplet(channel);
      const c = buildChallenge(
        k,
        opc,
        new Uint8Array(randomBytes(16)),
        fromHex('000000000040'),
        fromHex('8000'),
      );
      expect((await authenticate(channel, c.rand, c.autn)).kind).toBe('success');
      expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
      expect(readFileSync(path, 'utf8')).toContain('"sqnMs": "000000000040"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rotates the transport keys: the old set no longer opens, the new one reports its KCVs', async () => {
    const card = new VirtualCard({ serial: 13 });
    const transport = await GpSession.open(channelTo(card), { keys: transportKeys, kvn: TRANSPORT_KVN });
    const kcvs = await transport.putKeySet(0x31, issuerKeys, TRANSPORT_KVN);
    expect(kcvs.enc).toBe(toHex(kcvAes(issuerKeys.enc)));
    await expect(
      GpSession.open(channelTo(card), { keys: transportKeys, kvn: TRANSPORT_KVN }),
    ).rejects.toMatchObject({ code: 'SW_6A88' });
    const issuer = await GpSession.open(channelTo(card), { keys: issuerKeys, kvn: 0x31 });
    expect(issuer.kvn).toBe(0x31);
  });

  it.each([24, 32])(
    'rotates to an AES-%i-byte issuer key set and opens SCP03 with it at level 33',
    async (length) => {
      const card = new VirtualCard({ serial: 30 + length });
      const transport = await GpSession.open(channelTo(card), { keys: transportKeys, kvn: TRANSPORT_KVN });
      const big = {
        enc: fromHex('a1'.repeat(length)),
        mac: fromHex('b2'.repeat(length)),
        dek: fromHex('c3'.repeat(length)),
      };
      const kcvs = await transport.putKeySet(0x32, big, TRANSPORT_KVN);
      expect(kcvs.mac).toBe(toHex(kcvAes(big.mac)));
      const session = await GpSession.open(channelTo(card), { keys: big, kvn: 0x32, level: 0x33 });
      await session.installForPersonalization(OBF_APPLET_AID);
      await session.storeDgis([{ dgi: Dgi.SQN, value: fromHex('000000000001') }], [{ dgi: Dgi.K, value: k }]);
      expect(await session.cardLifecycle()).toBe(Lifecycle.OP_READY);
    },
  );

  it('refuses a PUT KEY whose KCV does not match the key (9485)', async () => {
    const card = new VirtualCard({ serial: 14 });
    const session = await GpSession.open(channelTo(card), { keys: transportKeys, kvn: TRANSPORT_KVN });
    const dek = transportKeys(session.kdd).dek;
    const field = (key: Uint8Array, kcv: Uint8Array) =>
      concatBytes(
        Uint8Array.of(0x88, 0x11, 0x10),
        aesCbcEncrypt(dek, new Uint8Array(16), key),
        Uint8Array.of(3),
        kcv,
      );
    const data = concatBytes(
      Uint8Array.of(0x32),
      field(issuerKeys.enc, kcvAes(issuerKeys.enc)),
      field(issuerKeys.mac, fromHex('000000')),
      field(issuerKeys.dek, kcvAes(issuerKeys.dek)),
    );
    const response = await session.send({ cla: 0x80, ins: 0xd8, p1: 0, p2: 0x81, data, le: 256 });
    expect(response.sw).toBe(0x9485);
  });

  it('refuses sensitive DGIs sent in clear, and STORE DATA after the card is SECURED', async () => {
    const card = new VirtualCard({ serial: 15 });
    const session = await GpSession.open(channelTo(card), { keys: transportKeys, kvn: TRANSPORT_KVN });
    await session.installForPersonalization(OBF_APPLET_AID);
    await expect(session.storeDgis([{ dgi: Dgi.K, value: k }], [])).rejects.toMatchObject({
      code: 'SW_6A80',
    });
    await personalise(new VirtualCard({ serial: 16 })); // a fully personalised card for contrast
    const done = new VirtualCard({ serial: 17 });
    const s2 = await personalise(done);
    await s2.installForPersonalization(OBF_APPLET_AID);
    await expect(s2.storeDgis([{ dgi: Dgi.SQN, value: fromHex('000000000001') }], [])).rejects.toMatchObject({
      code: 'SW_6985',
    });
  });

  it('refuses SET STATUS SECURED before the applet is personalised (6985)', async () => {
    const card = new VirtualCard({ serial: 18 });
    const session = await GpSession.open(channelTo(card), { keys: transportKeys, kvn: TRANSPORT_KVN });
    await expect(session.setCardStatus(Lifecycle.SECURED)).rejects.toMatchObject({ code: 'SW_6985' });
  });

  it('answers AUTHENTICATE with 9862 on a MAC failure and with AUTS on a stale SQN, which the host resynchronises', async () => {
    const card = new VirtualCard({ serial: 19 });
    await personalise(card);
    const channel = channelTo(card);
    await selectObfApplet(channel);
    const rand = new Uint8Array(randomBytes(16));
    const good = buildChallenge(k, opc, rand, fromHex('000000000030'), fromHex('8000'));
    const tampered = good.autn.slice();
    tampered[15]! ^= 0x01;
    await expect(authenticate(channel, rand, tampered)).rejects.toMatchObject({ code: 'SW_9862' });
    expect((await authenticate(channel, rand, good.autn)).kind).toBe('success');
    // Replaying the same SQN is refused with a resynchronisation token naming SQN_MS.
    const replay = await authenticate(channel, rand, good.autn);
    expect(replay.kind).toBe('sync-failure');
    if (replay.kind !== 'sync-failure') return;
    expect(toHex(resynchronise(k, opc, rand, replay.auts)!)).toBe('000000000030');
  });

  it('refuses AUTHENTICATE on a card that is not SECURED (6985)', async () => {
    const card = new VirtualCard({ serial: 20 });
    const channel = channelTo(card);
    await selectObfApplet(channel);
    const c = buildChallenge(k, opc, new Uint8Array(16), fromHex('000000000001'), fromHex('8000'));
    await expect(authenticate(channel, c.rand, c.autn)).rejects.toMatchObject({ code: 'SW_6985' });
  });
});
