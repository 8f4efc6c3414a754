/**
 * Opens the server's database: an embedded SQLite file in the data folder by default (no set-up),
 * or PostgreSQL when DATABASE_URL names one (several server instances may share it).
 * Both go through Kysely, so every query in the store is written once.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3-multiple-ciphers';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrate, type Backend, type Database } from './schema.js';

export const SQLITE_FILE = 'resource-server.db';

export interface OpenedDatabase {
  db: Kysely<Database>;
  backend: Backend;
  /** Where the data is, without credentials: the SQLite path or the PostgreSQL host/db. */
  where: string;
}

export async function openDatabase(opts: { dataDir: string; databaseUrl?: string }): Promise<OpenedDatabase> {
  if (opts.databaseUrl) {
    let url: URL;
    try {
      url = new URL(opts.databaseUrl);
    } catch {
      throw new Error('DATABASE_URL is not a URL (postgres://user@host:port/db)');
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
      throw new Error(`DATABASE_URL must be postgres://…; got ${url.protocol}//…`);
    // Integers of COUNT(*) and int8 come back as strings by default; ours fit in a number.
    pg.types.setTypeParser(20, (v: string) => Number(v));
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
    // An idle client losing its connection (the database restarted) must not crash the server.
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const where = `postgres://${url.hostname}:${url.port || '5432'}${url.pathname}`;
    try {
      await migrate(db, 'postgres');
    } catch (e) {
      await db.destroy();
      throw new Error(`cannot open ${where}: ${(e as Error).message}`, { cause: e });
    }
    return { db, backend: 'postgres', where };
  }
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const file = join(opts.dataDir, SQLITE_FILE);
  const database = new Sqlite(file);
  // WAL: readers never wait on the writer; FULL: an acknowledged batch survives a power cut.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('busy_timeout = 10000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  try {
    await migrate(db, 'sqlite');
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return { db, backend: 'sqlite', where: file };
}
