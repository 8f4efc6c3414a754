import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../database.js';
import { migrate } from './index.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function v1Db() {
  const dir = mkdtempSync(join(tmpdir(), 'obf-migrate-'));
  dirs.push(dir);
  const db = openDatabase(join(dir, 'v1.db'), new Uint8Array(randomBytes(32)), { create: true });
  migrate(db, 1);
  db.prepare("INSERT INTO users VALUES ('alice', 'security_officer', 'active', 'then', 'setup')").run();
  return db;
}

describe('migration 0002: personalisation batches, cards, outbox', () => {
  it('upgrades a version 1 database, keeping its rows, and adds the three tables', () => {
    const db = v1Db();
    expect(migrate(db, 2)).toBe(2);
    expect(db.prepare('SELECT username FROM users').all()).toEqual([{ username: 'alice' }]);
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['batches', 'cards', 'outbox']));
    db.close();
  });

  it('refuses an unknown card state, a second card with the same ICCID and an empty batch', () => {
    const db = v1Db();
    migrate(db);
    db.prepare(
      "INSERT INTO batches (id, order_json, iccid_first, iccid_last, card_count, state, created_at, created_by) VALUES ('b', '{}', '1', '2', 2, 'open', 'now', 'alice')",
    ).run();
    const card = db.prepare(
      "INSERT INTO cards (batch_id, idx, iccid, imsi, impi, card_id, state, secrets, kcvs, next_sqn, assigned_at, updated_at) VALUES ('b', ?, ?, 'i', 'p', ?, ?, x'00', '{}', '000000000001', 'now', 'now')",
    );
    card.run(0, '8900000000000000001', 'c0', 'assigned');
    expect(() => card.run(1, '8900000000000000002', 'c1', 'half-done')).toThrow(/CHECK/);
    expect(() => card.run(1, '8900000000000000001', 'c1', 'assigned')).toThrow(/UNIQUE/);
    expect(() =>
      db
        .prepare(
          "INSERT INTO batches (id, order_json, iccid_first, iccid_last, card_count, state, created_at, created_by) VALUES ('e', '{}', '1', '1', 0, 'open', 'now', 'alice')",
        )
        .run(),
    ).toThrow(/CHECK/);
    db.close();
  });
});
