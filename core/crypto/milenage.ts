/**
 * Milenage, 3GPP TS 35.206 §4.1: f1, f1*, f2, f3, f4, f5, f5* and OPc, on AES-128 (Rijndael
 * with 128-bit block and key, as §4.1 specifies the kernel function E).
 */
import { aesEcbEncrypt, xor } from './aes.js';

export interface MilenageOutput {
  /** MAC-A, network authentication code (8 bytes). */
  f1: Uint8Array;
  /** MAC-S, resynchronisation authentication code (8 bytes). */
  f1star: Uint8Array;
  /** RES (8 bytes). */
  f2: Uint8Array;
  /** CK (16 bytes). */
  f3: Uint8Array;
  /** IK (16 bytes). */
  f4: Uint8Array;
  /** AK (6 bytes). */
  f5: Uint8Array;
  /** AK for resynchronisation (6 bytes). */
  f5star: Uint8Array;
}

function need(name: string, v: Uint8Array, len: number): void {
  if (v.length !== len) throw new RangeError(`Milenage ${name} must be ${len} bytes, got ${v.length}`);
}

/** TS 35.206 §4.1: OPc = OP ⊕ E[OP]K. */
export function computeOpc(k: Uint8Array, op: Uint8Array): Uint8Array {
  need('K', k, 16);
  need('OP', op, 16);
  return xor(aesEcbEncrypt(k, op), op);
}

// rot(x, r): cyclic left rotation by r bits; the r constants (0, 32, 64, 96) are whole bytes.
function rot(x: Uint8Array, bits: number): Uint8Array {
  const n = bits / 8;
  return Uint8Array.from({ length: 16 }, (_, i) => x[(i + n) % 16]!);
}

// c1..c5 of §4.1: zero except the last byte.
const c = (last: number) => Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? last : 0));

export function milenage(
  k: Uint8Array,
  opc: Uint8Array,
  rand: Uint8Array,
  sqn: Uint8Array,
  amf: Uint8Array,
): MilenageOutput {
  need('K', k, 16);
  need('OPc', opc, 16);
  need('RAND', rand, 16);
  need('SQN', sqn, 6);
  need('AMF', amf, 2);
  const temp = aesEcbEncrypt(k, xor(rand, opc));
  const in1 = Uint8Array.from([...sqn, ...amf, ...sqn, ...amf]);
  const out1 = xor(aesEcbEncrypt(k, xor(xor(temp, rot(xor(in1, opc), 64)), c(0))), opc);
  const outN = (r: number, cn: number) => xor(aesEcbEncrypt(k, xor(rot(xor(temp, opc), r), c(cn))), opc);
  const out2 = outN(0, 1);
  const out3 = outN(32, 2);
  const out4 = outN(64, 4);
  const out5 = outN(96, 8);
  return {
    f1: out1.slice(0, 8),
    f1star: out1.slice(8, 16),
    f2: out2.slice(8, 16),
    f5: out2.slice(0, 6),
    f3: out3,
    f4: out4,
    f5star: out5.slice(0, 6),
  };
}
