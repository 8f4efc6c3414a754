/**
 * The whole path of issue 7's E2E, through the built commands only: a station personalises
 * cards (`obf-station perso run` on simulated readers, the same engine as on pcscd) and
 * captures a KYC binding for one of them (`obf-station kyc capture`), enrols with the admin's
 * one-time code and syncs over real HTTP to a Resource Server process (SQLite backend); the
 * server's admin commands then show the devices, their keys as KCVs computed from keys only the
 * server can decrypt, and the binding. A binding for a device the server does not know comes
 * back rejected and sits in the station's quarantine with the server's reason.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { individualCapture } from '../../core/kyc/kyc.fixture.js';
import { createPersoStation, PASSPHRASES, type PersoStation } from '../harness/perso-station.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const STATION_BIN = join(ROOT, 'bin', 'obf-station.js');
const SERVER_BIN = join(ROOT, 'bin', 'obf-resource-server.js');
const env = {
  ...process.env,
  OBF_PASSPHRASE_ALICE: PASSPHRASES.alice,
  OBF_PASSPHRASE_BOB: PASSPHRASES.bob,
  OBF_PASSPHRASE_OSCAR: PASSPHRASES.oscar,
  OBF_SERVER_MASTER_KEY: randomBytes(32).toString('hex'),
};

function run(bin: string, args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env,
    input: '',
    timeout: 90_000,
    ...(cwd ? { cwd } : {}),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json<T>(bin: string, args: string[], cwd?: string): T {
  const r = run(bin, [...args, '--json'], cwd);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as T;
}

/** Starts `obf-resource-server serve` on a free loopback port; resolves with its URL. */
function startServer(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [SERVER_BIN, 'serve', '--data', dataDir, '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"url"'));
      if (line) resolve({ url: (JSON.parse(line) as { url: string }).url, child });
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'obf-e2e-sync-'));
const serverDir = mkdtempSync(join(tmpdir(), 'obf-e2e-server-'));
let station: PersoStation;
let server: { url: string; child: ChildProcess };
let db: string;

beforeAll(async () => {
  station = await createPersoStation(dir, { cards: 3, scrypt: { N: 1024, r: 8, p: 1 } });
  db = station.dbPath;
  server = await startServer(serverDir);
}, 60_000);

afterAll(() => {
  server?.child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  rmSync(serverDir, { recursive: true, force: true });
});

interface CardView {
  iccid: string;
  kcvs: Record<string, string>;
}

describe(
  'station → Resource Server: perso and KYC records arrive once, keys decryptable only there',
  { timeout: 180_000 },
  () => {
    let cards: CardView[];

    it('personalises three cards and captures a binding for the first', () => {
      const perso = json<{ batch: { counts: { verified: number } } }>(
        STATION_BIN,
        [
          'perso',
          'run',
          '--db',
          db,
          '--user',
          'oscar',
          '--order',
          station.orderPath,
          '--source',
          'sim',
          '--slots',
          '2',
          '--handler',
          'auto',
        ],
        dir,
      );
      expect(perso.batch.counts.verified).toBe(3);
      cards = json<{ cards: CardView[] }>(STATION_BIN, [
        'perso',
        'status',
        '--db',
        db,
        '--user',
        'oscar',
        '--batch',
        station.order.batchId,
        '--cards',
      ]).cards;
      expect(cards).toHaveLength(3);

      const capture = individualCapture(1);
      const ok = join(dir, 'binding.json');
      writeFileSync(
        ok,
        JSON.stringify({ ...capture, device: { ...capture.device, iccid: cards[0]!.iccid } }),
      );
      json(STATION_BIN, ['kyc', 'capture', '--db', db, '--user', 'oscar', '--file', ok]);
      // A device this station never personalised (and the server never heard of).
      const stranger = join(dir, 'stranger.json');
      writeFileSync(stranger, JSON.stringify(individualCapture(2)));
      json(STATION_BIN, ['kyc', 'capture', '--db', db, '--user', 'oscar', '--file', stranger]);
    });

    it('enrols with the admin code under dual control and syncs every record once', () => {
      const { code } = json<{ code: string }>(SERVER_BIN, [
        'admin',
        'enrol-code',
        '--name',
        'dealer 1',
        '--data',
        serverDir,
      ]);
      json(STATION_BIN, [
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
        code,
      ]);
      const first = run(STATION_BIN, ['sync', '--db', db, '--user', 'alice', '--json']);
      // The stranger's binding is rejected: nothing is left pending, so the run succeeds.
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ applied: 4, duplicate: 0, rejected: 1, queue: 0 });
      const again = json<{ applied: number; queue: number }>(STATION_BIN, [
        'sync',
        '--db',
        db,
        '--user',
        'alice',
      ]);
      expect(again).toMatchObject({ applied: 0, queue: 0 });

      const quarantine = json<{ ref: string; reason: string }[]>(STATION_BIN, [
        'sync',
        'quarantine',
        '--db',
        db,
        '--user',
        'alice',
      ]);
      expect(quarantine).toHaveLength(1);
      expect(quarantine[0]!.reason).toMatch(/unknown device/i);
    });

    it('shows the devices with KCVs the server computed from keys only it can open, and the binding', () => {
      for (const card of cards) {
        const device = json<{
          iccid: string;
          serverKcvs: Record<string, string>;
          kcvs: Record<string, string>;
        }>(SERVER_BIN, ['admin', 'device', '--iccid', card.iccid, '--data', serverDir]);
        expect(device.iccid).toBe(card.iccid);
        // The server decrypted K and OPc itself; their KCVs match what the station proved.
        expect(device.serverKcvs.k).toBe(card.kcvs.k);
        expect(device.serverKcvs.opc).toBe(card.kcvs.opc);
      }
      const bindings = run(SERVER_BIN, [
        'admin',
        'bindings',
        '--iccid',
        cards[0]!.iccid,
        '--data',
        serverDir,
        '--json',
      ]);
      expect(bindings.code, bindings.stderr).toBe(0);
      expect(bindings.stdout).toContain('active');
      expect(bindings.stdout).not.toContain('Ravi Kumar Sharma');
      const revealed = run(SERVER_BIN, [
        'admin',
        'bindings',
        '--iccid',
        cards[0]!.iccid,
        '--data',
        serverDir,
        '--reveal',
        '--json',
      ]);
      expect(revealed.code, revealed.stderr).toBe(0);
      expect(revealed.stdout).toContain('Ravi Kumar Sharma');
    });
  },
);
