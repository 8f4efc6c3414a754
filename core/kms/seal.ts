/**
 * AES-256-GCM sealing with associated data: how every secret is kept at rest. The AAD binds a
 * ciphertext to its place (row id, key type, usage), so a ciphertext moved elsewhere fails.
 * Layout: 12-byte IV ‖ ciphertext ‖ 16-byte tag.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ObfError } from '../errors.js';

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Uint8Array {
  if (key.length !== 32) throw new RangeError('sealing keys are AES-256');
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return new Uint8Array(Buffer.concat([iv, ct, c.getAuthTag()]));
}

export function open(key: Uint8Array, sealed: Uint8Array, aad: string): Uint8Array {
  if (sealed.length < 28) throw new ObfError('KMS_INTEGRITY', 'sealed value too short');
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return new Uint8Array(Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]));
  } catch {
    throw new ObfError(
      'KMS_INTEGRITY',
      `sealed value does not open for "${aad}": wrong key, or moved or altered`,
    );
  }
}
