/**
 * Schema version 3: sync with the Resource Server (DESIGN.md §6). Each outbox row may carry
 * secret fields sealed under the LMK (the sync engine opens them only to encrypt them to the
 * server's key) and records the server's answer: applied, duplicate, or rejected with the
 * reason (quarantined: shown, never retried). `sync_state` holds the enrolment and cursors;
 * the registry tables hold what the station pulled (clause 9.2.2).
 */
import type { Db } from '../database.js';

export const version = 3;

export function up(db: Db): void {
  db.exec(`
    ALTER TABLE outbox ADD COLUMN secret BLOB;
    ALTER TABLE outbox ADD COLUMN state TEXT NOT NULL DEFAULT 'pending'
      CHECK (state IN ('pending', 'applied', 'duplicate', 'rejected'));
    ALTER TABLE outbox ADD COLUMN reason TEXT;
    ALTER TABLE outbox ADD COLUMN acked_at TEXT;
    CREATE INDEX outbox_by_state ON outbox (state, seq);
    CREATE TABLE sync_state (
      name  TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );
    CREATE TABLE registry_applications (
      app_id     TEXT PRIMARY KEY,
      name       TEXT NOT NULL,
      provider   TEXT NOT NULL,
      state      TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE TABLE registry_permissions (
      iccid      TEXT NOT NULL,
      app_id     TEXT NOT NULL,
      granted    INTEGER NOT NULL CHECK (granted IN (0, 1)),
      updated_at TEXT NOT NULL,
      PRIMARY KEY (iccid, app_id)
    );
  `);
}
