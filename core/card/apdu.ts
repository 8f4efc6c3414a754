/**
 * ISO/IEC 7816-4 §5.1 command and response APDUs: cases 1–4 in short and extended length, and
 * the logical channel bits of the class byte (§5.4.1).
 */
import { ObfError } from '../errors.js';

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
  /** Expected response length: 1..256 short (256 is encoded 00), up to 65536 extended. None: case 1 or 3. */
  le?: number;
  /** Use the extended length fields even when short ones would do (set by the decoder to round-trip). */
  extended?: boolean;
}

export interface ResponseApdu {
  data: Uint8Array;
  sw: number;
}

function byte(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${name} must be a byte, got ${v}`);
  return v;
}

export function encodeCommand(c: CommandApdu): Uint8Array {
  const header = [byte('CLA', c.cla), byte('INS', c.ins), byte('P1', c.p1), byte('P2', c.p2)];
  if (c.data.length > 65535) throw new RangeError(`APDU data is at most 65535 bytes, got ${c.data.length}`);
  if (c.le !== undefined && (!Number.isInteger(c.le) || c.le < 1 || c.le > 65536)) {
    throw new RangeError(`Le must be 1..65536, got ${c.le}`);
  }
  const extended = c.extended === true || c.data.length > 255 || (c.le ?? 0) > 256;
  if (!extended) {
    const lc = c.data.length ? [c.data.length] : [];
    const le = c.le === undefined ? [] : [c.le & 0xff];
    return Uint8Array.from([...header, ...lc, ...c.data, ...le]);
  }
  // §5.1: extended length fields — a 00 byte, then 2-byte Lc and/or 2-byte Le (0000 = 65536).
  const lc = c.data.length ? [0x00, c.data.length >> 8, c.data.length & 0xff] : [];
  const le =
    c.le === undefined
      ? []
      : c.data.length
        ? [(c.le >> 8) & 0xff, c.le & 0xff]
        : [0x00, (c.le >> 8) & 0xff, c.le & 0xff];
  if (!lc.length && !le.length) return Uint8Array.from(header);
  return Uint8Array.from([...header, ...lc, ...c.data, ...le]);
}

/** Parses a command APDU; anything malformed is a typed VALIDATION error naming the fault. */
export function decodeCommand(apdu: Uint8Array): CommandApdu {
  if (apdu.length < 4) throw new ObfError('VALIDATION', `command APDU too short: ${apdu.length} bytes`);
  const [cla, ins, p1, p2] = apdu as unknown as [number, number, number, number];
  const base = { cla, ins, p1, p2 };
  if (apdu.length === 4) return { ...base, data: new Uint8Array(0) };
  const b5 = apdu[4]!;
  if (apdu.length === 5) return { ...base, data: new Uint8Array(0), le: b5 === 0 ? 256 : b5 };
  if (b5 === 0) return decodeExtended(base, apdu);
  const body = apdu.subarray(5);
  if (body.length === b5) return { ...base, data: body.slice() };
  if (body.length === b5 + 1) {
    const le = body[b5]!;
    return { ...base, data: body.slice(0, b5), le: le === 0 ? 256 : le };
  }
  throw new ObfError('VALIDATION', `Lc=${b5} does not match the ${body.length} bytes that follow the header`);
}

function decodeExtended(base: Pick<CommandApdu, 'cla' | 'ins' | 'p1' | 'p2'>, apdu: Uint8Array): CommandApdu {
  if (apdu.length < 7)
    throw new ObfError(
      'VALIDATION',
      `extended-length APDU of ${apdu.length} bytes: the length field is 3 bytes`,
    );
  const n = (apdu[5]! << 8) | apdu[6]!;
  if (apdu.length === 7) return { ...base, data: new Uint8Array(0), le: n === 0 ? 65536 : n, extended: true };
  if (n === 0) throw new ObfError('VALIDATION', 'extended Lc of 0 followed by more bytes');
  const body = apdu.subarray(7);
  if (body.length === n) return { ...base, data: body.slice(), extended: true };
  if (body.length === n + 2) {
    const le = (body[n]! << 8) | body[n + 1]!;
    return { ...base, data: body.slice(0, n), le: le === 0 ? 65536 : le, extended: true };
  }
  throw new ObfError('VALIDATION', `extended Lc=${n} does not match the ${body.length} bytes that follow`);
}

export function decodeResponse(bytes: Uint8Array): ResponseApdu {
  if (bytes.length < 2) throw new ObfError('BAD_RESPONSE', `response APDU too short: ${bytes.length} bytes`);
  const n = bytes.length;
  return { data: bytes.slice(0, n - 2), sw: (bytes[n - 2]! << 8) | bytes[n - 1]! };
}

export function encodeResponse(data: Uint8Array, sw: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = sw >> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}

/** ISO 7816-4 §11.4.3 / GP Card Spec §11.3 GET DATA for a 2-byte tag (P1 P2), class 80 by default. */
export function getDataCommand(tag: number, cla = 0x80): CommandApdu {
  return { cla, ins: 0xca, p1: (tag >> 8) & 0xff, p2: tag & 0xff, data: new Uint8Array(0), le: 256 };
}

export function swHex(sw: number): string {
  return sw.toString(16).padStart(4, '0').toUpperCase();
}

/**
 * ISO 7816-4 §5.4.1: the class byte for logical channel 0..19 — channels 0-3 in b2b1 of the
 * first interindustry class, 4-19 as 0x40 + (channel − 4) in the further interindustry class;
 * secure messaging (b3b4 in the first, b6 in the further) and proprietary b8 are kept.
 */
export function withLogicalChannel(cla: number, channel: number): number {
  if (!Number.isInteger(channel) || channel < 0 || channel > 19)
    throw new RangeError(`logical channel is 0..19, got ${channel}`);
  const proprietary = cla & 0x80;
  const secure = (cla & 0x0c) !== 0;
  if (channel <= 3) return proprietary | (cla & 0x0c) | channel;
  return proprietary | 0x40 | (secure ? 0x20 : 0) | (channel - 4);
}

export function logicalChannelOf(cla: number): number {
  return (cla & 0x40) !== 0 ? 4 + (cla & 0x0f) : cla & 0x03;
}
