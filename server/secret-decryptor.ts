/**
 * The server's decryptor for record secrets: compact JWE, ECDH-ES+A256KW with A256GCM
 * (RFC 7518 §4.6, §4.4, §5.3), the mirror of the station's core/sync/jwe.ts encryptor, on
 * node:crypto's synchronous primitives. jose's path (protocol.ts decryptSecret) goes through
 * WebCrypto at ~2.5 ms per record here, which caps ingest far below the sync target; this one
 * does the agreement, the Concat KDF, the key unwrap and the GCM in a fraction of that.
 * Anything it does not handle itself (another header shape, any failure) goes to jose, which
 * gives the canonical error: this is a fast path, never a second opinion.
 */
import { createDecipheriv, createECDH, createHash, type KeyObject } from 'node:crypto';
import { decryptSecret, SECRET_ALG, SECRET_ENC } from '../core/sync/protocol.js';

const AES_KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
const KNOWN_HEADER = new Set(['alg', 'enc', 'kid', 'ref', 'epk']);

function lengthPrefixed(bytes: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/** NIST SP 800-56A Concat KDF, SHA-256, one round (256 bits), as RFC 7518 §4.6.2 sets it up. */
function concatKdf(z: Buffer): Buffer {
  const keyBits = Buffer.alloc(4);
  keyBits.writeUInt32BE(256);
  return createHash('sha256')
    .update(Buffer.from([0, 0, 0, 1]))
    .update(z)
    .update(lengthPrefixed(Buffer.from(SECRET_ALG, 'ascii')))
    .update(lengthPrefixed(Buffer.alloc(0)))
    .update(lengthPrefixed(Buffer.alloc(0)))
    .update(keyBits)
    .digest();
}

export class SecretDecryptor {
  private readonly d: Buffer;

  constructor(private readonly key: KeyObject) {
    this.d = Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url');
  }

  /** The plaintext of a record's secret made for `ref`; the caller zeroes it once parsed. */
  async decrypt(jwe: string, ref: string): Promise<Uint8Array> {
    return this.fast(jwe, ref) ?? decryptSecret(jwe, this.key, ref);
  }

  /** The node:crypto path alone: null when it cannot or will not decrypt (jose then decides). */
  fast(jwe: string, ref: string): Uint8Array | null {
    const parts = jwe.split('.');
    if (parts.length !== 5) return null;
    const [protectedB64, encKeyB64, ivB64, ctB64, tagB64] = parts as [string, string, string, string, string];
    let cek: Buffer | null = null;
    let kek: Buffer | null = null;
    try {
      const header = JSON.parse(Buffer.from(protectedB64, 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
      const epk = header.epk as Record<string, unknown> | undefined;
      if (
        header.alg !== SECRET_ALG ||
        header.enc !== SECRET_ENC ||
        header.ref !== ref ||
        Object.keys(header).some((k) => !KNOWN_HEADER.has(k)) ||
        !epk ||
        epk.kty !== 'EC' ||
        epk.crv !== 'P-256' ||
        typeof epk.x !== 'string' ||
        typeof epk.y !== 'string'
      )
        return null;
      const x = Buffer.from(epk.x, 'base64url');
      const y = Buffer.from(epk.y, 'base64url');
      if (x.length !== 32 || y.length !== 32) return null;
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(this.d);
      // computeSecret refuses a point that is not on the curve (invalid-curve attacks).
      const z = ecdh.computeSecret(Buffer.concat([Buffer.from([4]), x, y]));
      kek = concatKdf(z);
      z.fill(0);
      const unwrap = createDecipheriv('id-aes256-wrap', kek, AES_KW_IV);
      cek = Buffer.concat([unwrap.update(Buffer.from(encKeyB64, 'base64url')), unwrap.final()]);
      if (cek.length !== 32) return null;
      const iv = Buffer.from(ivB64, 'base64url');
      const tag = Buffer.from(tagB64, 'base64url');
      if (iv.length !== 12 || tag.length !== 16) return null;
      const gcm = createDecipheriv('aes-256-gcm', cek, iv);
      gcm.setAAD(Buffer.from(protectedB64, 'ascii'));
      gcm.setAuthTag(tag);
      return new Uint8Array(Buffer.concat([gcm.update(Buffer.from(ctB64, 'base64url')), gcm.final()]));
    } catch {
      return null;
    } finally {
      cek?.fill(0);
      kek?.fill(0);
    }
  }
}
