/** Schema version 1: station metadata, users, key records, the audit chain. */
import type { Db } from '../database.js';

export const version = 1;

export function up(db: Db): void {
  db.exec(`
    CREATE TABLE meta (
      name  TEXT PRIMARY KEY,
      value BLOB NOT NULL
    );
    CREATE TABLE users (
      username   TEXT PRIMARY KEY,
      role       TEXT NOT NULL CHECK (role IN ('security_officer', 'supervisor', 'operator')),
      state      TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'disabled')),
      created_at TEXT NOT NULL,
      created_by TEXT NOT NULL
    );
    CREATE TABLE keys (
      id         TEXT PRIMARY KEY,
      label      TEXT NOT NULL UNIQUE,
      type       TEXT NOT NULL,
      usage      TEXT NOT NULL,
      kcv        TEXT NOT NULL,
      state      TEXT NOT NULL CHECK (state IN ('active', 'retired', 'destroyed')),
      origin     TEXT NOT NULL CHECK (origin IN ('generated', 'components', 'derived', 'imported')),
      created_at TEXT NOT NULL,
      created_by TEXT NOT NULL,
      secret     BLOB
    );
    CREATE TABLE audit (
      seq       INTEGER PRIMARY KEY,
      at        TEXT NOT NULL,
      actor     TEXT NOT NULL,
      event     TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash      TEXT NOT NULL
    );
    -- Append-only: the chain catches what bypasses these, the triggers stop honest mistakes.
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `);
}
