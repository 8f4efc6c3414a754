/**
 * The Resource Server's tables (clause 7.1.2: devices and their credentials; 3.2.4: custody
 * bindings; 9.2.2: the application registry) and the one migration path for both backends:
 * the Kysely schema builder writes SQLite's and PostgreSQL's DDL from the same code.
 *
 * Portable types only: text, integer, and 0/1 integers for booleans, ISO-8601 text for time,
 * JSON as text. Sequence numbers fit in 32 bits (a station writing 1,000 records a second for
 * 24 days before overflow is not a workstation).
 */
import { sql, type Kysely } from 'kysely';

export type Backend = 'sqlite' | 'postgres';

export interface MetaTable {
  key: string;
  value: string;
}

/** The server's own keys: the private half AES-256-GCM-sealed under the master key. */
export interface ServerKeyTable {
  use: 'sig' | 'enc';
  kid: string;
  public_jwk: string;
  private_sealed: string;
  created_at: string;
}

/** One-time enrolment codes, kept only as SHA-256 so a database dump enrols nobody. */
export interface EnrolCodeTable {
  code_hash: string;
  station_name: string;
  /** Set for a re-enrolment: only that (already enrolled) station may use the code. */
  for_station: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  used_by: string | null;
}

export interface StationTable {
  station_id: string;
  name: string;
  signing_jwk: string;
  state: 'active' | 'revoked';
  /** The next record sequence the server expects; advances over applied, duplicate and rejected. */
  next_seq: number;
  anchor_seq: number | null;
  anchor_hash: string | null;
  /** The `since` of the station's last registry pull (its sync cursor). */
  registry_cursor: string | null;
  enrolled_at: string;
  revoked_at: string | null;
  last_seen_at: string | null;
}

/** Request ids seen per station (replay refusal); pruned once older than the clock-skew window. */
export interface StationJtiTable {
  station_id: string;
  jti: string;
  iat: number;
}

/** Every record received, once: the key (station_id, seq) is what makes a push exactly-once. */
export interface SyncRecordTable {
  station_id: string;
  seq: number;
  kind: string;
  ref: string;
  status: 'applied' | 'rejected';
  reason: string | null;
  batch_jti: string;
  received_at: string;
}

export interface DeviceTable {
  iccid: string;
  imsi: string;
  impi: string;
  eid: string | null;
  profile: string;
  state: 'personalised' | 'bound';
  /** The operator organisation that provisioned it (the enrolling station's name). */
  provider: string;
  station_id: string;
  station_seq: number;
  batch_id: string;
  kcvs: string;
  /**
   * The card's keys (cardSecret JSON) sealed with AES-256-GCM under the server's records key,
   * AAD `device:<iccid>` (server/secrets.ts): base64 of iv ‖ tag ‖ ciphertext.
   */
  secret_sealed: string;
  verified_at: string;
  received_at: string;
}

export interface BindingTable {
  binding_id: string;
  iccid: string;
  custodian_id: string;
  custodian_kind: 'individual' | 'organisation';
  purpose: string;
  state: 'active' | 'superseded' | 'withdrawn';
  supersedes: string | null;
  station_id: string;
  started_at: string;
  ended_at: string | null;
  /**
   * The personal data and consent (kycSecret JSON) sealed like devices.secret_sealed, AAD
   * `binding:<bindingId>`; null once erased.
   */
  personal_sealed: string | null;
  erased_at: string | null;
}

/** The custody history, append-only: one row per kyc-event record applied. */
export interface CustodyEventTable {
  station_id: string;
  seq: number;
  binding_id: string;
  iccid: string;
  action: string;
  operator: string;
  reason: string | null;
  at: string;
  device: string;
}

export interface AuditAnchorTable {
  station_id: string;
  seq: number;
  hash: string;
  batch_jti: string;
  received_at: string;
}

export interface ApplicationTable {
  app_id: string;
  name: string;
  provider: string;
  state: 'active' | 'suspended' | 'retired';
  updated_at: string;
  change_seq: number;
}

export interface PermissionTable {
  iccid: string;
  app_id: string;
  granted: number;
  updated_at: string;
  change_seq: number;
}

export interface Database {
  meta: MetaTable;
  server_keys: ServerKeyTable;
  enrol_codes: EnrolCodeTable;
  stations: StationTable;
  station_jtis: StationJtiTable;
  sync_records: SyncRecordTable;
  devices: DeviceTable;
  bindings: BindingTable;
  custody_events: CustodyEventTable;
  audit_anchors: AuditAnchorTable;
  applications: ApplicationTable;
  permissions: PermissionTable;
}

export const SCHEMA_VERSION = 1;

/**
 * Creates the tables if missing. On PostgreSQL several instances may start at once: the DDL
 * runs in one transaction under an advisory lock, so one creates and the others find it done.
 */
export async function migrate(db: Kysely<Database>, backend: Backend): Promise<void> {
  await db.transaction().execute(async (tx) => {
    if (backend === 'postgres') await sql`SELECT pg_advisory_xact_lock(7120071)`.execute(tx);
    const s = tx.schema;
    await s
      .createTable('meta')
      .ifNotExists()
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
    const row = await tx
      .selectFrom('meta')
      .select('value')
      .where('key', '=', 'schema_version')
      .executeTakeFirst();
    const version = row ? Number(row.value) : 0;
    if (version > SCHEMA_VERSION)
      throw new Error(
        `the database has schema version ${version}; this server knows up to ${SCHEMA_VERSION} (upgrade the server)`,
      );
    if (version === SCHEMA_VERSION) return;

    await s
      .createTable('server_keys')
      .addColumn('use', 'text', (c) => c.primaryKey())
      .addColumn('kid', 'text', (c) => c.notNull())
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('private_sealed', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await s
      .createTable('enrol_codes')
      .addColumn('code_hash', 'text', (c) => c.primaryKey())
      .addColumn('station_name', 'text', (c) => c.notNull())
      .addColumn('for_station', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .addColumn('used_by', 'text')
      .execute();
    await s
      .createTable('stations')
      .addColumn('station_id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('signing_jwk', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('next_seq', 'integer', (c) => c.notNull())
      .addColumn('anchor_seq', 'integer')
      .addColumn('anchor_hash', 'text')
      .addColumn('registry_cursor', 'text')
      .addColumn('enrolled_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .addColumn('last_seen_at', 'text')
      .execute();
    await s
      .createTable('station_jtis')
      .addColumn('station_id', 'text', (c) => c.notNull())
      .addColumn('jti', 'text', (c) => c.notNull())
      .addColumn('iat', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('station_jtis_pk', ['station_id', 'jti'])
      .execute();
    await s.createIndex('station_jtis_iat').on('station_jtis').columns(['station_id', 'iat']).execute();
    await s
      .createTable('sync_records')
      .addColumn('station_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('ref', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('batch_jti', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('sync_records_pk', ['station_id', 'seq'])
      .execute();
    await s
      .createTable('devices')
      .addColumn('iccid', 'text', (c) => c.primaryKey())
      .addColumn('imsi', 'text', (c) => c.notNull())
      .addColumn('impi', 'text', (c) => c.notNull())
      .addColumn('eid', 'text')
      .addColumn('profile', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('station_id', 'text', (c) => c.notNull())
      .addColumn('station_seq', 'integer', (c) => c.notNull())
      .addColumn('batch_id', 'text', (c) => c.notNull())
      .addColumn('kcvs', 'text', (c) => c.notNull())
      .addColumn('secret_sealed', 'text', (c) => c.notNull())
      .addColumn('verified_at', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .execute();
    await s.createIndex('devices_station').on('devices').columns(['station_id', 'station_seq']).execute();
    await s
      .createTable('bindings')
      .addColumn('binding_id', 'text', (c) => c.primaryKey())
      .addColumn('iccid', 'text', (c) => c.notNull())
      .addColumn('custodian_id', 'text', (c) => c.notNull())
      .addColumn('custodian_kind', 'text', (c) => c.notNull())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('supersedes', 'text')
      .addColumn('station_id', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('ended_at', 'text')
      .addColumn('personal_sealed', 'text')
      .addColumn('erased_at', 'text')
      .execute();
    await s.createIndex('bindings_iccid').on('bindings').columns(['iccid', 'state']).execute();
    await s
      .createTable('custody_events')
      .addColumn('station_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('binding_id', 'text', (c) => c.notNull())
      .addColumn('iccid', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('operator', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('device', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('custody_events_pk', ['station_id', 'seq'])
      .execute();
    await s.createIndex('custody_events_iccid').on('custody_events').columns(['iccid']).execute();
    await s
      .createTable('audit_anchors')
      .addColumn('station_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('batch_jti', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_anchors_pk', ['station_id', 'seq'])
      .execute();
    await s
      .createTable('applications')
      .addColumn('app_id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('change_seq', 'integer', (c) => c.notNull())
      .execute();
    await s.createIndex('applications_change').on('applications').columns(['change_seq']).execute();
    await s
      .createTable('permissions')
      .addColumn('iccid', 'text', (c) => c.notNull())
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('granted', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('change_seq', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('permissions_pk', ['iccid', 'app_id'])
      .execute();
    await s.createIndex('permissions_change').on('permissions').columns(['change_seq']).execute();
    await tx
      .insertInto('meta')
      .values([
        { key: 'schema_version', value: String(SCHEMA_VERSION) },
        { key: 'registry_change_seq', value: '0' },
      ])
      .execute();
  });
}
