/**
 * The Resource Server's data, behind one query layer for SQLite and PostgreSQL (DESIGN.md §6).
 * Every write that must be atomic is one transaction; a batch is serialised per station by a
 * lock on the station's row (PostgreSQL: SELECT … FOR UPDATE, so instances sharing the database
 * take turns; SQLite: an UPDATE first, which takes the one write lock at the start).
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { kcvAes } from '../../core/crypto/index.js';
import {
  cardSecret,
  MAX_CLOCK_SKEW_S,
  PROTOCOL_VERSION,
  ProtocolError,
  type AckPayload,
  type Application,
  type BatchPayload,
  type EnrolRequest,
  type EnrolResponse,
  type Permission,
  type SyncRecord,
} from '../../core/sync/protocol.js';
import { extendAnchor, planRecords, type ApplyContext, type BindingView, type Mutation } from '../rules.js';
import { bindingAad, deviceAad, openRecordSecret, type OpenedSecrets } from '../secrets.js';
import { loadMasterKey, loadServerKeys, type ServerKeys } from '../server-keys.js';
import { openDatabase } from './open.js';
import type { Backend, Database, DeviceTable, StationTable } from './schema.js';

/** Why an admin command or a lookup failed: a precise message; the CLI prints it. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: 'NOT_FOUND' | 'CONFLICT' | 'VALIDATION',
    message: string,
  ) {
    super(message);
  }
}

export interface StationInfo {
  stationId: string;
  name: string;
  state: 'active' | 'revoked';
  nextSeq: number;
  anchor: { seq: number; hash: string } | null;
  enrolledAt: string;
  revokedAt: string | null;
  lastSeenAt: string | null;
  registryCursor: string | null;
}

export interface BatchOutcome {
  ack: Omit<AckPayload, 'at'>;
  applied: number;
  duplicate: number;
  rejected: number;
}

/** Enrolment code alphabet: 32 symbols (no I, O, 0, 1), so one byte & 31 picks one unbiased. */
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const IN_CHUNK = 500;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const chunks = <T>(xs: readonly T[], n: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

export class ServerStore {
  private constructor(
    readonly db: Kysely<Database>,
    readonly backend: Backend,
    /** The SQLite file or the PostgreSQL host and database (no credentials). */
    readonly where: string,
    readonly keys: ServerKeys,
  ) {}

  static async open(opts: {
    dataDir: string;
    databaseUrl?: string;
    masterKey?: string | Uint8Array;
  }): Promise<ServerStore> {
    const master = loadMasterKey(opts.dataDir, opts.masterKey);
    const { db, backend, where } = await openDatabase(opts);
    try {
      const keys = await loadServerKeys(db, master);
      return new ServerStore(db, backend, where, keys);
    } catch (e) {
      await db.destroy();
      throw e;
    } finally {
      master.fill(0);
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.db);
  }

  // ── Enrolment ───────────────────────────────────────────────────────────────────────────

  /**
   * A one-time code for one station; only its hash is stored. `forStation` issues it for the
   * re-enrolment of that station id (a new key for a known station); without it the code enrols
   * a new station only, so a code cannot take over a station that exists.
   */
  async createEnrolCode(
    name: string,
    ttlMs: number,
    now = new Date(),
    forStation?: string,
  ): Promise<{ code: string; expiresAt: string }> {
    if (!name.trim() || name.length > 128)
      throw new StoreError('VALIDATION', '--name must be 1-128 characters');
    const bytes = randomBytes(16);
    const chars = Array.from(bytes, (b) => CODE_ALPHABET[b & 31]).join('');
    bytes.fill(0);
    const code = chars.match(/.{4}/g)!.join('-');
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    await this.db
      .insertInto('enrol_codes')
      .values({
        code_hash: sha256(code),
        station_name: name,
        for_station: forStation ?? null,
        created_at: now.toISOString(),
        expires_at: expiresAt,
        used_at: null,
        used_by: null,
      })
      .execute();
    return { code, expiresAt };
  }

  /**
   * Registers a station's signing key against a one-time code. A station already known (the same
   * id) re-enrols with a new code: its key is replaced, it is active again, and its sequence and
   * audit anchor carry on, so nothing it pushed before is pushed twice.
   */
  async enrol(req: EnrolRequest, now = new Date()): Promise<EnrolResponse> {
    const at = now.toISOString();
    const jwk = JSON.stringify({ kty: req.signingKey.kty, crv: req.signingKey.crv, x: req.signingKey.x });
    const nextSeq = await this.db.transaction().execute(async (tx) => {
      const code = await tx
        .selectFrom('enrol_codes')
        .selectAll()
        .where('code_hash', '=', sha256(req.code))
        .executeTakeFirst();
      if (!code) throw new ProtocolError('CODE_UNKNOWN', 'unknown enrolment code');
      if (code.used_at)
        throw new ProtocolError('CODE_USED', `the enrolment code was already used at ${code.used_at}`);
      if (code.expires_at <= at)
        throw new ProtocolError('CODE_EXPIRED', `the enrolment code expired at ${code.expires_at}`);
      if (code.for_station !== null && code.for_station !== req.stationId)
        throw new ProtocolError('CODE_UNKNOWN', 'the enrolment code was issued for another station');
      const sameKey = await tx
        .selectFrom('stations')
        .select('station_id')
        .where('signing_jwk', '=', jwk)
        .where('station_id', '!=', req.stationId)
        .executeTakeFirst();
      if (sameKey)
        throw new ProtocolError(
          'STATION_EXISTS',
          `this signing key is already enrolled as station ${sameKey.station_id}`,
        );
      // The code is spent by whoever updates it first: concurrent uses of one code get one winner.
      const spent = await tx
        .updateTable('enrol_codes')
        .set({ used_at: at, used_by: req.stationId })
        .where('code_hash', '=', code.code_hash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(spent.numUpdatedRows) !== 1)
        throw new ProtocolError('CODE_USED', 'the enrolment code was already used');
      const existing = await tx
        .selectFrom('stations')
        .select('next_seq')
        .where('station_id', '=', req.stationId)
        .executeTakeFirst();
      if (existing) {
        if (code.for_station !== req.stationId)
          throw new ProtocolError(
            'STATION_EXISTS',
            `station ${req.stationId} is already enrolled: re-enrolling it needs a code issued for it (admin enrol-code --station ${req.stationId})`,
          );
        await tx
          .updateTable('stations')
          .set({
            name: req.stationName,
            signing_jwk: jwk,
            state: 'active',
            revoked_at: null,
            enrolled_at: at,
          })
          .where('station_id', '=', req.stationId)
          .execute();
        return existing.next_seq;
      }
      const inserted = await tx
        .insertInto('stations')
        .values({
          station_id: req.stationId,
          name: req.stationName,
          signing_jwk: jwk,
          state: 'active',
          next_seq: 1,
          anchor_seq: null,
          anchor_hash: null,
          registry_cursor: null,
          enrolled_at: at,
          revoked_at: null,
          last_seen_at: null,
        })
        // Another instance enrolling the same id at the same moment wins; this one says so.
        .onConflict((oc) => oc.column('station_id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1)
        throw new ProtocolError('STATION_EXISTS', `station ${req.stationId} was enrolled at the same moment`);
      return 1;
    });
    return {
      stationId: req.stationId,
      serverId: this.keys.serverId,
      serverSigningKey: this.keys.signingJwk as EnrolResponse['serverSigningKey'],
      serverEncryptionKey: this.keys.encryptionJwk as EnrolResponse['serverEncryptionKey'],
      nextSeq,
    };
  }

  async revokeStation(stationId: string, now = new Date()): Promise<StationInfo> {
    const r = await this.db
      .updateTable('stations')
      .set({ state: 'revoked', revoked_at: now.toISOString() })
      .where('station_id', '=', stationId)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new StoreError('NOT_FOUND', `unknown station ${stationId}`);
    return (await this.station(stationId))!;
  }

  async station(stationId: string): Promise<StationInfo | null> {
    const row = await this.db
      .selectFrom('stations')
      .selectAll()
      .where('station_id', '=', stationId)
      .executeTakeFirst();
    return row ? stationInfo(row) : null;
  }

  /** The station's enrolled signing key (public JWK), for verifying its requests. */
  async stationKey(
    stationId: string,
  ): Promise<{ jwk: Record<string, string>; state: 'active' | 'revoked' } | null> {
    const row = await this.db
      .selectFrom('stations')
      .select(['signing_jwk', 'state'])
      .where('station_id', '=', stationId)
      .executeTakeFirst();
    return row ? { jwk: JSON.parse(row.signing_jwk) as Record<string, string>, state: row.state } : null;
  }

  async listStations(): Promise<StationInfo[]> {
    const rows = await this.db.selectFrom('stations').selectAll().orderBy('station_id').execute();
    return rows.map(stationInfo);
  }

  // ── Push ────────────────────────────────────────────────────────────────────────────────

  /**
   * Applies a verified batch in one transaction. Records before the station's next_seq are
   * `duplicate` (a retry after a lost answer); a batch starting after it is refused SEQ_GAP;
   * the rest are applied or rejected by the rules, and next_seq moves past all of them.
   * `secrets` come from opening the batch's secrets before the transaction (server/secrets.ts):
   * the records whose secret failed, and the sealed secret of each that passed.
   */
  async applyBatch(batch: BatchPayload, secrets: OpenedSecrets, now = new Date()): Promise<BatchOutcome> {
    const at = now.toISOString();
    return this.db.transaction().execute(async (tx) => {
      const station = await this.lockStation(tx, batch.stationId, at);
      if (!station) throw new ProtocolError('UNKNOWN_STATION', `unknown station ${batch.stationId}`);
      if (station.state === 'revoked')
        throw new ProtocolError(
          'STATION_REVOKED',
          `station ${batch.stationId} was revoked at ${station.revoked_at}`,
        );
      await this.spendJti(tx, batch.stationId, batch.jti, batch.iat, now);
      const first = batch.records[0]?.seq;
      if (first !== undefined && first > station.next_seq)
        throw new ProtocolError(
          'SEQ_GAP',
          `the batch starts at record ${first}; the server expects ${station.next_seq}`,
          station.next_seq,
        );
      const anchor =
        station.anchor_seq !== null && station.anchor_hash !== null
          ? { seq: station.anchor_seq, hash: station.anchor_hash }
          : null;
      const extended = extendAnchor(anchor, batch.audit);
      if (!extended.ok) throw new ProtocolError('AUDIT_FORK', extended.reason);

      const fresh = batch.records.filter((r) => r.seq >= station.next_seq);
      const duplicates = batch.records.length - fresh.length;
      const ctx = await this.context(tx, batch.stationId, fresh, secrets.errors);
      const plan = planRecords(ctx, fresh);
      await this.write(tx, batch.stationId, station.name, plan.mutations, secrets.sealed, at);
      for (const part of chunks(fresh, 200)) {
        const acks = new Map(plan.acks.map((a) => [a.seq, a]));
        await tx
          .insertInto('sync_records')
          .values(
            part.map((r) => {
              const a = acks.get(r.seq)!;
              return {
                station_id: batch.stationId,
                seq: r.seq,
                kind: r.kind,
                ref: r.ref,
                status: a.status === 'applied' ? ('applied' as const) : ('rejected' as const),
                reason: a.reason ?? null,
                batch_jti: batch.jti,
                received_at: at,
              };
            }),
          )
          .execute();
      }
      const last = batch.records[batch.records.length - 1]?.seq;
      const nextSeq = last !== undefined ? Math.max(station.next_seq, last + 1) : station.next_seq;
      const head = extended.head;
      const moved = head !== null && (anchor === null || head.seq !== anchor.seq);
      await tx
        .updateTable('stations')
        .set({ next_seq: nextSeq, anchor_seq: head?.seq ?? null, anchor_hash: head?.hash ?? null })
        .where('station_id', '=', batch.stationId)
        .execute();
      if (moved)
        await tx
          .insertInto('audit_anchors')
          .values({
            station_id: batch.stationId,
            seq: head.seq,
            hash: head.hash,
            batch_jti: batch.jti,
            received_at: at,
          })
          .execute();
      const acks = [
        ...batch.records
          .filter((r) => r.seq < station.next_seq)
          .map((r) => ({ seq: r.seq, status: 'duplicate' as const })),
        ...plan.acks,
      ];
      return {
        ack: {
          protocol: PROTOCOL_VERSION,
          stationId: batch.stationId,
          jti: batch.jti,
          acks,
          nextSeq,
          anchor: head,
        },
        applied: plan.acks.filter((a) => a.status === 'applied').length,
        rejected: plan.acks.filter((a) => a.status === 'rejected').length,
        duplicate: duplicates,
      };
    });
  }

  /** The station's next_seq as last committed (to skip decrypting records that are duplicates). */
  async nextSeq(stationId: string): Promise<number | null> {
    const row = await this.db
      .selectFrom('stations')
      .select('next_seq')
      .where('station_id', '=', stationId)
      .executeTakeFirst();
    return row?.next_seq ?? null;
  }

  /**
   * Takes the station's row lock for the rest of the transaction. PostgreSQL: FOR UPDATE.
   * SQLite: an UPDATE, so the transaction holds the database's write lock from its first
   * statement and never has to upgrade a read lock (which fails at once under contention).
   */
  private async lockStation(
    tx: Transaction<Database>,
    stationId: string,
    at: string,
  ): Promise<StationTable | undefined> {
    if (this.backend === 'postgres') {
      const row = await tx
        .selectFrom('stations')
        .selectAll()
        .where('station_id', '=', stationId)
        .forUpdate()
        .executeTakeFirst();
      if (row)
        await tx
          .updateTable('stations')
          .set({ last_seen_at: at })
          .where('station_id', '=', stationId)
          .execute();
      return row;
    }
    return tx
      .updateTable('stations')
      .set({ last_seen_at: at })
      .where('station_id', '=', stationId)
      .returningAll()
      .executeTakeFirst();
  }

  /** Records a request id as used; a second use is a replay. Ids older than the skew window go. */
  private async spendJti(
    tx: Transaction<Database>,
    stationId: string,
    jti: string,
    iat: number,
    now: Date,
  ): Promise<void> {
    const r = await tx
      .insertInto('station_jtis')
      .values({ station_id: stationId, jti, iat })
      .onConflict((oc) => oc.columns(['station_id', 'jti']).doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0)
      throw new ProtocolError('REPLAYED', `request ${jti} was already received from station ${stationId}`);
    // A jti older than twice the skew would be refused as STALE anyway: it need not be kept.
    await tx
      .deleteFrom('station_jtis')
      .where('station_id', '=', stationId)
      .where('iat', '<', Math.floor(now.getTime() / 1000) - 2 * MAX_CLOCK_SKEW_S)
      .execute();
  }

  /** Spends the jti of a signed GET (outside a batch) in its own transaction. */
  async spendRequestJti(stationId: string, jti: string, iat: number, now = new Date()): Promise<void> {
    await this.db.transaction().execute((tx) => this.spendJti(tx, stationId, jti, iat, now));
  }

  private async context(
    tx: Transaction<Database>,
    stationId: string,
    records: readonly SyncRecord[],
    secretErrors: Map<number, string>,
  ): Promise<ApplyContext> {
    const iccids = [
      ...new Set(records.map((r) => (r.kind === 'card-personalised' ? r.data.iccid : r.data.device.iccid))),
    ];
    const bindingIds = [
      ...new Set(records.flatMap((r) => (r.kind === 'kyc-event' ? [r.data.bindingId] : []))),
    ];
    const ctx: ApplyContext = {
      stationId,
      devices: new Map(),
      bindings: new Map(),
      activeByIccid: new Map(),
      secretErrors,
    };
    for (const part of chunks(iccids, IN_CHUNK)) {
      const devices = await tx
        .selectFrom('devices')
        .select(['iccid', 'station_id', 'station_seq'])
        .where('iccid', 'in', part)
        .execute();
      for (const d of devices)
        ctx.devices.set(d.iccid, { iccid: d.iccid, stationId: d.station_id, stationSeq: d.station_seq });
    }
    const bindingRows = [];
    for (const part of chunks(iccids, IN_CHUNK))
      bindingRows.push(...(await tx.selectFrom('bindings').selectAll().where('iccid', 'in', part).execute()));
    for (const part of chunks(bindingIds, IN_CHUNK))
      bindingRows.push(
        ...(await tx.selectFrom('bindings').selectAll().where('binding_id', 'in', part).execute()),
      );
    for (const b of bindingRows) {
      const view: BindingView = {
        bindingId: b.binding_id,
        iccid: b.iccid,
        custodianId: b.custodian_id,
        state: b.state,
        erased: b.erased_at !== null,
      };
      ctx.bindings.set(b.binding_id, view);
      if (b.state === 'active') ctx.activeByIccid.set(b.iccid, b.binding_id);
    }
    return ctx;
  }

  private async write(
    tx: Transaction<Database>,
    stationId: string,
    provider: string,
    mutations: readonly Mutation[],
    sealed: ReadonlyMap<number, string>,
    at: string,
  ): Promise<void> {
    const sealedOf = (seq: number): string => {
      const s = sealed.get(seq);
      // secrets.ts rejects every record without a secret, so an applied one always has one.
      if (s === undefined) throw new Error(`record ${seq} was applied without its sealed secret`);
      return s;
    };
    // Devices first, many rows per statement: the bulk of a perso batch, and nothing they
    // depend on comes later in the batch.
    const devices = mutations.flatMap((m) => (m.op === 'device' ? [m.record] : []));
    for (const part of chunks(devices, 200))
      await tx
        .insertInto('devices')
        .values(
          part.map((r) => ({
            iccid: r.data.iccid,
            imsi: r.data.imsi,
            impi: r.data.impi,
            eid: null,
            profile: r.data.profile,
            state: 'personalised' as const,
            provider,
            station_id: stationId,
            station_seq: r.seq,
            batch_id: r.data.batchId,
            kcvs: JSON.stringify(r.data.kcvs),
            secret_sealed: sealedOf(r.seq),
            verified_at: r.data.verifiedAt,
            received_at: at,
          })),
        )
        .execute();
    for (const m of mutations) {
      switch (m.op) {
        case 'device':
          break;
        case 'binding': {
          const d = m.record.data;
          await tx
            .insertInto('bindings')
            .values({
              binding_id: d.bindingId,
              iccid: d.device.iccid,
              custodian_id: d.custodianId,
              custodian_kind: d.custodianKind,
              purpose: d.purpose,
              state: 'active',
              supersedes: d.supersedes,
              station_id: stationId,
              started_at: d.at,
              ended_at: null,
              personal_sealed: sealedOf(m.record.seq),
              erased_at: null,
            })
            .execute();
          break;
        }
        case 'end-binding':
          await tx
            .updateTable('bindings')
            .set({ state: m.state, ended_at: m.at })
            .where('binding_id', '=', m.bindingId)
            .execute();
          break;
        case 'erase':
          await tx
            .updateTable('bindings')
            .set({ personal_sealed: null, erased_at: m.at })
            .where('binding_id', '=', m.bindingId)
            .execute();
          break;
        case 'device-state':
          await tx
            .updateTable('devices')
            .set(m.eid ? { state: m.state, eid: m.eid } : { state: m.state })
            .where('iccid', '=', m.iccid)
            .execute();
          break;
        case 'event': {
          const d = m.record.data;
          await tx
            .insertInto('custody_events')
            .values({
              station_id: stationId,
              seq: m.record.seq,
              binding_id: d.bindingId,
              iccid: d.device.iccid,
              action: d.action,
              operator: d.operator,
              reason: d.reason ?? null,
              at: d.at,
              device: JSON.stringify(d.device),
            })
            .execute();
          break;
        }
      }
    }
  }

  /** Every record received from a station, in order (tests and `admin records`). */
  async records(
    stationId: string,
  ): Promise<{ seq: number; kind: string; ref: string; status: string; reason: string | null }[]> {
    return this.db
      .selectFrom('sync_records')
      .select(['seq', 'kind', 'ref', 'status', 'reason'])
      .where('station_id', '=', stationId)
      .orderBy('seq')
      .execute();
  }

  // ── Registry (clause 9.2.2) ────────────────────────────────────────────────────────────

  /** The next registry change number; the meta row's lock orders concurrent changes. */
  private async nextChange(tx: Transaction<Database>): Promise<number> {
    const row = await tx
      .updateTable('meta')
      .set({ value: sql<string>`CAST(CAST(value AS integer) + 1 AS text)` })
      .where('key', '=', 'registry_change_seq')
      .returning('value')
      .executeTakeFirstOrThrow();
    return Number(row.value);
  }

  async addApplication(
    app: { appId: string; name: string; provider: string },
    now = new Date(),
  ): Promise<Application> {
    return this.db.transaction().execute(async (tx) => {
      const exists = await tx
        .selectFrom('applications')
        .select('app_id')
        .where('app_id', '=', app.appId)
        .executeTakeFirst();
      if (exists) throw new StoreError('CONFLICT', `application ${app.appId} already exists`);
      const row = {
        app_id: app.appId,
        name: app.name,
        provider: app.provider,
        state: 'active' as const,
        updated_at: now.toISOString(),
        change_seq: await this.nextChange(tx),
      };
      await tx.insertInto('applications').values(row).execute();
      return {
        appId: row.app_id,
        name: row.name,
        provider: row.provider,
        state: row.state,
        updatedAt: row.updated_at,
      };
    });
  }

  async setApplicationState(
    appId: string,
    state: Application['state'],
    now = new Date(),
  ): Promise<Application> {
    return this.db.transaction().execute(async (tx) => {
      const change = await this.nextChange(tx);
      const row = await tx
        .updateTable('applications')
        .set({ state, updated_at: now.toISOString(), change_seq: change })
        .where('app_id', '=', appId)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new StoreError('NOT_FOUND', `unknown application ${appId}`);
      return {
        appId: row.app_id,
        name: row.name,
        provider: row.provider,
        state: row.state,
        updatedAt: row.updated_at,
      };
    });
  }

  async permit(iccid: string, appId: string, granted: boolean, now = new Date()): Promise<Permission> {
    return this.db.transaction().execute(async (tx) => {
      const device = await tx
        .selectFrom('devices')
        .select('iccid')
        .where('iccid', '=', iccid)
        .executeTakeFirst();
      if (!device) throw new StoreError('NOT_FOUND', `unknown device ICCID ${iccid}`);
      const app = await tx
        .selectFrom('applications')
        .select('app_id')
        .where('app_id', '=', appId)
        .executeTakeFirst();
      if (!app) throw new StoreError('NOT_FOUND', `unknown application ${appId}`);
      const row = {
        iccid,
        app_id: appId,
        granted: granted ? 1 : 0,
        updated_at: now.toISOString(),
        change_seq: await this.nextChange(tx),
      };
      await tx
        .insertInto('permissions')
        .values(row)
        .onConflict((oc) =>
          oc
            .columns(['iccid', 'app_id'])
            .doUpdateSet({ granted: row.granted, updated_at: row.updated_at, change_seq: row.change_seq }),
        )
        .execute();
      return { iccid, appId, granted, updatedAt: row.updated_at };
    });
  }

  /**
   * Registry changes after `since`, oldest first, at most `limit`: each side is read limit+1
   * deep, so the first `limit` of their merge are exactly the next changes.
   */
  async registryChanges(
    stationId: string,
    since: number,
    limit: number,
  ): Promise<{ applications: Application[]; permissions: Permission[]; cursor: string; more: boolean }> {
    const apps = await this.db
      .selectFrom('applications')
      .selectAll()
      .where('change_seq', '>', since)
      .orderBy('change_seq')
      .limit(limit + 1)
      .execute();
    // Clause 9.2.2: a station learns the permissions of its own devices only — those it
    // personalised or holds a custody binding for — never another station's.
    const perms = await this.db
      .selectFrom('permissions')
      .selectAll()
      .where('change_seq', '>', since)
      .where((eb) =>
        eb.or([
          eb('iccid', 'in', eb.selectFrom('devices').select('iccid').where('station_id', '=', stationId)),
          eb('iccid', 'in', eb.selectFrom('bindings').select('iccid').where('station_id', '=', stationId)),
        ]),
      )
      .orderBy('change_seq')
      .limit(limit + 1)
      .execute();
    const merged = [
      ...apps.map((a) => ({ change: a.change_seq, app: a })),
      ...perms.map((p) => ({ change: p.change_seq, perm: p })),
    ].sort((a, b) => a.change - b.change);
    const page = merged.slice(0, limit);
    const cursor = page.length ? String(page[page.length - 1]!.change) : String(since);
    await this.db
      .updateTable('stations')
      .set({ registry_cursor: String(since) })
      .where('station_id', '=', stationId)
      .execute();
    return {
      applications: page.flatMap((c) =>
        'app' in c && c.app
          ? [
              {
                appId: c.app.app_id,
                name: c.app.name,
                provider: c.app.provider,
                state: c.app.state,
                updatedAt: c.app.updated_at,
              },
            ]
          : [],
      ),
      permissions: page.flatMap((c) =>
        'perm' in c && c.perm
          ? [
              {
                iccid: c.perm.iccid,
                appId: c.perm.app_id,
                granted: c.perm.granted === 1,
                updatedAt: c.perm.updated_at,
              },
            ]
          : [],
      ),
      cursor,
      more: merged.length > limit,
    };
  }

  // ── Admin views ─────────────────────────────────────────────────────────────────────────

  async listDevices(stationId?: string): Promise<DeviceInfo[]> {
    let q = this.db.selectFrom('devices').selectAll().orderBy('station_id').orderBy('station_seq');
    if (stationId) q = q.where('station_id', '=', stationId);
    return (await q.execute()).map(deviceInfo);
  }

  /**
   * One device with the KCVs of its keys, computed here by opening the sealed secret with the
   * server's records key: proof that the keys arrived whole and open only on the server, without
   * printing them (GP Amd D §6.2.3 KCV: AES(K, 01×16), first 3 bytes).
   */
  async device(
    iccid: string,
  ): Promise<DeviceInfo & { stationKcvs: Record<string, string>; serverKcvs: Record<string, string> }> {
    const d = await this.db.selectFrom('devices').selectAll().where('iccid', '=', iccid).executeTakeFirst();
    if (!d) throw new StoreError('NOT_FOUND', `unknown device ICCID ${iccid}`);
    const secret = cardSecret.parse(openRecordSecret(this.keys.records, d.secret_sealed, deviceAad(iccid)));
    const serverKcvs: Record<string, string> = {};
    {
      const kcv = (h: string) => {
        const key = Buffer.from(h, 'hex');
        try {
          return Buffer.from(kcvAes(key)).toString('hex');
        } finally {
          key.fill(0);
        }
      };
      serverKcvs.k = kcv(secret.k);
      serverKcvs.opc = kcv(secret.opc);
      for (const [n, h] of Object.entries(secret.appKeys)) serverKcvs[`app${n}`] = kcv(h);
    }
    return { ...deviceInfo(d), stationKcvs: JSON.parse(d.kcvs) as Record<string, string>, serverKcvs };
  }

  /** A device's custody history; the personal data (opened here) only when asked. */
  async bindings(
    iccid: string,
    reveal = false,
  ): Promise<{ iccid: string; bindings: BindingInfo[]; events: CustodyEventInfo[] }> {
    const device = await this.db
      .selectFrom('devices')
      .select('iccid')
      .where('iccid', '=', iccid)
      .executeTakeFirst();
    if (!device) throw new StoreError('NOT_FOUND', `unknown device ICCID ${iccid}`);
    const rows = await this.db
      .selectFrom('bindings')
      .selectAll()
      .where('iccid', '=', iccid)
      .orderBy('started_at')
      .execute();
    const events = await this.db
      .selectFrom('custody_events')
      .select([
        'custody_events.station_id',
        'custody_events.seq',
        'custody_events.binding_id',
        'custody_events.action',
        'custody_events.operator',
        'custody_events.reason',
        'custody_events.at',
      ])
      .where('custody_events.iccid', '=', iccid)
      .orderBy('custody_events.at')
      .orderBy('custody_events.seq')
      .execute();
    const bindings: BindingInfo[] = [];
    for (const b of rows) {
      const info: BindingInfo = {
        bindingId: b.binding_id,
        custodianId: b.custodian_id,
        custodianKind: b.custodian_kind,
        purpose: b.purpose,
        state: b.state,
        supersedes: b.supersedes,
        stationId: b.station_id,
        startedAt: b.started_at,
        endedAt: b.ended_at,
        erasedAt: b.erased_at,
        hasPersonalData: b.personal_sealed !== null,
      };
      if (reveal && b.personal_sealed)
        info.personalData = openRecordSecret(this.keys.records, b.personal_sealed, bindingAad(b.binding_id));
      bindings.push(info);
    }
    return {
      iccid,
      bindings,
      events: events.map((e) => ({
        stationId: e.station_id,
        seq: e.seq,
        bindingId: e.binding_id,
        action: e.action,
        operator: e.operator,
        reason: e.reason,
        at: e.at,
      })),
    };
  }

  async anchors(stationId: string): Promise<{ seq: number; hash: string; receivedAt: string }[]> {
    const rows = await this.db
      .selectFrom('audit_anchors')
      .select(['seq', 'hash', 'received_at'])
      .where('station_id', '=', stationId)
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({ seq: r.seq, hash: r.hash, receivedAt: r.received_at }));
  }
}

export interface DeviceInfo {
  iccid: string;
  imsi: string;
  impi: string;
  eid: string | null;
  profile: string;
  state: 'personalised' | 'bound';
  provider: string;
  stationId: string;
  stationSeq: number;
  batchId: string;
  verifiedAt: string;
  receivedAt: string;
}

export interface BindingInfo {
  bindingId: string;
  custodianId: string;
  custodianKind: string;
  purpose: string;
  state: string;
  supersedes: string | null;
  stationId: string;
  startedAt: string;
  endedAt: string | null;
  erasedAt: string | null;
  hasPersonalData: boolean;
  personalData?: unknown;
}

export interface CustodyEventInfo {
  stationId: string;
  seq: number;
  bindingId: string;
  action: string;
  operator: string;
  reason: string | null;
  at: string;
}

function deviceInfo(d: DeviceTable): DeviceInfo {
  return {
    iccid: d.iccid,
    imsi: d.imsi,
    impi: d.impi,
    eid: d.eid,
    profile: d.profile,
    state: d.state,
    provider: d.provider,
    stationId: d.station_id,
    stationSeq: d.station_seq,
    batchId: d.batch_id,
    verifiedAt: d.verified_at,
    receivedAt: d.received_at,
  };
}

function stationInfo(row: StationTable): StationInfo {
  return {
    stationId: row.station_id,
    name: row.name,
    state: row.state,
    nextSeq: row.next_seq,
    anchor:
      row.anchor_seq !== null && row.anchor_hash !== null
        ? { seq: row.anchor_seq, hash: row.anchor_hash }
        : null,
    enrolledAt: row.enrolled_at,
    revokedAt: row.revoked_at,
    lastSeenAt: row.last_seen_at,
    registryCursor: row.registry_cursor,
  };
}
