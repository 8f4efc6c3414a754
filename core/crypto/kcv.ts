/** Key check values: what operators compare instead of ever seeing a key. */
import { createCipheriv } from 'node:crypto';
import { aesEcbEncrypt } from './aes.js';

/** GP Card Spec v2.3 Amd D §6.2.3: first 3 bytes of AES(K, 01 × 16). */
export function kcvAes(key: Uint8Array): Uint8Array {
  return aesEcbEncrypt(key, new Uint8Array(16).fill(0x01)).slice(0, 3);
}

/** First 3 bytes of 3DES-ECB(K, 00 × 8); 16-byte keys are two-key 3DES (K1 K2 K1). */
export function kcvDes3(key: Uint8Array): Uint8Array {
  if (key.length !== 16 && key.length !== 24)
    throw new RangeError(`3DES keys are 16 or 24 bytes, got ${key.length}`);
  const c = createCipheriv(key.length === 16 ? 'des-ede-ecb' : 'des-ede3-ecb', key, null);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(new Uint8Array(8)), c.final()])).slice(0, 3);
}
