/** Migrations, one file per schema version; `PRAGMA user_version` records where a DB stands. */
import type { Db } from '../database.js';
import * as m0001 from './0001-init.js';
import * as m0002 from './0002-perso.js';
import * as m0003 from './0003-sync.js';
import * as m0004 from './0004-kyc.js';

export interface Migration {
  version: number;
  up(db: Db): void;
}

export const migrations: readonly Migration[] = [m0001, m0002, m0003, m0004];

export const LATEST_VERSION = migrations.at(-1)!.version;

/** Brings the database to `target` (the latest schema by default), each step in its own transaction. */
export function migrate(db: Db, target = LATEST_VERSION): number {
  let current = db.pragma('user_version', { simple: true }) as number;
  if (current > LATEST_VERSION)
    throw new Error(`database schema ${current} is newer than this station (${LATEST_VERSION})`);
  for (const m of migrations) {
    if (m.version <= current || m.version > target) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
    current = m.version;
  }
  return current;
}
