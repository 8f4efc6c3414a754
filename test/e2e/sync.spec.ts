/**
 * Sync as an officer sees it (DESIGN.md §6, §10): the station enrolled from the Sync page with
 * a one-time code from the server administrator's CLI and a second officer, its queue drained
 * to the real Resource Server (the built obf-resource-server, its own process); the server
 * stopped → "Offline" shown in words, records queue up; the server back → it catches up.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { Kms } from '../../core/kms/index.js';
import { enqueue } from '../../core/sync/outbox.js';
import { createPersoStation, PASSPHRASES } from '../harness/perso-station.js';
import { startWebHostProcess, type WebHostProcess } from '../harness/web-host-process.js';

test.describe.configure({ mode: 'serial' });

const SERVER_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'obf-resource-server.js');
const MASTER = randomBytes(32).toString('hex');
const serverEnv = { ...process.env, OBF_SERVER_MASTER_KEY: MASTER };
let dir: string;
let serverDir: string;
let port: number;
let server: ChildProcess | null = null;
let host: WebHostProcess;

function writeCards(from: number, count: number): void {
  const kms = Kms.open(join(dir, 'station.db'));
  kms.unlock('alice', PASSPHRASES.alice);
  const records = kms.records();
  records.db.transaction(() => {
    for (let n = from; n < from + count; n++) {
      const iccid = `8946${String(n).padStart(15, '0')}`;
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
            batchId: 'E2E-SYNC',
            iccid,
            imsi: `00101${String(n).padStart(10, '0')}`,
            impi: `imsi-${n}@ims.example`,
            profile: 'obf-demo',
            kcvs: { k: 'abcdef' },
            verifiedAt: at,
          },
          secret,
        },
        at,
      );
    }
  })();
  kms.lock('system');
}

async function startServer(): Promise<void> {
  const child = spawn(process.execPath, [SERVER_BIN, 'serve', '--data', serverDir, '--port', String(port)], {
    env: serverEnv,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`obf-resource-server exited (${code})`)));
  });
  server = child;
}

async function stopServer(): Promise<void> {
  const child = server;
  server = null;
  if (!child || child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'obf-e2e-sync-'));
  serverDir = join(dir, 'server');
  await createPersoStation(dir, { cards: 1 });
  writeCards(1, 1200);
  port = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
  await startServer();
  host = await startWebHostProcess(['--readers', 'sim', '--data', dir]);
});

test.afterAll(async () => {
  await host?.stop();
  await stopServer();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function nav(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Workflows' }).getByRole('button', { name, exact: true });
}

test('enrol from the Sync page, the queue drains, offline is shown, and it catches up', async ({
  page,
}, info) => {
  test.setTimeout(180_000);
  await page.goto(host.url);
  await nav(page, 'Keys & Ceremonies').click();
  await page.getByLabel('User name').fill('alice');
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASES.alice);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await nav(page, 'Sync').click();
  await expect(page.getByTestId('sync-state')).toContainText('Not enrolled');
  await expect(page.getByTestId('sync-indicator')).toContainText('Not enrolled');

  const admin = spawnSync(
    process.execPath,
    [SERVER_BIN, 'admin', 'enrol-code', '--name', 'e2e line', '--data', serverDir, '--json'],
    { encoding: 'utf8', env: serverEnv },
  );
  expect(admin.status, admin.stderr).toBe(0);
  const { code } = JSON.parse(admin.stdout) as { code: string };

  await page.getByLabel('Server URL').fill(`http://127.0.0.1:${port}`);
  await page.getByLabel('Enrolment code').fill(code);
  await page.getByLabel('Second officer').fill('bob');
  await page.getByLabel('Their passphrase').fill(PASSPHRASES.bob);
  await page.getByRole('button', { name: 'Enrol', exact: true }).click();
  await expect(page.getByTestId('sync-state')).toContainText('Online', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect(page.getByTestId('sync-queue')).toHaveText('0', { timeout: 90_000 });
  await expect(page.getByTestId('sync-last')).not.toHaveText('never');
  await expect(page.getByText('Nothing quarantined')).toBeVisible();
  await page.screenshot({ path: info.outputPath('sync-online.png') });

  // The server goes away: "Sync now" finds it offline, said in words, and records queue up.
  await stopServer();
  writeCards(1201, 5);
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect(page.getByTestId('sync-state')).toContainText('Offline', { timeout: 30_000 });
  await expect(page.getByTestId('sync-queue')).toHaveText('5');
  await expect(page.getByTestId('sync-indicator')).toContainText('Offline');
  await page.screenshot({ path: info.outputPath('sync-offline.png') });

  // Back: it catches up.
  await startServer();
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect(page.getByTestId('sync-state')).toContainText('Online', { timeout: 30_000 });
  await expect(page.getByTestId('sync-queue')).toHaveText('0');
});
