/**
 * What the station keeps about sync, in the encrypted station database (schema 3): the
 * enrolment and cursors in `sync_state`, each outbox row's answer from the server, and the
 * application registry it pulled (clause 9.2.2). Every change that follows a server answer
 * commits in one transaction with the cursor it moves, so a crash between the two never
 * re-sends a record as new or forgets one (DESIGN.md §6).
 */
import type { JWK } from 'jose';
import { ObfError } from '../errors.js';
import type { StationRecords } from '../kms/kms.js';
import type {
  AckPayload,
  Application,
  AuditLink,
  Permission,
  RecordAck,
  RegistryPayload,
  SyncRecordKind,
} from './protocol.js';

export interface Enrolment {
  serverUrl: string;
  stationId: string;
  stationName: string;
  serverId: string;
  serverSigningKey: JWK;
  serverEncryptionKey: JWK;
  enrolledAt: string;
  enrolledBy: string;
}

export interface Anchor {
  seq: number;
  hash: string;
}

export interface OutboxRow {
  seq: number;
  kind: SyncRecordKind;
  ref: string;
  payload: string;
  secret: Buffer | null;
  createdAt: string;
}

export type OutboxState = 'pending' | 'applied' | 'duplicate' | 'rejected';

export interface QuarantinedRecord {
  seq: number;
  kind: string;
  ref: string;
  reason: string;
  createdAt: string;
  rejectedAt: string;
}

export interface OutboxCounts {
  pending: number;
  applied: number;
  duplicate: number;
  rejected: number;
}

export interface AckCounts {
  applied: number;
  duplicate: number;
  rejected: number;
}

const KEYS = {
  enrolment: 'enrolment',
  nextSeq: 'next_seq',
  anchor: 'anchor',
  registryCursor: 'registry_cursor',
  lastSyncAt: 'last_sync_at',
} as const;

export class SyncStore {
  constructor(private readonly records: StationRecords) {}

  private get(name: string): string | null {
    const row = this.records.prepare('SELECT value FROM sync_state WHERE name = ?').get(name) as
      { value: string } | undefined;
    return row?.value ?? null;
  }

  private set(name: string, value: string): void {
    this.records
      .prepare(
        'INSERT INTO sync_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      )
      .run(name, value);
  }

  enrolment(): Enrolment | null {
    const text = this.get(KEYS.enrolment);
    return text ? (JSON.parse(text) as Enrolment) : null;
  }

  nextSeq(): number {
    return Number(this.get(KEYS.nextSeq) ?? '1');
  }

  anchor(): Anchor | null {
    const text = this.get(KEYS.anchor);
    return text ? (JSON.parse(text) as Anchor | null) : null;
  }

  registryCursor(): string {
    return this.get(KEYS.registryCursor) ?? '';
  }

  lastSyncAt(): string | null {
    return this.get(KEYS.lastSyncAt);
  }

  /**
   * Records the enrolment and the server's next sequence in one transaction with its audit
   * event. A re-enrolment (another server, or the same one after a reset) reconciles the
   * outbox with what that server says it has, exactly as a SEQ_GAP answer does.
   */
  saveEnrolment(enrolment: Enrolment, serverNextSeq: number, approvedBy: string[]): void {
    this.records.db.transaction(() => {
      const previous = this.enrolment();
      this.set(KEYS.enrolment, JSON.stringify(enrolment));
      if (!previous || previous.serverId !== enrolment.serverId) {
        this.set(KEYS.anchor, 'null');
        this.set(KEYS.registryCursor, '');
      }
      this.reconcileInTransaction(serverNextSeq, enrolment.enrolledAt);
      this.records.audit(approvedBy.join('+'), {
        type: 'sync-enrolled',
        serverUrl: enrolment.serverUrl,
        serverId: enrolment.serverId,
        stationId: enrolment.stationId,
        stationName: enrolment.stationName,
        serverSigningKeyX: enrolment.serverSigningKey.x,
        serverEncryptionKid: enrolment.serverEncryptionKey.kid ?? null,
        nextSeq: serverNextSeq,
        previousServerId: previous?.serverId ?? null,
      });
    })();
  }

  /** The outbox rows from `seq` on, in order, at most `limit`. */
  rowsFrom(seq: number, limit: number): OutboxRow[] {
    const rows = this.records
      .prepare(
        'SELECT seq, kind, ref, payload, secret, created_at AS createdAt, state FROM outbox WHERE seq >= ? ORDER BY seq LIMIT ?',
      )
      .all(seq, limit) as (OutboxRow & { state: OutboxState })[];
    rows.forEach((r, i) => {
      if (r.seq !== seq + i)
        throw new ObfError(
          'KMS_INTEGRITY',
          `the outbox has no record ${seq + i} (next is ${r.seq}): records were removed from the station database`,
        );
    });
    return rows;
  }

  maxSeq(): number {
    const row = this.records.prepare('SELECT max(seq) AS n FROM outbox').get() as { n: number | null };
    return row.n ?? 0;
  }

  counts(): OutboxCounts {
    const rows = this.records.prepare('SELECT state, count(*) AS n FROM outbox GROUP BY state').all() as {
      state: OutboxState;
      n: number;
    }[];
    const counts: OutboxCounts = { pending: 0, applied: 0, duplicate: 0, rejected: 0 };
    for (const r of rows) counts[r.state] = r.n;
    return counts;
  }

  /**
   * The server's answer to a batch, all at once: each record's state, the next sequence, the
   * audit anchor and the time. Rejected records are quarantined (kept with the reason, shown,
   * never sent again) and each rejection goes to the audit chain.
   */
  applyAck(ack: AckPayload, sent: { seq: number; kind: string; ref: string }[], at: string): AckCounts {
    const counts: AckCounts = { applied: 0, duplicate: 0, rejected: 0 };
    const bySeq = new Map(sent.map((r) => [r.seq, r]));
    const update = this.records.prepare(
      "UPDATE outbox SET state = ?, reason = ?, acked_at = ?, sent_at = coalesce(sent_at, ?) WHERE seq = ? AND state = 'pending'",
    );
    this.records.db.transaction(() => {
      for (const a of ack.acks) {
        const record = bySeq.get(a.seq);
        if (!record)
          throw new ObfError('BAD_RESPONSE', `the server acknowledged record ${a.seq}, which was not sent`);
        const reason = a.status === 'rejected' ? (a.reason ?? 'rejected without a reason') : null;
        update.run(a.status, reason, at, at, a.seq);
        counts[a.status] += 1;
        if (a.status === 'rejected')
          this.records.audit('station', {
            type: 'sync-record-rejected',
            seq: a.seq,
            kind: record.kind,
            ref: record.ref,
            reason,
          });
      }
      // The sequence moves past what was acknowledged; an ack that says otherwise reconciles.
      const lastSent = Math.max(...sent.map((r) => r.seq));
      this.set(KEYS.nextSeq, String(lastSent + 1));
      if (ack.nextSeq !== lastSent + 1) this.reconcileInTransaction(ack.nextSeq, at);
      this.set(KEYS.anchor, JSON.stringify(ack.anchor));
      this.set(KEYS.lastSyncAt, at);
    })();
    return counts;
  }

  /** Brings the outbox in line with the server's next expected sequence (SEQ_GAP, re-enrolment). */
  reconcile(expectedSeq: number, at: string): { skipped: number; resent: number } {
    return this.records.db.transaction(() => this.reconcileInTransaction(expectedSeq, at))();
  }

  private reconcileInTransaction(expectedSeq: number, at: string): { skipped: number; resent: number } {
    const ours = this.nextSeq();
    const max = this.maxSeq();
    if (expectedSeq > max + 1)
      throw new ObfError(
        'BAD_RESPONSE',
        `the server expects record ${expectedSeq} next but this station has written only ${max}: is another station using this station id?`,
      );
    let skipped = 0;
    let resent = 0;
    if (expectedSeq > ours) {
      // Our answer was lost after the server committed: it holds these records already.
      skipped = this.records
        .prepare(
          "UPDATE outbox SET state = 'duplicate', reason = 'the server had it already (its answer was lost)', acked_at = ? WHERE seq >= ? AND seq < ? AND state = 'pending'",
        )
        .run(at, ours, expectedSeq).changes;
    } else if (expectedSeq < ours) {
      // The server lost records it had acknowledged (a restore, a new server): send them again.
      resent = this.records
        .prepare('UPDATE outbox SET state = ?, reason = NULL, acked_at = NULL WHERE seq >= ? AND seq < ?')
        .run('pending', expectedSeq, ours).changes;
    }
    this.set(KEYS.nextSeq, String(expectedSeq));
    return { skipped, resent };
  }

  quarantine(limit: number): QuarantinedRecord[] {
    return this.records
      .prepare(
        "SELECT seq, kind, ref, reason, created_at AS createdAt, acked_at AS rejectedAt FROM outbox WHERE state = 'rejected' ORDER BY seq DESC LIMIT ?",
      )
      .all(limit) as QuarantinedRecord[];
  }

  /**
   * The audit rows after `anchor` (the server's view of our chain), at most `limit`, as links.
   * Throws when our own row at the anchor is not the one the server holds: the chain forked.
   */
  auditLinks(anchor: Anchor | null, limit: number): AuditLink[] {
    if (anchor) {
      const row = this.records.prepare('SELECT hash FROM audit WHERE seq = ?').get(anchor.seq) as
        { hash: string } | undefined;
      if (!row || row.hash !== anchor.hash)
        throw new ObfError(
          'KMS_INTEGRITY',
          `the server anchors this station's audit chain at row ${anchor.seq} with another hash: the chain forked`,
        );
    }
    // Nothing anchored yet: the chain goes from its genesis row (0), whose prev is all zeros.
    const from = anchor ? anchor.seq + 1 : 0;
    return (
      this.records
        .prepare('SELECT seq, prev_hash AS prev, hash FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?')
        .all(from, limit) as AuditLink[]
    ).map((l) => ({ seq: l.seq, prev: l.prev, hash: l.hash }));
  }

  /** Registry changes and the cursor after them, in one transaction. */
  saveRegistry(payload: RegistryPayload): void {
    const app = this.records.prepare(
      'INSERT INTO registry_applications (app_id, name, provider, state, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (app_id) DO UPDATE SET name = excluded.name, provider = excluded.provider, state = excluded.state, updated_at = excluded.updated_at',
    );
    const perm = this.records.prepare(
      'INSERT INTO registry_permissions (iccid, app_id, granted, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (iccid, app_id) DO UPDATE SET granted = excluded.granted, updated_at = excluded.updated_at',
    );
    this.records.db.transaction(() => {
      for (const a of payload.applications) app.run(a.appId, a.name, a.provider, a.state, a.updatedAt);
      for (const p of payload.permissions) perm.run(p.iccid, p.appId, p.granted ? 1 : 0, p.updatedAt);
      this.set(KEYS.registryCursor, payload.cursor);
    })();
  }

  registry(limit: number): { applications: Application[]; permissions: Permission[] } {
    const applications = this.records
      .prepare(
        'SELECT app_id AS appId, name, provider, state, updated_at AS updatedAt FROM registry_applications ORDER BY name COLLATE NOCASE LIMIT ?',
      )
      .all(limit) as Application[];
    const permissions = (
      this.records
        .prepare(
          'SELECT iccid, app_id AS appId, granted, updated_at AS updatedAt FROM registry_permissions ORDER BY updated_at DESC LIMIT ?',
        )
        .all(limit) as (Omit<Permission, 'granted'> & { granted: number })[]
    ).map((p) => ({ ...p, granted: p.granted === 1 }));
    return { applications, permissions };
  }
}

export type { RecordAck };
