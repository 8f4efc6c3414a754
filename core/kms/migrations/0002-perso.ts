/**
 * Schema version 2: factory personalisation. A batch is an order accepted by this station; a
 * card row exists from the moment a physical card is given an ICCID (its keys are generated and
 * sealed in that same transaction, before anything is written to the card), and its state
 * only moves forward. The outbox carries verified cards to the Resource Server (DESIGN.md §6).
 */
import type { Db } from '../database.js';

export const version = 2;

export function up(db: Db): void {
  db.exec(`
    CREATE TABLE batches (
      id          TEXT PRIMARY KEY,
      order_json  TEXT NOT NULL,
      iccid_first TEXT NOT NULL,
      iccid_last  TEXT NOT NULL,
      card_count  INTEGER NOT NULL CHECK (card_count > 0),
      next_index  INTEGER NOT NULL DEFAULT 0,
      state       TEXT NOT NULL CHECK (state IN ('open', 'paused', 'aborted', 'done')),
      created_at  TEXT NOT NULL,
      created_by  TEXT NOT NULL
    );
    CREATE TABLE cards (
      batch_id      TEXT NOT NULL REFERENCES batches (id),
      idx           INTEGER NOT NULL,
      iccid         TEXT NOT NULL UNIQUE,
      imsi          TEXT NOT NULL,
      impi          TEXT NOT NULL,
      card_id       TEXT NOT NULL UNIQUE,
      state         TEXT NOT NULL CHECK (state IN ('assigned', 'issuer-keys', 'secured', 'verified', 'rejected')),
      secrets       BLOB NOT NULL,
      kcvs          TEXT NOT NULL,
      next_sqn      TEXT NOT NULL,
      reader        TEXT,
      attempts      INTEGER NOT NULL DEFAULT 0,
      failure_class TEXT,
      last_error    TEXT,
      steps         TEXT NOT NULL DEFAULT '[]',
      assigned_at   TEXT NOT NULL,
      updated_at    TEXT NOT NULL,
      verified_at   TEXT,
      PRIMARY KEY (batch_id, idx)
    );
    CREATE INDEX cards_by_state ON cards (batch_id, state);
    CREATE TABLE outbox (
      seq        INTEGER PRIMARY KEY AUTOINCREMENT,
      kind       TEXT NOT NULL,
      ref        TEXT NOT NULL,
      payload    TEXT NOT NULL,
      created_at TEXT NOT NULL,
      sent_at    TEXT
    );
  `);
}
