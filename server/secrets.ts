/**
 * Opens a verified batch's secrets and checks each record's before the batch is applied. The
 * batch carries every record's secret fields in ONE compact JWE (core/sync/batch-secrets.ts,
 * jose), so the server makes one ECDH key agreement per batch, here on the calling thread.
 * Each secret must be present for its record, match its schema and name the same card or
 * binding as the clear fields; a fault rejects that record with the reason. A JWE that does not
 * decrypt, was made for another batch, or names a seq that is no record of the batch refuses
 * the whole batch (BAD_REQUEST): the station built it wrong, and no record of it can be trusted.
 *
 * What passes is sealed at once for storage (AES-256-GCM under the server's records key, AAD
 * naming the row: sealRecordSecret) and its plaintext bytes zeroed: device credentials and
 * custodians' personal data are held only by the Resource Server (clause 7.1.2, clause 3.2.4)
 * and never in clear at rest.
 */
import { randomBytes } from 'node:crypto';
import { decryptBatchSecrets } from '../core/sync/batch-secrets.js';
import {
  cardSecret,
  describeIssues,
  kycSecret,
  ProtocolError,
  type BatchPayload,
  type SyncRecord,
} from '../core/sync/protocol.js';
import { seal, unseal, type ServerKeys } from './server-keys.js';

export interface OpenedSecrets {
  /** seq → why the record is rejected (its secret is missing or fails its check). */
  errors: Map<number, string>;
  /** seq → the record's secret sealed at rest, for records that store one and passed. */
  sealed: Map<number, string>;
}

/** The AAD of a sealed secret names its row, so a sealed value cannot be moved to another. */
export const deviceAad = (iccid: string) => `device:${iccid}`;
export const bindingAad = (bindingId: string) => `binding:${bindingId}`;

/** Seals a secret object for its row; the JSON bytes are zeroed once sealed. */
export function sealRecordSecret(key: Buffer, secret: unknown, aad: string, iv?: Uint8Array): string {
  const plain = Buffer.from(JSON.stringify(secret), 'utf8');
  try {
    return seal(key, plain, aad, iv);
  } finally {
    plain.fill(0);
  }
}

/** Opens a sealed secret (admin views); throws naming the row if it does not open. */
export function openRecordSecret(key: Buffer, sealed: string, aad: string): unknown {
  let plain: Buffer;
  try {
    plain = unseal(key, sealed, aad);
  } catch {
    throw new Error(`the sealed secret of ${aad} does not open with this server's master key`);
  }
  try {
    return JSON.parse(plain.toString('utf8')) as unknown;
  } finally {
    plain.fill(0);
  }
}

/**
 * Decrypts `batch.secrets` once and checks the secret of every record from `fromSeq` on
 * (records before it are duplicates the server already holds: only their seq is accounted for).
 */
export async function openBatchSecrets(
  batch: BatchPayload,
  fromSeq: number,
  keys: Pick<ServerKeys, 'encryption' | 'records'>,
): Promise<OpenedSecrets> {
  const out: OpenedSecrets = { errors: new Map(), sealed: new Map() };
  // batchPayload guarantees secrets is null exactly when there are no records.
  if (batch.records.length === 0 || batch.secrets === null) return out;
  const secrets = await decryptBatchSecrets(batch.secrets, keys.encryption, batch.jti);
  const seqs = new Set(batch.records.map((r) => r.seq));
  const stray = [...secrets.keys()].filter((seq) => !seqs.has(seq));
  if (stray.length > 0)
    throw new ProtocolError(
      'BAD_REQUEST',
      `secrets: seq ${stray.slice(0, 5).join(', ')}${stray.length > 5 ? ', …' : ''} ${
        stray.length === 1 ? 'names no record' : 'name no records'
      } of this batch`,
    );
  // The IVs for the whole batch in one draw: one CSPRNG call per record costs as much as the
  // sealing itself.
  const ivs = randomBytes(12 * batch.records.length);
  batch.records.forEach((r, i) => {
    if (r.seq < fromSeq) return;
    const checked = checkSecret(r, secrets.get(r.seq));
    if (typeof checked === 'string') out.errors.set(r.seq, `record ${r.seq} (${r.ref}): ${checked}`);
    else if (checked)
      out.sealed.set(
        r.seq,
        sealRecordSecret(keys.records, checked.secret, checked.aad, ivs.subarray(12 * i, 12 * i + 12)),
      );
  });
  return out;
}

/** A reason, or what to seal (null: the record stores no secret, e.g. a withdraw). */
function checkSecret(r: SyncRecord, json: unknown): string | { secret: unknown; aad: string } | null {
  if (json === undefined) return `no secret for record ${r.seq} in the batch's secrets`;
  if (r.kind === 'card-personalised') {
    const s = cardSecret.safeParse(json);
    if (!s.success) return `secret: ${describeIssues(s.error)}`;
    if (s.data.iccid !== r.data.iccid)
      return `the secret is for ICCID ${s.data.iccid}, the record for ${r.data.iccid}`;
    return { secret: s.data, aad: deviceAad(r.data.iccid) };
  }
  const s = kycSecret.safeParse(json);
  if (!s.success) return `secret: ${describeIssues(s.error)}`;
  if (s.data.bindingId !== r.data.bindingId)
    return `the secret is for binding ${s.data.bindingId}, the record for ${r.data.bindingId}`;
  // Only the events that start a binding store its personal data (rules.ts `binding`).
  const starts = r.data.action === 'bind' || r.data.action === 'correct' || r.data.action === 'transfer';
  return starts ? { secret: s.data, aad: bindingAad(r.data.bindingId) } : null;
}
