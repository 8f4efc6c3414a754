/**
 * The outbox (DESIGN.md §6): a domain store calls `enqueue` inside the transaction that writes
 * its own row, so a record exists for the server exactly when the domain row does. Secret
 * fields are sealed under the LMK here and opened only by the sync engine, which encrypts them
 * to the server's key at push time (the station may enrol after the record was written).
 */
import { canonicalJson } from '../canonical-json.js';
import type { StationRecords } from '../kms/kms.js';
import type { SyncRecordKind } from './protocol.js';

export interface OutboxEntry {
  kind: SyncRecordKind;
  /** What the record is about (an ICCID, a binding id): shown in the UI and in rejections. */
  ref: string;
  /** The clear fields (the protocol's `data` for this kind). */
  data: unknown;
  /** The secret fields as bytes (JSON), sealed here; the caller zeroes its copy. */
  secret?: Uint8Array;
}

export function outboxAad(kind: string, ref: string, createdAt: string): string {
  return `outbox:${kind}:${ref}:${createdAt}`;
}

/** Appends one record; call it inside the domain row's transaction. Returns its sequence. */
export function enqueue(records: StationRecords, entry: OutboxEntry, createdAt: string): number {
  const sealed = entry.secret
    ? records.seal(entry.secret, outboxAad(entry.kind, entry.ref, createdAt))
    : null;
  const result = records
    .prepare('INSERT INTO outbox (kind, ref, payload, secret, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(entry.kind, entry.ref, canonicalJson(entry.data), sealed, createdAt);
  return Number(result.lastInsertRowid);
}
