/** AES key wrap, RFC 3394 (default IV A6A6A6A6A6A6A6A6), through OpenSSL's id-aesNNN-wrap. */
import { createCipheriv, createDecipheriv } from 'node:crypto';

const DEFAULT_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

function algorithm(kek: Uint8Array): string {
  if (kek.length !== 16 && kek.length !== 24 && kek.length !== 32) {
    throw new RangeError(`a key-encryption key is 16, 24 or 32 bytes, got ${kek.length}`);
  }
  return `id-aes${kek.length * 8}-wrap`;
}

export function aesKeyWrap(kek: Uint8Array, keyData: Uint8Array): Uint8Array {
  if (keyData.length < 16 || keyData.length % 8 !== 0) {
    throw new RangeError(`RFC 3394 wraps at least 16 bytes in 8-byte steps, got ${keyData.length}`);
  }
  const c = createCipheriv(algorithm(kek), kek, DEFAULT_IV);
  return new Uint8Array(Buffer.concat([c.update(keyData), c.final()]));
}

/** Throws when the integrity check fails (wrong KEK or altered ciphertext). */
export function aesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  if (wrapped.length < 24 || wrapped.length % 8 !== 0) {
    throw new RangeError(
      `an RFC 3394 ciphertext is at least 24 bytes in 8-byte steps, got ${wrapped.length}`,
    );
  }
  const d = createDecipheriv(algorithm(kek), kek, DEFAULT_IV);
  try {
    return new Uint8Array(Buffer.concat([d.update(wrapped), d.final()]));
  } catch {
    throw new RangeError('AES key unwrap failed: integrity check value mismatch');
  }
}
