/**
 * Schema version 4: Machine KYC (clause 3.2.4; DESIGN.md §5). A binding is a row that is never
 * deleted and whose history fields never change: a correction or a transfer is a new row that
 * `supersedes` the old one, a withdrawal ends the row. The triggers hold that even against a
 * bug or a hand-edited database:
 *
 * - the identity of a binding (device, custodian id, purpose, who, when, retention date) is
 *   immutable;
 * - its state only moves active → superseded | transferred | withdrawn, and any → erased;
 * - the end of a binding (when, who, why, the withdrawal signature) is written once;
 * - the sealed personal data (`personal`, `withdrawal`, evidence `data`) may only become NULL,
 *   and only by erasure (retention end or withdrawal of consent, audited by the store);
 * - a name search token is deleted only once its binding is erased.
 *
 * Personal data is sealed under the LMK inside SQLCipher (two layers: a copied database file
 * and a leaked page both stay opaque); device identifiers are clear columns so they can be
 * searched; a custodian's name is searched by keyed tokens (HMAC), never stored in clear.
 */
import type { Db } from '../database.js';

export const version = 4;

const IMMUTABLE = [
  'id',
  'action',
  'supersedes',
  'iccid',
  'eid',
  'imei',
  'vin',
  'registration',
  'engine_number',
  'make',
  'model',
  'tracker_serial',
  'custodian_id',
  'custodian_kind',
  'purpose',
  'dealer',
  'operator',
  'reason',
  'notice_version',
  'consent_at',
  'created_at',
  'retention_until',
];

/** Columns written once: NULL until set, then fixed. */
const WRITE_ONCE = [
  'superseded_by',
  'ended_at',
  'ended_by',
  'end_reason',
  'erased_at',
  'erased_by',
  'erase_reason',
];

export function up(db: Db): void {
  const changed = (cols: string[]) => cols.map((c) => `NEW.${c} IS NOT OLD.${c}`).join(' OR ');
  const rewritten = (cols: string[]) =>
    cols.map((c) => `(OLD.${c} IS NOT NULL AND NEW.${c} IS NOT OLD.${c})`).join(' OR ');
  db.exec(`
    CREATE TABLE kyc_keys (
      name       TEXT PRIMARY KEY,
      sealed     BLOB NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE TRIGGER kyc_keys_no_update BEFORE UPDATE ON kyc_keys BEGIN SELECT RAISE(ABORT, 'a KYC key is never replaced'); END;
    CREATE TRIGGER kyc_keys_no_delete BEFORE DELETE ON kyc_keys BEGIN SELECT RAISE(ABORT, 'a KYC key is never deleted'); END;

    CREATE TABLE kyc_bindings (
      id              TEXT PRIMARY KEY,
      action          TEXT NOT NULL CHECK (action IN ('bind', 'correct', 'transfer')),
      supersedes      TEXT REFERENCES kyc_bindings (id),
      superseded_by   TEXT REFERENCES kyc_bindings (id),
      state           TEXT NOT NULL CHECK (state IN ('active', 'superseded', 'transferred', 'withdrawn', 'erased')),
      iccid           TEXT NOT NULL,
      eid             TEXT,
      imei            TEXT,
      vin             TEXT,
      registration    TEXT,
      engine_number   TEXT,
      make            TEXT,
      model           TEXT,
      tracker_serial  TEXT,
      custodian_id    TEXT NOT NULL,
      custodian_kind  TEXT NOT NULL CHECK (custodian_kind IN ('individual', 'organisation')),
      purpose         TEXT NOT NULL,
      dealer          TEXT NOT NULL,
      operator        TEXT NOT NULL,
      reason          TEXT,
      notice_version  TEXT NOT NULL,
      consent_at      TEXT NOT NULL,
      created_at      TEXT NOT NULL,
      retention_until TEXT NOT NULL,
      personal        BLOB,
      ended_at        TEXT,
      ended_by        TEXT,
      end_reason      TEXT,
      withdrawal      BLOB,
      erased_at       TEXT,
      erased_by       TEXT,
      erase_reason    TEXT,
      CHECK ((state = 'erased') = (erased_at IS NOT NULL)),
      CHECK (personal IS NOT NULL OR state = 'erased')
    );
    CREATE UNIQUE INDEX kyc_one_active_binding_per_device ON kyc_bindings (iccid) WHERE state = 'active';
    CREATE INDEX kyc_bindings_by_iccid ON kyc_bindings (iccid, created_at);
    CREATE INDEX kyc_bindings_by_imei ON kyc_bindings (imei) WHERE imei IS NOT NULL;
    CREATE INDEX kyc_bindings_by_vin ON kyc_bindings (vin) WHERE vin IS NOT NULL;
    CREATE INDEX kyc_bindings_by_registration ON kyc_bindings (registration) WHERE registration IS NOT NULL;
    CREATE INDEX kyc_bindings_by_custodian ON kyc_bindings (custodian_id);
    CREATE INDEX kyc_bindings_by_time ON kyc_bindings (created_at);
    CREATE INDEX kyc_bindings_by_retention ON kyc_bindings (retention_until) WHERE state <> 'erased';

    CREATE TRIGGER kyc_bindings_no_delete BEFORE DELETE ON kyc_bindings
      BEGIN SELECT RAISE(ABORT, 'KYC bindings are append-only: erase the personal data instead'); END;
    CREATE TRIGGER kyc_bindings_history BEFORE UPDATE ON kyc_bindings WHEN ${changed(IMMUTABLE)}
      BEGIN SELECT RAISE(ABORT, 'KYC bindings are append-only: a correction is a new binding that supersedes this one'); END;
    CREATE TRIGGER kyc_bindings_write_once BEFORE UPDATE ON kyc_bindings WHEN ${rewritten(WRITE_ONCE)}
      BEGIN SELECT RAISE(ABORT, 'the end of a KYC binding is recorded once'); END;
    CREATE TRIGGER kyc_bindings_state BEFORE UPDATE OF state ON kyc_bindings
      WHEN NEW.state IS NOT OLD.state
       AND NOT (OLD.state = 'active' AND NEW.state IN ('superseded', 'transferred', 'withdrawn'))
       AND NOT (OLD.state <> 'erased' AND NEW.state = 'erased')
      BEGIN SELECT RAISE(ABORT, 'a KYC binding state moves only from active to superseded, transferred or withdrawn, or to erased'); END;
    CREATE TRIGGER kyc_bindings_personal BEFORE UPDATE ON kyc_bindings
      WHEN (NEW.personal IS NOT OLD.personal AND NOT (NEW.personal IS NULL AND NEW.state = 'erased'))
        OR (NEW.withdrawal IS NOT OLD.withdrawal AND NOT (OLD.withdrawal IS NULL AND NEW.state = 'withdrawn')
            AND NOT (NEW.withdrawal IS NULL AND NEW.state = 'erased'))
      BEGIN SELECT RAISE(ABORT, 'sealed personal data of a KYC binding is only ever erased'); END;

    CREATE TABLE kyc_name_tokens (
      token      TEXT NOT NULL,
      binding_id TEXT NOT NULL REFERENCES kyc_bindings (id),
      PRIMARY KEY (token, binding_id)
    ) WITHOUT ROWID;
    CREATE TRIGGER kyc_name_tokens_no_update BEFORE UPDATE ON kyc_name_tokens
      BEGIN SELECT RAISE(ABORT, 'a name search token never changes'); END;
    CREATE TRIGGER kyc_name_tokens_delete BEFORE DELETE ON kyc_name_tokens
      WHEN (SELECT state FROM kyc_bindings WHERE id = OLD.binding_id) IS NOT 'erased'
      BEGIN SELECT RAISE(ABORT, 'a name search token goes only with its erased binding'); END;

    CREATE TABLE kyc_evidence (
      id             TEXT PRIMARY KEY,
      binding_id     TEXT NOT NULL REFERENCES kyc_bindings (id),
      kind           TEXT NOT NULL,
      source         TEXT NOT NULL CHECK (source IN ('camera', 'file')),
      mime           TEXT NOT NULL CHECK (mime IN ('image/jpeg', 'image/png')),
      bytes          INTEGER NOT NULL,
      sha256         TEXT NOT NULL,
      stripped_bytes INTEGER NOT NULL,
      captured_at    TEXT NOT NULL,
      data           BLOB,
      erased_at      TEXT,
      CHECK ((data IS NULL) = (erased_at IS NOT NULL))
    );
    CREATE INDEX kyc_evidence_by_binding ON kyc_evidence (binding_id);
    CREATE TRIGGER kyc_evidence_no_delete BEFORE DELETE ON kyc_evidence
      BEGIN SELECT RAISE(ABORT, 'KYC evidence is append-only: erase its image instead'); END;
    CREATE TRIGGER kyc_evidence_erase_only BEFORE UPDATE ON kyc_evidence
      WHEN ${changed(['id', 'binding_id', 'kind', 'source', 'mime', 'bytes', 'sha256', 'stripped_bytes', 'captured_at'])}
        OR (NEW.data IS NOT OLD.data AND NEW.data IS NOT NULL)
        OR (OLD.erased_at IS NOT NULL AND NEW.erased_at IS NOT OLD.erased_at)
      BEGIN SELECT RAISE(ABORT, 'a KYC evidence image is only ever erased'); END;

    CREATE TABLE kyc_drafts (
      operator TEXT PRIMARY KEY,
      sealed   BLOB NOT NULL,
      saved_at TEXT NOT NULL
    );
  `);
}
