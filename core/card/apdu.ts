/**
 * ISO/IEC 7816-4 §5.1 command and response APDUs, short length (cases 1–4). Extended length,
 * logical channels and T=0 chaining arrive with the card stack.
 */
import { ObfError } from '../errors.js';

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
  /** Expected response length; 256 is encoded as 00. Undefined means no Le (case 1 or 3). */
  le?: number;
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
  if (c.data.length > 255) throw new RangeError(`short APDU data is at most 255 bytes, got ${c.data.length}`);
  const header = [byte('CLA', c.cla), byte('INS', c.ins), byte('P1', c.p1), byte('P2', c.p2)];
  const lc = c.data.length ? [c.data.length] : [];
  let le: number[] = [];
  if (c.le !== undefined) {
    if (!Number.isInteger(c.le) || c.le < 1 || c.le > 256)
      throw new RangeError(`Le must be 1..256, got ${c.le}`);
    le = [c.le & 0xff];
  }
  return Uint8Array.from([...header, ...lc, ...c.data, ...le]);
}

/** Parses a short command APDU; anything malformed is a typed VALIDATION error naming the fault. */
export function decodeCommand(apdu: Uint8Array): CommandApdu {
  if (apdu.length < 4) throw new ObfError('VALIDATION', `command APDU too short: ${apdu.length} bytes`);
  const [cla, ins, p1, p2] = apdu as unknown as [number, number, number, number];
  const base = { cla, ins, p1, p2 };
  if (apdu.length === 4) return { ...base, data: new Uint8Array(0) };
  const b5 = apdu[4]!;
  if (apdu.length === 5) return { ...base, data: new Uint8Array(0), le: b5 === 0 ? 256 : b5 };
  if (b5 === 0) throw new ObfError('VALIDATION', 'extended-length APDUs are not supported here');
  const body = apdu.subarray(5);
  if (body.length === b5) return { ...base, data: body.slice() };
  if (body.length === b5 + 1) {
    const le = body[b5]!;
    return { ...base, data: body.slice(0, b5), le: le === 0 ? 256 : le };
  }
  throw new ObfError('VALIDATION', `Lc=${b5} does not match the ${body.length} bytes that follow the header`);
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

export function swHex(sw: number): string {
  return sw.toString(16).padStart(4, '0').toUpperCase();
}
