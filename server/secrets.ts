/**
 * Checks each record's secret before the batch is applied: it must decrypt with the server's
 * key, be bound to its record (the JWE's `ref`), match its schema and name the same card or
 * binding as the clear fields. The plaintext is zeroed as soon as it is parsed; what is stored
 * is the JWE as received, which only the server's key opens (clause 7.1.2: device credentials
 * held by the Resource Server).
 */
import type { KeyObject } from 'node:crypto';
import { cardSecret, describeIssues, kycSecret, type SyncRecord } from '../core/sync/protocol.js';
import { SecretDecryptor } from './secret-decryptor.js';

export async function checkSecrets(
  records: readonly SyncRecord[],
  key: KeyObject,
): Promise<Map<number, string>> {
  const errors = new Map<number, string>();
  const decryptor = new SecretDecryptor(key);
  for (const r of records) {
    const reason = await checkSecret(r, decryptor);
    if (reason) errors.set(r.seq, `record ${r.seq} (${r.ref}): ${reason}`);
  }
  return errors;
}

async function checkSecret(r: SyncRecord, decryptor: SecretDecryptor): Promise<string | null> {
  let plain: Uint8Array;
  try {
    plain = await decryptor.decrypt(r.secret, r.ref);
  } catch (e) {
    return (e as Error).message;
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength).toString('utf8'));
  } catch {
    return 'the secret is not JSON';
  } finally {
    plain.fill(0);
  }
  if (r.kind === 'card-personalised') {
    const s = cardSecret.safeParse(json);
    if (!s.success) return `secret: ${describeIssues(s.error)}`;
    if (s.data.iccid !== r.data.iccid)
      return `the secret is for ICCID ${s.data.iccid}, the record for ${r.data.iccid}`;
    return null;
  }
  const s = kycSecret.safeParse(json);
  if (!s.success) return `secret: ${describeIssues(s.error)}`;
  if (s.data.bindingId !== r.data.bindingId)
    return `the secret is for binding ${s.data.bindingId}, the record for ${r.data.bindingId}`;
  return null;
}
