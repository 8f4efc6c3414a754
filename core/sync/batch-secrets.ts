/**
 * A batch's secret fields as ONE compact JWE (ECDH-ES+A256KW / A256GCM, by jose) to the
 * server's encryption key: the plaintext maps each record's seq to its secret object. One key
 * agreement per batch instead of one per record: jose does each agreement through WebCrypto at
 * about 1–3 ms here, which per record would cap sync far below its 3,000 records/s target, and
 * RFC 7518 §4.6 requires a fresh ephemeral key for every agreement, so it cannot be shared
 * between per-record JWEs. The JWE sits inside the signed batch and names the batch's jti in its
 * protected header, so it cannot be moved to another batch.
 */
import { compactDecrypt, CompactEncrypt, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import type { KeyObject } from 'node:crypto';
import { ProtocolError, SECRET_ALG, SECRET_ENC } from './protocol.js';

const encoder = new TextEncoder();

/**
 * Encrypts `secrets` (seq → the secret's JSON bytes) for the batch `jti`. The JSON is joined as
 * bytes, never re-parsed; the caller zeroes its inputs, this zeroes the joined plaintext.
 */
export async function encryptBatchSecrets(
  secrets: ReadonlyMap<number, Uint8Array>,
  serverKey: JWK,
  jti: string,
): Promise<string> {
  const parts: Uint8Array[] = [encoder.encode('{')];
  let first = true;
  for (const [seq, json] of secrets) {
    parts.push(encoder.encode(`${first ? '' : ','}"${seq}":`), json);
    first = false;
  }
  parts.push(encoder.encode('}'));
  const plaintext = Buffer.concat(parts);
  try {
    const key = await importJWK({ ...serverKey, alg: SECRET_ALG }, SECRET_ALG);
    return await new CompactEncrypt(plaintext)
      .setProtectedHeader({ alg: SECRET_ALG, enc: SECRET_ENC, kid: serverKey.kid, jti })
      .encrypt(key);
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Decrypts a batch's secrets (server side): checks the JWE was made for batch `jti`, returns
 * seq → secret object. Throws ProtocolError BAD_REQUEST naming the fault.
 */
export async function decryptBatchSecrets(
  jwe: string,
  privateKey: KeyObject,
  jti: string,
): Promise<Map<number, unknown>> {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(jwe);
  } catch {
    throw new ProtocolError('BAD_REQUEST', 'secrets: not a compact JWE');
  }
  if (header.alg !== SECRET_ALG || header.enc !== SECRET_ENC)
    throw new ProtocolError('BAD_REQUEST', `secrets: must be ${SECRET_ALG}/${SECRET_ENC}`);
  if (header.jti !== jti) throw new ProtocolError('BAD_REQUEST', 'secrets: made for another batch');
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await compactDecrypt(jwe, privateKey, {
      keyManagementAlgorithms: [SECRET_ALG],
      contentEncryptionAlgorithms: [SECRET_ENC],
    }));
  } catch (e) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `secrets: do not decrypt with this server's key (${(e as Error).message})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(plaintext).toString('utf8'));
  } catch {
    throw new ProtocolError('BAD_REQUEST', 'secrets: the plaintext is not JSON');
  } finally {
    plaintext.fill(0);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ProtocolError('BAD_REQUEST', 'secrets: the plaintext is not an object of seq → secret');
  const out = new Map<number, unknown>();
  for (const [seq, secret] of Object.entries(parsed)) {
    if (!/^[1-9]\d{0,15}$/.test(seq))
      throw new ProtocolError('BAD_REQUEST', `secrets: "${seq.slice(0, 20)}" is not a sequence number`);
    out.set(Number(seq), secret);
  }
  return out;
}
