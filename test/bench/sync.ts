/**
 * `npm run bench -- sync [--records N]`: records per second from the station's outbox to the
 * Resource Server's commit (batches of 500: open each secret, JWE to the server, sign, POST,
 * the server verifies, decrypts, applies in one transaction, signs the ack, the station records
 * it), and the per-batch round trip (POST to verified ack) p50/p99 — once with the server on
 * SQLite, once on PostgreSQL (a throwaway cluster; skipped, saying why, without it). The server
 * runs as its own process (the built obf-resource-server), as in production; target ≥ 3,000/s
 * on SQLite (issue 7).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kms } from '../../core/kms/index.js';
import { SyncEngine } from '../../core/sync/index.js';
import { enqueue } from '../../core/sync/outbox.js';
import { findPostgres, POSTGRES_MISSING, startPostgres } from '../harness/postgres.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVER_BIN = join(ROOT, 'bin', 'obf-resource-server.js');
const MASTER = randomBytes(32).toString('hex');

function writeCards(kms: Kms, count: number): void {
  const records = kms.records();
  for (let start = 1; start <= count; start += 5000) {
    records.db.transaction(() => {
      for (let n = start; n < Math.min(count + 1, start + 5000); n++) {
        const iccid = `8949${String(n).padStart(15, '0')}`;
        const at = new Date(Date.UTC(2026, 0, 1) + n).toISOString();
        const secret = Buffer.from(
          JSON.stringify({
            iccid,
            k: randomBytes(16).toString('hex'),
            opc: randomBytes(16).toString('hex'),
            appKeys: { '1': randomBytes(16).toString('hex') },
          }),
        );
        enqueue(
          records,
          {
            kind: 'card-personalised',
            ref: iccid,
            data: {
              batchId: 'BENCH',
              iccid,
              imsi: `00101${String(n).padStart(10, '0')}`,
              impi: `imsi-${n}@ims.example`,
              profile: 'obf-demo',
              kcvs: { k: 'abcdef', opc: '123456' },
              verifiedAt: at,
            },
            secret,
          },
          at,
        );
        secret.fill(0);
      }
    })();
  }
}

async function serve(dataDir: string, databaseUrl?: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [SERVER_BIN, 'serve', '--data', dataDir, '--port', '0'], {
    env: {
      ...process.env,
      OBF_SERVER_MASTER_KEY: MASTER,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(d.toString()));
    child.once('exit', (code) => reject(new Error(`obf-resource-server exited (${code})`)));
  });
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

function enrolCode(dataDir: string, databaseUrl?: string): Promise<string> {
  const child = spawn(
    process.execPath,
    [SERVER_BIN, 'admin', 'enrol-code', '--name', 'bench', '--data', dataDir, '--json'],
    {
      env: {
        ...process.env,
        OBF_SERVER_MASTER_KEY: MASTER,
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) =>
    child.once('close', (code) =>
      code === 0
        ? resolve((JSON.parse(out) as { code: string }).code)
        : reject(new Error(`enrol-code: ${code}`)),
    ),
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function runOne(records: number, databaseUrl?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'obf-bench-sync-'));
  const serverDir = join(dir, 'server');
  let server: { child: ChildProcess; url: string } | null = null;
  try {
    const { kms } = await Kms.initialize(join(dir, 'station.db'), {
      users: [
        { username: 'alice', role: 'security_officer', passphrase: 'alice correct horse' },
        { username: 'bob', role: 'security_officer', passphrase: 'bob battery staple' },
      ],
      recovery: { threshold: 2, shares: 3 },
      scrypt: { N: 1024, r: 8, p: 1 },
    });
    writeCards(kms, records);
    server = await serve(serverDir, databaseUrl);
    const code = await enrolCode(serverDir, databaseUrl);
    const roundTrips: number[] = [];
    const prepares: number[] = [];
    const engine = new SyncEngine({
      station: () => kms,
      onBatch: (b) => {
        roundTrips.push(b.roundTripMs);
        prepares.push(b.prepareMs);
      },
    });
    await engine.enrol({ serverUrl: server.url, code, stationName: 'bench' }, ['alice', 'bob']);
    const started = performance.now();
    const run = await engine.syncOnce();
    const seconds = (performance.now() - started) / 1000;
    await engine.stop();
    kms.lock('system');
    if (run.applied !== records) throw new Error(`applied ${run.applied} of ${records}`);
    roundTrips.sort((a, b) => a - b);
    prepares.sort((a, b) => a - b);
    return {
      records,
      batches: run.batches,
      seconds: Number(seconds.toFixed(2)),
      recordsPerSecond: Math.round(records / seconds),
      batchRoundTripMs: {
        p50: Math.round(percentile(roundTrips, 50)),
        p99: Math.round(percentile(roundTrips, 99)),
        max: Math.round(roundTrips.at(-1) ?? 0),
      },
      stationPrepareMsP50: Math.round(percentile(prepares, 50)),
    };
  } finally {
    server?.child.kill('SIGTERM');
    if (server)
      await new Promise((r) => (server!.child.exitCode !== null ? r(null) : server!.child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchSync({ records }: { records: number }): Promise<Record<string, unknown>> {
  if (!existsSync(join(ROOT, 'dist', 'server', 'cli.js')))
    throw new Error('bench sync: the server is not built (npm run build)');
  const sqlite = await runOne(records);
  process.stderr.write(`sync bench on sqlite: ${JSON.stringify(sqlite)}\n`);
  let postgres: Record<string, unknown>;
  if (!findPostgres()) postgres = { skipped: POSTGRES_MISSING };
  else {
    const cluster = await startPostgres();
    try {
      postgres = await runOne(records, await cluster.createDatabase('bench_sync'));
    } finally {
      await cluster.stop();
    }
  }
  return {
    bench: 'sync',
    batchRecords: 500,
    targetRecordsPerSecondSqlite: 3000,
    sqlite: { ...sqlite, meetsTarget: sqlite.recordsPerSecond >= 3000 },
    postgres,
  };
}
