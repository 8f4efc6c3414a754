/**
 * The audit chain: append-only rows, each hash = SHA-256(previous hash ‖ canonical JSON of the
 * row's event), from a genesis row. An edited, deleted or reordered row breaks the chain at a
 * named sequence number. No secret ever goes into an event.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';
import { prepared, type Db } from './database.js';

export const GENESIS_PREV = '0'.repeat(64);

export interface AuditEvent {
  type: string;
  [field: string]: unknown;
}

export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  event: string;
  prev_hash: string;
  hash: string;
}

function rowHash(prev: string, seq: number, at: string, actor: string, event: string): string {
  return createHash('sha256')
    .update(prev)
    .update(canonicalJson({ seq, at, actor, event: JSON.parse(event) as unknown }))
    .digest('hex');
}

export function appendAudit(
  db: Db,
  actor: string,
  event: AuditEvent,
  now: Date = new Date(),
): { seq: number; hash: string } {
  const last = prepared(db, 'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as
    { seq: number; hash: string } | undefined;
  const seq = last ? last.seq + 1 : 0;
  const prev = last ? last.hash : GENESIS_PREV;
  const at = now.toISOString();
  const text = canonicalJson(event);
  const hash = rowHash(prev, seq, at, actor, text);
  prepared(db, 'INSERT INTO audit (seq, at, actor, event, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)').run(
    seq,
    at,
    actor,
    text,
    prev,
    hash,
  );
  return { seq, hash };
}

export interface AuditVerdict {
  ok: boolean;
  rows: number;
  /** The first sequence number at which the chain does not hold, or null. */
  firstBroken: number | null;
  reason?: string;
}

export function verifyAudit(db: Db): AuditVerdict {
  return verifyAuditRows(auditRows(db));
}

/** Every row in storage order, as stored (the event as its canonical JSON text). */
export function auditRows(db: Db): AuditRow[] {
  return db
    .prepare('SELECT seq, at, actor, event, prev_hash, hash FROM audit ORDER BY rowid')
    .all() as AuditRow[];
}

/** Checks a chain wherever it comes from: the database, or an exported file. */
export function verifyAuditRows(rows: readonly AuditRow[]): AuditVerdict {
  let prev = GENESIS_PREV;
  for (const [i, r] of rows.entries()) {
    const broken = (reason: string): AuditVerdict => ({
      ok: false,
      rows: rows.length,
      firstBroken: r.seq,
      reason,
    });
    if (r.seq !== i) return broken(`row ${i} carries sequence number ${r.seq}: a row was deleted or moved`);
    if (r.prev_hash !== prev) return broken(`row ${r.seq} does not follow its predecessor`);
    let recomputed: string;
    try {
      recomputed = rowHash(prev, r.seq, r.at, r.actor, r.event);
    } catch {
      return broken(`row ${r.seq} has an unreadable event`);
    }
    if (recomputed !== r.hash) return broken(`row ${r.seq} was altered`);
    prev = r.hash;
  }
  return { ok: true, rows: rows.length, firstBroken: null };
}

export function auditHead(db: Db): { seq: number; hash: string } | null {
  return (
    (prepared(db, 'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as
      { seq: number; hash: string } | undefined) ?? null
  );
}
