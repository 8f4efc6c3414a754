/**
 * The station's signature over a record: Ed25519 over the record's canonical JSON, with the
 * SHA-256 of that JSON as the record's name (what QR codes and the audit chain carry).
 * Transcripts and audit exports are signed this way.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';

export interface CanonicalSignature {
  /** SHA-256 (hex) of the canonical JSON. */
  sha256: string;
  /** Ed25519 signature over the canonical JSON, base64. */
  signature: string;
  /** The station's public key, SPKI DER base64. */
  publicKey: string;
}

export function signCanonical(record: unknown, stationKeyPkcs8: Uint8Array): CanonicalSignature {
  const canonical = Buffer.from(canonicalJson(record), 'utf8');
  const privateKey = createPrivateKey({ key: Buffer.from(stationKeyPkcs8), format: 'der', type: 'pkcs8' });
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new TypeError('records are signed with the Ed25519 station key');
  return {
    sha256: createHash('sha256').update(canonical).digest('hex'),
    signature: sign(null, canonical, privateKey).toString('base64'),
    publicKey: createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

/** True when `signed` names and signs exactly this record. */
export function verifyCanonical(record: unknown, signed: CanonicalSignature): boolean {
  const canonical = Buffer.from(canonicalJson(record), 'utf8');
  if (createHash('sha256').update(canonical).digest('hex') !== signed.sha256) return false;
  try {
    const publicKey = createPublicKey({
      key: Buffer.from(signed.publicKey, 'base64'),
      format: 'der',
      type: 'spki',
    });
    return verify(null, canonical, publicKey, Buffer.from(signed.signature, 'base64'));
  } catch {
    return false;
  }
}
