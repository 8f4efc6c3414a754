/**
 * The station's encryptor for record secrets: compact JWE, ECDH-ES+A256KW with A256GCM
 * (RFC 7518 §4.6 and §5.3) to the server's P-256 key, the same serialization as
 * protocol.ts `encryptSecret` and decrypted by its `decryptSecret` (jose). It is built on
 * node:crypto's synchronous primitives because jose's WebCrypto path costs about 2.5 ms per
 * record here (≈400 records/s), far below the sync throughput target; this one does the
 * ephemeral key, the agreement, the Concat KDF, the key wrap and the GCM in well under 1 ms.
 * Every record still gets its own ephemeral key, as RFC 7518 §4.6 requires.
 */
import { createCipheriv, createECDH, createHash, createPublicKey, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { ProtocolError, SECRET_ALG, SECRET_ENC } from './protocol.js';

const AES_KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

function b64u(bytes: Uint8Array | string): string {
  return Buffer.from(bytes).toString('base64url');
}

function lengthPrefixed(bytes: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/** NIST SP 800-56A Concat KDF with SHA-256, one round (256 bits), as RFC 7518 §4.6.2 sets it up. */
function concatKdf(z: Buffer, alg: string): Buffer {
  const keyBits = Buffer.alloc(4);
  keyBits.writeUInt32BE(256);
  return createHash('sha256')
    .update(Buffer.from([0, 0, 0, 1]))
    .update(z)
    .update(lengthPrefixed(Buffer.from(alg, 'ascii')))
    .update(lengthPrefixed(Buffer.alloc(0))) // apu: none
    .update(lengthPrefixed(Buffer.alloc(0))) // apv: none
    .update(keyBits)
    .digest();
}

/** Encrypts to one server key; import the key once, encrypt many records. */
export class SecretEncryptor {
  /** The server's public point, uncompressed (checked on the curve by createPublicKey). */
  private readonly serverPoint: Buffer;

  constructor(private readonly serverJwk: JWK) {
    if (serverJwk.kty !== 'EC' || serverJwk.crv !== 'P-256')
      throw new ProtocolError('BAD_REQUEST', 'the server encryption key must be an EC P-256 public key');
    try {
      const key = createPublicKey({
        key: { kty: 'EC', crv: 'P-256', x: serverJwk.x, y: serverJwk.y },
        format: 'jwk',
      });
      const jwk = key.export({ format: 'jwk' });
      this.serverPoint = Buffer.concat([
        Buffer.from([4]),
        Buffer.from(jwk.x!, 'base64url'),
        Buffer.from(jwk.y!, 'base64url'),
      ]);
    } catch (e) {
      throw new ProtocolError(
        'BAD_REQUEST',
        `the server encryption key is not a P-256 point (${(e as Error).message})`,
      );
    }
  }

  /** The secret's JSON bytes as compact JWE bound to `ref`; the caller zeroes `plaintext`. */
  encrypt(plaintext: Uint8Array, ref: string): string {
    // createECDH does key generation and agreement on raw points: about a third cheaper here
    // than KeyObjects plus a JWK export, which matters at thousands of records a second.
    const eph = createECDH('prime256v1');
    const point = eph.generateKeys(); // 0x04 ‖ X ‖ Y
    const z = eph.computeSecret(this.serverPoint);
    const kek = concatKdf(z, SECRET_ALG);
    z.fill(0);
    const epk = { x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33, 65)) };
    const header: Record<string, unknown> = {
      alg: SECRET_ALG,
      enc: SECRET_ENC,
      ...(this.serverJwk.kid ? { kid: this.serverJwk.kid } : {}),
      ref,
      epk: { kty: 'EC', crv: 'P-256', x: epk.x, y: epk.y },
    };
    const protectedB64 = b64u(JSON.stringify(header));
    const cek = randomBytes(32);
    try {
      const wrap = createCipheriv('id-aes256-wrap', kek, AES_KW_IV);
      const encryptedKey = Buffer.concat([wrap.update(cek), wrap.final()]);
      const iv = randomBytes(12);
      const gcm = createCipheriv('aes-256-gcm', cek, iv);
      gcm.setAAD(Buffer.from(protectedB64, 'ascii'));
      const ciphertext = Buffer.concat([gcm.update(plaintext), gcm.final()]);
      const tag = gcm.getAuthTag();
      return [protectedB64, b64u(encryptedKey), b64u(iv), b64u(ciphertext), b64u(tag)].join('.');
    } finally {
      cek.fill(0);
      kek.fill(0);
    }
  }
}
