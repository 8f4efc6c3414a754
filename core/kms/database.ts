/**
 * The station database: one SQLite file encrypted with SQLCipher 4 settings through
 * better-sqlite3-multiple-ciphers (12.x: 13.x crashes on Node 20). WAL, synchronous FULL, and
 * the raw 256-bit DB key — never a passphrase — handed to the cipher.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { toHex } from '../bytes.js';
import { ObfError } from '../errors.js';

export type Db = Database.Database;
export type Statement = Database.Statement;

export function openDatabase(path: string, dbKey: Uint8Array, options: { create: boolean }): Db {
  if (dbKey.length !== 32) throw new RangeError('the DB key is 256 bits');
  const db = new Database(path, { fileMustExist: !options.create });
  try {
    db.pragma(`cipher='sqlcipher'`);
    db.pragma('legacy=4');
    const hex = toHex(dbKey);
    db.pragma(`key="x'${hex}'"`);
    // Reading the schema is the first access that needs the key: a wrong one fails here.
    db.prepare('SELECT count(*) AS n FROM sqlite_master').get();
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('secure_delete = ON');
    return db;
  } catch (err) {
    db.close();
    const message = err instanceof Error ? err.message : String(err);
    if (/not a database|encrypted/i.test(message))
      throw new ObfError('KMS_INTEGRITY', `the database ${path} does not open with this key`);
    throw new ObfError('KMS_INTEGRITY', `cannot open the database ${path}: ${message}`);
  }
}

const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/** A prepared statement kept for the life of the connection: hot paths (audit, perso) prepare once. */
export function prepared(db: Db, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map<string, Database.Statement>()));
  let statement = cache.get(sql);
  if (!statement) cache.set(sql, (statement = db.prepare(sql)));
  return statement;
}
