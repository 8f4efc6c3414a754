/**
 * One card through OBF card profile v1 (DESIGN.md §4, docs/card-profile-obf-v1.md):
 * identify (CIN) → ICCID and keys from the batch → SCP03 with the vendor's transport keys →
 * PUT KEY the issuer set → INSTALL [for personalization] + STORE DATA → SET STATUS SECURED →
 * AUTHENTICATE with a host-computed challenge. Each step is recorded before the next,
 * irreversible one, and a card that comes back is read for where it stands (which key set
 * opens it, its life cycle) and rolled forward — never personalised again with other keys.
 */
import { randomBytes } from 'node:crypto';
import { bytesEqual, fromHex, toHex } from '../bytes.js';
import { getDataCommand } from '../card/apdu.js';
import { GpSession, type StaticKeys } from '../card/gp/index.js';
import {
  authenticate,
  buildChallenge,
  Dgi,
  encodeIccid,
  ISD_AID,
  Lifecycle,
  OBF_APPLET_AID,
  resynchronise,
  selectObfApplet,
  TRANSPORT_KVN,
} from '../card/obf/index.js';
import { parseTlv } from '../card/tlv.js';
import { expectSw, transmitApdu } from '../card/transmit.js';
import type { CardChannel } from '../card/transport.js';
import { computeOpc, diversifyKeySet, kcvAes } from '../crypto/index.js';
import { isObfError, ObfError } from '../errors.js';
import type {
  AttemptProgress,
  BatchStore,
  CardRecord,
  CardSecrets,
  CardState,
  FailureClass,
  StepTiming,
} from './batch-store.js';
import { zeroSecrets } from './batch-store.js';
import type { Order } from './order.js';

/** The key version the issuer's set gets on the card (the transport set is TRANSPORT_KVN). */
export const ISSUER_KVN = 0x31;

/** The batch's masters, opened from the KMS for the run and zeroed after it. */
export interface PersoKeys {
  vendorTransportMaster: Uint8Array;
  issuerMaster: Uint8Array;
  op: Uint8Array;
}

export interface CardJobContext {
  store: BatchStore;
  batchId: string;
  keys: PersoKeys;
  reader: string;
  /** Each step as it starts (the lane shows it). */
  onStep?: (step: string, iccid: string | null) => void;
}

export type CardOutcome =
  | { kind: 'verified'; card: CardRecord }
  | { kind: 'already-verified'; card: CardRecord }
  | { kind: 'rejected'; card: CardRecord }
  /** A transient failure: the card keeps its state and resumes when it comes back. */
  | { kind: 'retry'; card: CardRecord }
  /** Not an OBF v1 card, or one that never got an ICCID here: nothing is recorded. */
  | { kind: 'unknown-card'; reason: string }
  | { kind: 'order-complete' };

export function classify(err: unknown): FailureClass {
  if (!isObfError(err)) return 'transient';
  if (err.code === 'CARD_AUTH_FAILED' || err.code === 'KCV_MISMATCH') return 'crypto';
  if (err.code.startsWith('SW_') || err.code === 'BAD_RESPONSE' || err.code === 'BAD_TLV')
    return 'wrong-card';
  return 'transient';
}

/** Errors that are the station's, not the card's: the lane stops instead of blaming the card. */
function isStationError(err: unknown): boolean {
  return (
    isObfError(err) && (err.code.startsWith('KMS_') || err.code === 'INTERNAL' || err.code === 'VALIDATION')
  );
}

export async function runCardJob(channel: CardChannel, ctx: CardJobContext): Promise<CardOutcome> {
  const { store, batchId, reader } = ctx;
  const order = store.order(batchId);
  let cardId: string;
  try {
    cardId = await identify(channel);
  } catch (err) {
    // A pulled card or a PC/SC hiccup says nothing about the card: the lane tries again.
    if (classify(err) === 'transient') throw err;
    return {
      kind: 'unknown-card',
      reason: `not an OBF v1 card: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  const known = store.card(cardId);
  if (known && known.batchId !== batchId)
    return { kind: 'unknown-card', reason: `card ${cardId} belongs to batch ${known.batchId}` };
  if (known?.state === 'verified') return { kind: 'already-verified', card: known };
  if (known?.state === 'rejected') return { kind: 'rejected', card: known };
  const card = known ?? (await store.assign(batchId, cardId, reader, () => newSecrets(order, ctx.keys.op)));
  if (!card) return { kind: 'order-complete' };

  const timed = async <T>(
    step: string,
    work: () => Promise<T>,
  ): Promise<{ value: T; timing: StepTiming }> => {
    ctx.onStep?.(step, card.iccid);
    const started = performance.now();
    const value = await work();
    return {
      value,
      timing: {
        step,
        ms: Math.round((performance.now() - started) * 100) / 100,
        at: new Date().toISOString(),
      },
    };
  };

  let secrets: CardSecrets | null = null;
  const opened: StaticKeys[] = [];
  // How far this attempt got, written with its outcome. Only the ICCID and keys had to be on
  // disk before the card was touched (assign); the rest the card itself says when it comes back.
  const progress: AttemptProgress = { state: card.state, steps: [], kcvs: {} };
  const reached = (state: CardState, timing: StepTiming | null, kcvs: Record<string, string> = {}) => {
    progress.state = state;
    if (timing) progress.steps.push(timing);
    Object.assign(progress.kcvs, kcvs);
  };
  try {
    secrets = store.secrets(card);
    const issuerKeysFor = (kdd: Uint8Array) => diversifyKeySet(ctx.keys.issuerMaster, kdd);
    // Whichever set the card holds now says how far an earlier attempt got.
    const first = await timed('open-scp03', () =>
      GpSession.open(channel, {
        kvn: 0,
        keys: (kdd, kvn) => {
          const set =
            kvn === ISSUER_KVN ? issuerKeysFor(kdd) : diversifyKeySet(ctx.keys.vendorTransportMaster, kdd);
          opened.push(set);
          return set;
        },
      }),
    );
    let session = first.value;
    progress.steps.push(first.timing);
    if (session.kvn !== ISSUER_KVN) {
      if (session.kvn !== TRANSPORT_KVN) throw wrongCard(`the card holds key set ${hex2(session.kvn)}`);
      const issuerKeys = issuerKeysFor(session.kdd);
      const put = await timed('put-key', () => session.putKeySet(ISSUER_KVN, issuerKeys, TRANSPORT_KVN));
      reached('issuer-keys', put.timing, { issuerEnc: put.value.enc });
      session = await reopen(channel, issuerKeys);
      // The session keeps using the set's DEK for STORE DATA: zeroed when the card is done.
      opened.push(issuerKeys);
    } else if (progress.state === 'assigned') {
      // PUT KEY took before an earlier attempt could record it: the card says so.
      reached('issuer-keys', null);
    }
    const lifecycle = await session.cardLifecycle();
    if (lifecycle > Lifecycle.SECURED)
      throw wrongCard(`the card is locked or terminated (${hex2(lifecycle)})`);
    if (lifecycle < Lifecycle.SECURED) {
      const s = secrets;
      const stored = await timed('store-data', async () => {
        await session.installForPersonalization(OBF_APPLET_AID);
        await session.storeDgis(plainDgis(order, card), sensitiveDgis(s));
        await session.setCardStatus(Lifecycle.SECURED);
      });
      reached('secured', stored.timing);
    } else {
      reached('secured', null);
    }
    const s = secrets;
    const proof = await timed('authenticate', () => prove(channel, s, order, card.nextSqn));
    progress.steps.push(proof.timing);
    return { kind: 'verified', card: await store.verified(cardId, progress, reader, proof.value) };
  } catch (err) {
    if (isStationError(err)) throw err;
    const failureClass = classify(err);
    const updated = await store.failed(
      cardId,
      failureClass,
      err instanceof Error ? err.message : String(err),
      reader,
      progress,
    );
    return { kind: updated.state === 'rejected' ? 'rejected' : 'retry', card: updated };
  } finally {
    if (secrets) zeroSecrets(secrets);
    opened.forEach(zeroKeys);
  }
}

/** GP Card Spec §11.3 GET DATA (0045): the card image number names this physical card. */
async function identify(channel: CardChannel): Promise<string> {
  expectSw(
    await transmitApdu(channel, { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: ISD_AID, le: 256 }),
    'SELECT ISD',
  );
  const data = expectSw(await transmitApdu(channel, getDataCommand(0x0045)), 'GET DATA CIN');
  const [cin] = parseTlv(data);
  if (!cin || cin.tag !== 0x45 || cin.value.length === 0) throw wrongCard('no card image number (tag 45)');
  return toHex(cin.value);
}

async function reopen(channel: CardChannel, keys: StaticKeys): Promise<GpSession> {
  // Opening with the new set is itself the proof that PUT KEY took.
  return GpSession.open(channel, { keys, kvn: ISSUER_KVN });
}

/**
 * TS 33.102 §6.3: AUTHENTICATE with a challenge computed from the KMS copy of K and OPc; RES, CK
 * and IK must be ours. A sync failure (the card's SQN is ahead, e.g. an earlier proof) is
 * resolved once through AUTS (§6.3.5). Answers the SQN the next proof starts from.
 */
async function prove(channel: CardChannel, s: CardSecrets, order: Order, sqnHex: string): Promise<string> {
  await selectObfApplet(channel);
  const amf = fromHex(order.amf);
  let sqn = BigInt(`0x${sqnHex}`);
  for (let attempt = 0; attempt < 2; attempt++) {
    const rand = new Uint8Array(randomBytes(16));
    const challenge = buildChallenge(s.k, s.opc, rand, sqnBytes(sqn), amf);
    const result = await authenticate(channel, challenge.rand, challenge.autn);
    if (result.kind === 'success') {
      const { res, ck, ik } = challenge.expected;
      if (!bytesEqual(result.res, res) || !bytesEqual(result.ck, ck) || !bytesEqual(result.ik, ik))
        throw cryptoError('the card’s RES/CK/IK differ from the KMS copy of its keys');
      return sqnHex48(sqn + 1n);
    }
    const sqnMs = resynchronise(s.k, s.opc, rand, result.auts);
    if (!sqnMs) throw cryptoError('the card’s AUTS does not verify with the KMS copy of its keys');
    sqn = BigInt(`0x${toHex(sqnMs)}`) + 1n;
  }
  throw cryptoError('the card refused two fresh challenges');
}

function newSecrets(order: Order, op: Uint8Array) {
  const k = new Uint8Array(randomBytes(16));
  const opc = computeOpc(k, op);
  const appKeys = new Map<number, Uint8Array>(
    order.appKeySlots.map((slot) => [slot, new Uint8Array(randomBytes(16))]),
  );
  return { secrets: { k, opc, appKeys }, kcvs: { k: toHex(kcvAes(k)), opc: toHex(kcvAes(opc)) } };
}

function plainDgis(order: Order, card: CardRecord) {
  const text = (v: string) => new TextEncoder().encode(v);
  return [
    { dgi: Dgi.ICCID, value: encodeIccid(card.iccid) },
    { dgi: Dgi.IMPI, value: text(card.impi) },
    { dgi: Dgi.DOMAIN, value: text(order.obfDomain) },
    { dgi: Dgi.AMF, value: fromHex(order.amf) },
    { dgi: Dgi.SQN, value: fromHex(order.initialSqn) },
  ];
}

function sensitiveDgis(s: CardSecrets) {
  return [
    { dgi: Dgi.K, value: s.k },
    { dgi: Dgi.OPC, value: s.opc },
    ...[...s.appKeys].map(([slot, key]) => ({ dgi: Dgi.APP_KEY_BASE + slot, value: key })),
  ];
}

function zeroKeys(keys: StaticKeys): void {
  keys.enc.fill(0);
  keys.mac.fill(0);
  keys.dek.fill(0);
}

function wrongCard(message: string): ObfError {
  return new ObfError('BAD_RESPONSE', message);
}

function cryptoError(message: string): ObfError {
  return new ObfError('CARD_AUTH_FAILED', message);
}

function sqnBytes(sqn: bigint): Uint8Array {
  return fromHex(sqnHex48(sqn));
}

function sqnHex48(sqn: bigint): string {
  return (sqn & 0xffffffffffffn).toString(16).padStart(12, '0');
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
