/**
 * `npm run bench -- kms`: the KMS write path — key records per second on the encrypted store
 * against plain SQLite in the same run (same schema, same sealing, same audit rows, same
 * durability settings), unlock time with the default scrypt parameters, and the DB size per
 * 100k keys.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { appendAudit } from '../../core/kms/audit.js';
import { openDatabase, type Db } from '../../core/kms/database.js';
import { Kms } from '../../core/kms/index.js';
import { migrate } from '../../core/kms/migrations/index.js';
import { seal } from '../../core/kms/seal.js';

const WRITES = 2000;
const BIG = 100_000;

let serial = 0;

function writeKeys(db: Db, count: number, perTransaction: number): number {
  const lmk = new Uint8Array(randomBytes(32));
  const insert = db.prepare(
    "INSERT INTO keys (id, label, type, usage, kcv, state, origin, created_at, created_by, secret) VALUES (?, ?, 'AES-128', 'obf-k', ?, 'active', 'generated', ?, 'bench', ?)",
  );
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i += perTransaction) {
    db.transaction(() => {
      for (let j = i; j < Math.min(count, i + perTransaction); j++) {
        const n = serial++;
        const id = `k-${n}`;
        const sealed = seal(lmk, randomBytes(16), `key:${id}:AES-128:obf-k`);
        insert.run(id, `card-${n}`, '000000', new Date().toISOString(), Buffer.from(sealed));
        appendAudit(db, 'bench', { type: 'key-created', label: `card-${n}`, keyId: id, kcv: '000000' });
      }
    })();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return count / seconds;
}

function plainDatabase(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('secure_delete = ON');
  return db;
}

export function benchKms() {
  const dir = mkdtempSync(join(tmpdir(), 'obf-bench-kms-'));
  try {
    const encrypted = openDatabase(join(dir, 'enc.db'), new Uint8Array(randomBytes(32)), { create: true });
    const plain = plainDatabase(join(dir, 'plain.db'));
    migrate(encrypted);
    migrate(plain);
    // One transaction per key record, as the personalisation line commits them.
    writeKeys(plain, 200, 1); // warm-up
    writeKeys(encrypted, 200, 1);
    const plainRate = writeKeys(plain, WRITES, 1);
    const encryptedRate = writeKeys(encrypted, WRITES, 1);
    encrypted.close();
    plain.close();

    const big = openDatabase(join(dir, 'big.db'), new Uint8Array(randomBytes(32)), { create: true });
    migrate(big);
    const bulkRate = writeKeys(big, BIG, 1000);
    big.pragma('wal_checkpoint(TRUNCATE)');
    big.close();
    const bytesPer100k = statSync(join(dir, 'big.db')).size;

    return Kms.initialize(join(dir, 'station.db'), {
      users: [
        { username: 'alice', role: 'security_officer', passphrase: 'alice correct horse' },
        { username: 'bob', role: 'security_officer', passphrase: 'bob battery staple' },
      ],
      recovery: { threshold: 2, shares: 3 },
    }).then(({ kms }) => {
      kms.lock();
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const station = Kms.open(join(dir, 'station.db'));
        const t0 = process.hrtime.bigint();
        station.unlock('alice', 'alice correct horse');
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        station.lock();
      }
      times.sort((a, b) => a - b);
      return {
        benchmark: 'kms',
        writesPerSecond: {
          encrypted: Math.round(encryptedRate),
          plain: Math.round(plainRate),
          costRatio: Number((plainRate / encryptedRate).toFixed(3)),
          target: 'encrypted costs at most 1.3x plain',
          note: 'one transaction (key row + sealed secret + audit row) per key, synchronous FULL, WAL',
        },
        bulkWritesPerSecond: Math.round(bulkRate),
        dbBytesPer100kKeys: bytesPer100k,
        unlockMs: {
          median: Number(times[2]!.toFixed(1)),
          min: Number(times[0]!.toFixed(1)),
          scrypt: 'N=2^17 r=8 p=1',
        },
      };
    });
  } finally {
    setTimeout(() => rmSync(dir, { recursive: true, force: true }), 0);
  }
}
