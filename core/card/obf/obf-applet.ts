/**
 * Host side of the OBF applet: select it, read the identity it was personalised with, and run
 * AUTHENTICATE (TS 31.102 §7.1.2) — including the host-side challenge used to prove a card.
 */
import { concatBytes, bytesEqual, toHex } from '../../bytes.js';
import { milenage, xor } from '../../crypto/index.js';
import { ObfError } from '../../errors.js';
import { getDataCommand } from '../apdu.js';
import { expectSw, transmitApdu } from '../transmit.js';
import type { CardChannel } from '../transport.js';
import { AUTH_SUCCESS_TAG, AUTH_SYNC_FAILURE_TAG, AUTHENTICATE, Dgi, OBF_APPLET_AID } from './profile.js';

export type AuthenticateResult =
  | { kind: 'success'; res: Uint8Array; ck: Uint8Array; ik: Uint8Array }
  | { kind: 'sync-failure'; auts: Uint8Array };

export async function selectObfApplet(channel: CardChannel): Promise<void> {
  expectSw(
    await transmitApdu(channel, { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: OBF_APPLET_AID, le: 256 }),
    'SELECT OBF applet',
  );
}

/** TS 31.102 §7.1.2: 00 88 00 81, data 10 ‖ RAND ‖ 10 ‖ AUTN. 9862 (MAC failure) is a typed SW_9862. */
export async function authenticate(
  channel: CardChannel,
  rand: Uint8Array,
  autn: Uint8Array,
): Promise<AuthenticateResult> {
  if (rand.length !== 16 || autn.length !== 16)
    throw new ObfError('VALIDATION', 'RAND and AUTN are 16 bytes each');
  const data = concatBytes(Uint8Array.of(16), rand, Uint8Array.of(16), autn);
  const out = expectSw(await transmitApdu(channel, { ...AUTHENTICATE, data, le: 256 }), 'AUTHENTICATE');
  return parseAuthenticateResponse(out);
}

export function parseAuthenticateResponse(out: Uint8Array): AuthenticateResult {
  if (out[0] === AUTH_SYNC_FAILURE_TAG && out[1] === 14 && out.length === 16)
    return { kind: 'sync-failure', auts: out.slice(2) };
  if (out[0] !== AUTH_SUCCESS_TAG)
    throw new ObfError('BAD_RESPONSE', `AUTHENTICATE answer starts ${toHex(out.slice(0, 1))}, not DB or DC`);
  const fields: Uint8Array[] = [];
  let i = 1;
  while (i < out.length && fields.length < 3) {
    const len = out[i]!;
    if (i + 1 + len > out.length)
      throw new ObfError('BAD_RESPONSE', 'AUTHENTICATE answer: a field runs past the end');
    fields.push(out.slice(i + 1, i + 1 + len));
    i += 1 + len;
  }
  const [res, ck, ik] = fields;
  if (!res || !ck || !ik || ck.length !== 16 || ik.length !== 16)
    throw new ObfError('BAD_RESPONSE', 'AUTHENTICATE answer lacks RES, CK or IK');
  return { kind: 'success', res, ck, ik };
}

export interface Challenge {
  rand: Uint8Array;
  autn: Uint8Array;
  expected: { res: Uint8Array; ck: Uint8Array; ik: Uint8Array };
}

/** TS 33.102 §6.3.2: AUTN = SQN ⊕ AK ‖ AMF ‖ MAC-A, with the outputs the card must return. */
export function buildChallenge(
  k: Uint8Array,
  opc: Uint8Array,
  rand: Uint8Array,
  sqn: Uint8Array,
  amf: Uint8Array,
): Challenge {
  const out = milenage(k, opc, rand, sqn, amf);
  return {
    rand,
    autn: concatBytes(xor(sqn, out.f5), amf, out.f1),
    expected: { res: out.f2, ck: out.f3, ik: out.f4 },
  };
}

/** TS 33.102 §6.3.5: recovers SQN_MS from AUTS and checks MAC-S; null when MAC-S is wrong. */
export function resynchronise(
  k: Uint8Array,
  opc: Uint8Array,
  rand: Uint8Array,
  auts: Uint8Array,
): Uint8Array | null {
  const ak = milenage(k, opc, rand, new Uint8Array(6), new Uint8Array(2)).f5star;
  const sqnMs = xor(auts.subarray(0, 6), ak);
  const check = milenage(k, opc, rand, sqnMs, new Uint8Array(2));
  return bytesEqual(check.f1star, auts.subarray(6, 14)) ? sqnMs : null;
}

/** GET DATA of the identity the applet was personalised with (ICCID as EF_ICCID bytes). */
export async function readIdentity(
  channel: CardChannel,
): Promise<{ iccid: string | null; impi: string | null; domain: string | null }> {
  const get = async (tag: number) => {
    const r = await transmitApdu(channel, getDataCommand(tag));
    return r.sw === 0x9000 ? r.data : null;
  };
  const iccid = await get(Dgi.ICCID);
  const impi = await get(Dgi.IMPI);
  const domain = await get(Dgi.DOMAIN);
  const text = (v: Uint8Array | null) => (v ? new TextDecoder().decode(v) : null);
  return { iccid: iccid ? decodeIccid(iccid) : null, impi: text(impi), domain: text(domain) };
}

/** TS 102 221 §13.2 EF_ICCID: BCD with the nibbles of each byte swapped, padded with F. */
export function encodeIccid(digits: string): Uint8Array {
  if (!/^\d{18,20}$/.test(digits))
    throw new ObfError('VALIDATION', `an ICCID is 18 to 20 digits, got "${digits}"`);
  const padded = digits.padEnd(20, 'f');
  return Uint8Array.from({ length: 10 }, (_, i) => parseInt(padded[2 * i + 1]! + padded[2 * i]!, 16));
}

export function decodeIccid(bytes: Uint8Array): string {
  return [...bytes]
    .map((b) => (b & 0x0f).toString(16) + (b >> 4).toString(16))
    .join('')
    .replace(/f+$/, '');
}
