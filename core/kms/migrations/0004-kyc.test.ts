import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../database.js';
import { migrate } from './index.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function v3Db() {
  const dir = mkdtempSync(join(tmpdir(), 'obf-migrate-'));
  dirs.push(dir);
  const db = openDatabase(join(dir, 'v3.db'), new Uint8Array(randomBytes(32)), { create: true });
  migrate(db, 3);
  db.prepare(
    "INSERT INTO outbox (kind, ref, payload, created_at) VALUES ('card-personalised', 'x', '{}', 'then')",
  ).run();
  return db;
}

const binding = (db: Db, id: string, iccid: string, state = 'active') =>
  db
    .prepare(
      `INSERT INTO kyc_bindings (id, action, state, iccid, custodian_id, custodian_kind, purpose, dealer, operator,
         notice_version, consent_at, created_at, retention_until, personal)
       VALUES (?, 'bind', ?, ?, 'kc-1', 'individual', 'rental', 'd', 'oscar', 'v', 't', 't', 't', x'01')`,
    )
    .run(id, state, iccid);

describe('migration 0004: Machine KYC', () => {
  it('upgrades a version 3 database, keeping its outbox, and adds the KYC tables', () => {
    const db = v3Db();
    expect(migrate(db, 4)).toBe(4);
    expect(db.prepare('SELECT ref FROM outbox').all()).toEqual([{ ref: 'x' }]);
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
    ).map((r) => r.name);
    expect(tables).toEqual(
      expect.arrayContaining(['kyc_keys', 'kyc_bindings', 'kyc_name_tokens', 'kyc_evidence', 'kyc_drafts']),
    );
    db.close();
  });

  it('holds one active binding per device, and only erasure empties sealed data', () => {
    const db = v3Db();
    migrate(db, 4);
    binding(db, 'a', '891');
    expect(() => binding(db, 'b', '891')).toThrow(/UNIQUE constraint failed: kyc_bindings.iccid/);
    binding(db, 'b', '891', 'withdrawn');
    expect(() => db.prepare("UPDATE kyc_bindings SET state = 'active' WHERE id = 'b'").run()).toThrow(
      /state moves only/,
    );
    expect(() => db.prepare("UPDATE kyc_bindings SET personal = NULL WHERE id = 'a'").run()).toThrow();
    db.prepare(
      "UPDATE kyc_bindings SET state = 'erased', personal = NULL, erased_at = 'now', erased_by = 'x', erase_reason = 'r' WHERE id = 'a'",
    ).run();
    expect(() => db.prepare("UPDATE kyc_bindings SET erase_reason = 'other' WHERE id = 'a'").run()).toThrow(
      /recorded once/,
    );
    db.prepare("INSERT INTO kyc_keys VALUES ('master', x'01', 'now')").run();
    expect(() => db.prepare("UPDATE kyc_keys SET sealed = x'00'").run()).toThrow(/never replaced/);
    expect(() => db.prepare('DELETE FROM kyc_keys').run()).toThrow(/never deleted/);
    db.close();
  });
});
