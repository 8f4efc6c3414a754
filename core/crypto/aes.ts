/**
 * AES block operations over node:crypto (OpenSSL); every construction in this folder is built
 * from these, never from a hand-written cipher.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

export const AES_BLOCK = 16;

function aesName(key: Uint8Array, mode: 'ecb' | 'cbc'): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new RangeError(`AES keys are 16, 24 or 32 bytes, got ${key.length}`);
  }
  return `aes-${key.length * 8}-${mode}`;
}

function run(
  cipher: { update(d: Uint8Array): Buffer; final(): Buffer; setAutoPadding(p: boolean): unknown },
  data: Uint8Array,
) {
  cipher.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
}

function requireBlocks(data: Uint8Array): void {
  if (data.length % AES_BLOCK !== 0)
    throw new RangeError(`AES data must be whole blocks, got ${data.length} bytes`);
}

export function aesEcbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  requireBlocks(data);
  return run(createCipheriv(aesName(key, 'ecb'), key, null), data);
}

/**
 * One AES-ECB cipher for many single blocks (a MAC chain): with padding off, ECB turns each
 * whole block handed to update() into its ciphertext at once, so one key schedule serves all.
 */
export function aesEcbBlockEncryptor(key: Uint8Array): (block: Uint8Array) => Uint8Array {
  const cipher = createCipheriv(aesName(key, 'ecb'), key, null);
  cipher.setAutoPadding(false);
  return (block) => {
    if (block.length !== AES_BLOCK) throw new RangeError(`one AES block is 16 bytes, got ${block.length}`);
    return new Uint8Array(cipher.update(block));
  };
}

export function aesEcbDecrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  requireBlocks(data);
  return run(createDecipheriv(aesName(key, 'ecb'), key, null), data);
}

export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  requireBlocks(data);
  return run(createCipheriv(aesName(key, 'cbc'), key, iv), data);
}

export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  requireBlocks(data);
  return run(createDecipheriv(aesName(key, 'cbc'), key, iv), data);
}

export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new RangeError(`xor of ${a.length} and ${b.length} bytes`);
  return a.map((v, i) => v ^ b[i]!);
}
