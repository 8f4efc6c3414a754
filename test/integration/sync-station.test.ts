/**
 * The station's sync against the real Resource Server (server/), on SQLite and PostgreSQL
 * (a throwaway cluster; that half skips, saying why, without Debian's postgresql package):
 *  - enrolment and a catch-up run through the built `obf-station` CLI, with the admin's code
 *    from the built `obf-resource-server admin enrol-code`;
 *  - fault injection from the station side: 10,000 records pushed by the background engine
 *    while the server process is SIGKILLed and restarted at random points and a proxy drops
 *    connections mid-request; the server ends with exactly 1..10000, once each, and the
 *    station's outbox is all acknowledged.
 * No card reader is involved: the outbox rows are written through `enqueue` on a real KMS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kms } from '../../core/kms/index.js';
import { SyncEngine } from '../../core/sync/index.js';
import { enqueue } from '../../core/sync/outbox.js';
import { startResourceServer } from '../../server/index.js';
import { findPostgres, POSTGRES_MISSING, startPostgres, type PostgresCluster } from '../harness/postgres.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const STATION_BIN = join(ROOT, 'bin', 'obf-station.js');
const SERVER_BIN = join(ROOT, 'bin', 'obf-resource-server.js');
const MASTER = randomBytes(32).toString('hex');
const FAST = { N: 1024, r: 8, p: 1 };
const PASS = { alice: 'alice correct horse', bob: 'bob battery staple' };
const pgBin = findPostgres();
if (!pgBin) console.warn(`sync-station: the PostgreSQL half is skipped: ${POSTGRES_MISSING}`);

const iccidOf = (n: number) => `8947${String(n).padStart(15, '0')}`;

/** `count` verified cards in the outbox, as perso writes them (keys sealed under the LMK). */
function writeCards(kms: Kms, from: number, count: number): void {
  const records = kms.records();
  for (let start = from; start < from + count; start += 1000) {
    records.db.transaction(() => {
      for (let n = start; n < Math.min(from + count, start + 1000); n++) {
        const at = new Date(Date.UTC(2026, 0, 1) + n).toISOString();
        const secret = Buffer.from(
          JSON.stringify({
            iccid: iccidOf(n),
            k: randomBytes(16).toString('hex'),
            opc: randomBytes(16).toString('hex'),
            appKeys: { '1': randomBytes(16).toString('hex') },
          }),
        );
        enqueue(
          records,
          {
            kind: 'card-personalised',
            ref: iccidOf(n),
            data: {
              batchId: 'SYNC-IT',
              iccid: iccidOf(n),
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

async function newStation(dir: string): Promise<Kms> {
  const { kms } = await Kms.initialize(join(dir, 'station.db'), {
    users: [
      { username: 'alice', role: 'security_officer', passphrase: PASS.alice },
      { username: 'bob', role: 'security_officer', passphrase: PASS.bob },
    ],
    recovery: { threshold: 2, shares: 3 },
    scrypt: FAST,
  });
  return kms;
}

/** Runs a built CLI without blocking this process (the in-process server must keep answering). */
async function run(bin: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: {
      ...process.env,
      OBF_PASSPHRASE_ALICE: PASS.alice,
      OBF_PASSPHRASE_BOB: PASS.bob,
      OBF_SERVER_MASTER_KEY: MASTER,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stdout, stderr };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createTcpServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** `obf-resource-server serve` as a child process, on a fixed port so a restart comes back there. */
async function serve(dataDir: string, port: number, databaseUrl?: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [SERVER_BIN, 'serve', '--data', dataDir, '--port', String(port)], {
    env: {
      ...process.env,
      OBF_SERVER_MASTER_KEY: MASTER,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening: ${err}`)));
  });
  return child;
}

/** A TCP proxy that, when told, drops every open connection (mid-request or mid-answer). */
async function proxy(
  targetPort: number,
): Promise<{ port: number; dropAll(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    dropAll() {
      const n = sockets.size;
      for (const s of sockets) s.destroy();
      return n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const backends = [
  { name: 'sqlite', available: true },
  { name: 'postgres', available: pgBin !== null },
] as const;

describe.each(backends)('station sync against the Resource Server on $name', ({ name, available }) => {
  let cluster: PostgresCluster | null = null;
  const dirs: string[] = [];
  let dbCount = 0;
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'obf-sync-it-'));
    dirs.push(d);
    return d;
  };
  const databaseUrl = async () =>
    cluster ? await cluster.createDatabase(`sync${process.pid}_${++dbCount}`) : undefined;

  beforeAll(async () => {
    if (name === 'postgres' && available) cluster = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it.skipIf(!available)(
    'enrols through the CLI with the admin code, pushes perso records, and the server holds each once',
    async () => {
      const serverDir = tmp();
      const url = await databaseUrl();
      const env = url ? { DATABASE_URL: url } : {};
      const server = await startResourceServer({
        dataDir: serverDir,
        masterKey: MASTER,
        ...(url ? { databaseUrl: url } : {}),
      });
      try {
        const dir = tmp();
        const kms = await newStation(dir);
        const stationId = kms.stationId();
        writeCards(kms, 1, 1200);
        kms.lock('system');
        const db = join(dir, 'station.db');

        const code = await run(
          SERVER_BIN,
          ['admin', 'enrol-code', '--name', 'line 1', '--data', serverDir, '--json'],
          env,
        );
        expect(code.code, code.stderr).toBe(0);
        const { code: enrolCode } = JSON.parse(code.stdout) as { code: string };

        // One officer is not enough: enrolment is dual control.
        const alone = await run(STATION_BIN, [
          'enrol',
          '--db',
          db,
          '--user',
          'alice',
          '--server',
          server.url,
          '--code',
          enrolCode,
          '--json',
        ]);
        expect(alone.code).toBe(2);
        expect(alone.stderr).toMatch(/--second is required/);

        const enrol = await run(STATION_BIN, [
          'enrol',
          '--db',
          db,
          '--user',
          'alice',
          '--second',
          'bob',
          '--server',
          server.url,
          '--code',
          enrolCode,
          '--name',
          'line 1',
          '--json',
        ]);
        expect(enrol.code, enrol.stderr).toBe(0);
        expect(JSON.parse(enrol.stdout)).toMatchObject({
          state: 'online',
          queue: 1200,
          enrolment: { stationId },
        });

        // The code is spent: a second enrolment with it is refused, naming why.
        const again = await run(STATION_BIN, [
          'enrol',
          '--db',
          db,
          '--user',
          'alice',
          '--second',
          'bob',
          '--server',
          server.url,
          '--code',
          enrolCode,
        ]);
        expect(again.code).not.toBe(0);
        expect(again.stderr).toMatch(/CODE_USED|CODE_UNKNOWN/);

        await server.store.addApplication({ appId: 'fleet', name: 'Fleet telematics', provider: 'ACME' });
        const sync = await run(STATION_BIN, ['sync', '--db', db, '--user', 'alice', '--json']);
        expect(sync.code, sync.stderr).toBe(0);
        expect(JSON.parse(sync.stdout)).toMatchObject({
          applied: 1200,
          duplicate: 0,
          rejected: 0,
          queue: 0,
          batches: 3,
          registry: { applications: 1, permissions: 0 },
        });

        const held = await server.store.records(stationId);
        expect(held.map((r) => r.seq)).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
        expect(held.every((r) => r.status === 'applied')).toBe(true);

        const status = await run(STATION_BIN, ['sync', 'status', '--db', db, '--user', 'alice', '--json']);
        expect(status.code, status.stderr).toBe(0);
        expect(JSON.parse(status.stdout)).toMatchObject({ queue: 0, acknowledged: 1200, quarantined: 0 });

        // Nothing new to push: a second run sends nothing, pulls the new permission, exits 0.
        await server.store.permit(iccidOf(1), 'fleet', true);
        const idle = await run(STATION_BIN, ['sync', '--db', db, '--user', 'alice', '--json']);
        expect(idle.code, idle.stderr).toBe(0);
        expect(JSON.parse(idle.stdout)).toMatchObject({
          applied: 0,
          batches: 0,
          queue: 0,
          registry: { applications: 0, permissions: 1 },
        });

        const quarantine = await run(STATION_BIN, [
          'sync',
          'quarantine',
          '--db',
          db,
          '--user',
          'alice',
          '--json',
        ]);
        expect(JSON.parse(quarantine.stdout)).toEqual([]);
      } finally {
        await server.close();
      }
    },
    180_000,
  );

  it.skipIf(!available)(
    'loses nothing and applies nothing twice while the server is killed and restarted and connections drop (10,000 records)',
    async () => {
      const serverDir = tmp();
      const url = await databaseUrl();
      const port = await freePort();
      let child = await serve(serverDir, port, url);
      const net = await proxy(port);
      const dir = tmp();
      const kms = await newStation(dir);
      const stationId = kms.stationId();
      const total = 10_000;
      writeCards(kms, 1, total);
      const engine = new SyncEngine({
        station: () => (kms.unlocked ? kms : null),
        baseDelayMs: 50,
        maxDelayMs: 800,
        pollMs: 200,
        requestTimeoutMs: 10_000,
      });
      let kills = 0;
      let drops = 0;
      try {
        const code = await run(
          SERVER_BIN,
          ['admin', 'enrol-code', '--name', 'faulty line', '--data', serverDir, '--json'],
          url ? { DATABASE_URL: url } : {},
        );
        expect(code.code, code.stderr).toBe(0);
        await engine.enrol(
          {
            serverUrl: `http://127.0.0.1:${net.port}`,
            code: (JSON.parse(code.stdout) as { code: string }).code,
          },
          ['alice', 'bob'],
        );
        engine.start();
        // Faults at random moments while the queue drains: 5 server kills and 5 rounds of
        // dropped connections, 1-3 s apart (a batch is ~0.5-2 s of work), then it must catch up.
        const deadline = Date.now() + 240_000;
        const faults = ['kill', 'kill', 'kill', 'kill', 'kill', 'drop', 'drop', 'drop', 'drop', 'drop'].sort(
          () => Math.random() - 0.5,
        );
        let pending = total;
        while (pending > 0) {
          if (Date.now() > deadline) throw new Error(`still ${pending} pending after 4 minutes`);
          await new Promise((r) => setTimeout(r, faults.length ? 1000 + Math.random() * 2000 : 250));
          const fault = faults.shift();
          if (fault === 'kill') {
            // Killed mid-work: whatever transaction it had open never commits.
            child.kill('SIGKILL');
            await new Promise((r) => child.once('exit', r));
            kills += 1;
            await new Promise((r) => setTimeout(r, 100 + Math.random() * 700));
            child = await serve(serverDir, port, url);
          } else if (fault === 'drop') {
            drops += net.dropAll();
          }
          pending = engine.status().queue ?? pending;
        }
        expect(kills).toBeGreaterThan(0);
      } finally {
        await engine.stop();
        child.kill('SIGTERM');
        await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
        await net.close();
      }
      const counts = kms
        .database()
        .prepare('SELECT state, count(*) AS n FROM outbox GROUP BY state')
        .all() as { state: string; n: number }[];
      expect(counts.find((c) => c.state === 'pending')).toBeUndefined();
      expect(counts.find((c) => c.state === 'rejected')).toBeUndefined();
      expect(counts.reduce((a, c) => a + c.n, 0)).toBe(total);
      kms.lock('system');

      const check = await startResourceServer({
        dataDir: serverDir,
        masterKey: MASTER,
        ...(url ? { databaseUrl: url } : {}),
      });
      try {
        const held = await check.store.records(stationId);
        expect(held.length).toBe(total);
        expect(held.map((r) => r.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
        expect(held.filter((r) => r.status !== 'applied')).toEqual([]);
        const devices = await check.store.listDevices(stationId);
        expect(new Set(devices.map((d) => d.iccid)).size).toBe(total);
      } finally {
        await check.close();
      }
      console.log(`sync-station fault run on ${name}: ${kills} server kills, ${drops} dropped connections`);
    },
    300_000,
  );
});
