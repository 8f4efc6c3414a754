import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../database.js';
import { LATEST_VERSION, migrate } from './index.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function emptyDb() {
  const dir = mkdtempSync(join(tmpdir(), 'obf-migrate-'));
  dirs.push(dir);
  return openDatabase(join(dir, 'v0.db'), new Uint8Array(randomBytes(32)), { create: true });
}

describe('migration 0001: the initial schema', () => {
  it('upgrades an empty (version 0) database to version 1 with every table', () => {
    const db = emptyDb();
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(migrate(db, 1)).toBe(1);
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    expect(tables).toEqual(['audit', 'audit_no_delete', 'audit_no_update', 'keys', 'meta', 'users']);
    expect(() => db.prepare("INSERT INTO users VALUES ('x', 'admin', 'active', 'now', 'me')").run()).toThrow(
      /CHECK/,
    );
    db.close();
  });

  it('is idempotent, and refuses a database newer than the station', () => {
    const db = emptyDb();
    migrate(db);
    expect(migrate(db)).toBe(LATEST_VERSION);
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    expect(() => migrate(db)).toThrow('newer than this station');
    db.close();
  });
});
