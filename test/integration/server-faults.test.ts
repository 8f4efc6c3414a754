/**
 * Fault injection for the push path (DESIGN.md §6: nothing lost, nothing twice): a station
 * pushes 10,000 card records while the server process (spawned through the bin, as deployed) is
 * SIGKILLed at random moments and restarted, connections are dropped mid-request, and answers are
 * thrown away after the server committed. The station only ever moves on by a signed ack, so
 * every fault ends in a resend. In the end the server holds exactly records 1..10000, each once,
 * and the audit anchor at the station's last row. Same test on SQLite and PostgreSQL.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncRecord } from '../../core/sync/protocol.js';
import { ServerStore } from '../../server/index.js';
import { findPostgres, POSTGRES_MISSING, startPostgres, type PostgresCluster } from '../harness/postgres.js';
import { AuditChain, TestStation } from '../harness/server-client.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'obf-resource-server.js');
const N = 10_000;
const BATCH = 250;
const MASTER = randomBytes(32).toString('hex');
const pgBin = findPostgres();
if (!pgBin) console.warn(`server-faults: the PostgreSQL half is skipped: ${POSTGRES_MISSING}`);

/** mulberry32: a seeded RNG, so a failing run can be replayed with its printed seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Running {
  proc: ChildProcess;
  url: string;
  exited: Promise<void>;
}

async function spawnServer(dataDir: string, databaseUrl?: string): Promise<Running> {
  const env = { ...process.env, OBF_SERVER_MASTER_KEY: MASTER } as NodeJS.ProcessEnv;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else delete env.DATABASE_URL;
  const proc = spawn(process.execPath, [BIN, 'serve', '--data', dataDir, '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout });
    rl.once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening: ${stderr}`)));
  });
  return { proc, url: (JSON.parse(line) as { url: string }).url, exited };
}

const backends = [
  { name: 'sqlite', available: true },
  { name: 'postgres', available: pgBin !== null },
] as const;

describe.each(backends)('push under faults on $name', ({ name, available }) => {
  let cluster: PostgresCluster | null = null;
  const dirs: string[] = [];

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'server', 'cli.js'))) {
      // npm test builds before the integration tests; a bare run needs the server built.
      const b = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
      if (b.status !== 0) throw new Error('the build failed: run npm run build');
    }
  });
  afterAll(async () => {
    await cluster?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  (available ? it : it.skip)(
    'ends with exactly the station’s 10,000 records after kills, dropped connections and lost answers',
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'obf-rs-faults-'));
      dirs.push(dataDir);
      let databaseUrl: string | undefined;
      if (name === 'postgres') {
        cluster = await startPostgres();
        databaseUrl = await cluster.createDatabase('faults');
      }
      const seed = Number(process.env.OBF_FAULT_SEED ?? Date.now() % 1_000_000);
      console.log(`server-faults on ${name}: seed ${seed} (OBF_FAULT_SEED=${seed} replays it)`);
      const random = rng(seed);

      const setup = await ServerStore.open({
        dataDir,
        masterKey: MASTER,
        ...(databaseUrl ? { databaseUrl } : {}),
      });
      const { code } = await setup.createEnrolCode('fault station', 600_000);
      await setup.close();

      let server = await spawnServer(dataDir, databaseUrl);
      const station = new TestStation(server.url, 'st-faults');
      expect((await station.enrol(code)).status).toBe(200);

      const records: SyncRecord[] = [];
      for (let seq = 1; seq <= N; seq++) records.push(await station.card(seq, seq));
      const chain = new AuditChain();
      chain.append(N / BATCH);

      const faults = { kills: 0, drops: 0, lost: 0, attempts: 0, gaps: 0 };
      let nextSeq = 1;
      let anchorSeq = 0;
      const started = performance.now();
      while (nextSeq <= N) {
        faults.attempts++;
        const recs = records.slice(nextSeq - 1, nextSeq - 1 + BATCH);
        const auditTo = Math.ceil(recs[recs.length - 1]!.seq / BATCH);
        const jws = await station.signBatch(recs, chain.links.slice(anchorSeq, auditTo));
        const roll = random();
        let kill: Promise<void> | null = null;
        let lose = false;
        const abort = new AbortController();
        if (roll < 0.15 && faults.kills < 10) {
          faults.kills++;
          const victim = server;
          kill = new Promise((r) =>
            setTimeout(() => {
              victim.proc.kill('SIGKILL');
              void victim.exited.then(r);
            }, random() * 40),
          );
        } else if (roll < 0.3) {
          faults.drops++;
          setTimeout(() => abort.abort(), random() * 30);
        } else if (roll < 0.45) {
          faults.lost++;
          lose = true;
        }
        try {
          const r = await station.pushJws(jws, { signal: abort.signal });
          if (!lose) {
            if (r.status === 409 && r.body.error?.code === 'SEQ_GAP') {
              faults.gaps++;
              nextSeq = r.body.error.expectedSeq!;
            } else {
              expect(r.status, JSON.stringify(r.body)).toBe(200);
              expect(r.ack!.acks.filter((a) => a.status === 'rejected')).toEqual([]);
              nextSeq = r.ack!.nextSeq;
              anchorSeq = r.ack!.anchor?.seq ?? 0;
            }
          }
        } catch (e) {
          // A killed server or a dropped connection: the station resends from its last ack.
          if (!kill && !abort.signal.aborted) throw e;
        }
        if (kill) {
          await kill;
          server = await spawnServer(dataDir, databaseUrl);
          station.url = server.url;
        }
      }
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `server-faults on ${name}: ${N} records in ${seconds.toFixed(1)} s with ${JSON.stringify(faults)}`,
      );
      server.proc.kill('SIGTERM');
      await server.exited;

      const store = await ServerStore.open({
        dataDir,
        masterKey: MASTER,
        ...(databaseUrl ? { databaseUrl } : {}),
      });
      try {
        const rows = await store.records('st-faults');
        expect(rows.length).toBe(N);
        expect(rows.every((r, i) => r.seq === i + 1 && r.status === 'applied')).toBe(true);
        const devices = await store.listDevices('st-faults');
        expect(devices.length).toBe(N);
        expect(new Set(devices.map((d) => d.iccid)).size).toBe(N);
        expect(await store.station('st-faults')).toMatchObject({
          nextSeq: N + 1,
          anchor: { seq: N / BATCH, hash: chain.links[N / BATCH - 1]!.hash },
        });
      } finally {
        await store.close();
      }
      expect(faults.kills + faults.drops + faults.lost).toBeGreaterThan(0);
    },
    300_000,
  );
});
