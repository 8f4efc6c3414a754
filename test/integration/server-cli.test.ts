/**
 * The `obf-resource-server` admin commands as an operator runs them (the built bin), against a
 * data folder a running server also uses: JSON answers, one-line errors with their exit codes,
 * KCVs computed server-side, personal data shown only on --reveal, and the master key file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResourceServer, type ResourceServer } from '../../server/index.js';
import { cardKeysOf, iccidOf, TestStation } from '../harness/server-client.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'obf-resource-server.js');

function cli(dataDir: string, ...args: string[]) {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.OBF_SERVER_MASTER_KEY;
  const r = spawnSync(process.execPath, [BIN, ...args, '--data', dataDir], { encoding: 'utf8', env });
  return {
    code: r.status,
    out: r.stdout,
    err: r.stderr,
    json: () => JSON.parse(r.stdout) as Record<string, unknown>,
  };
}

// Each command is a Node start-up (about a second on a loaded machine): generous timeouts.
describe('obf-resource-server admin', { timeout: 120_000 }, () => {
  let dir: string;
  let server: ResourceServer;

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'server', 'cli.js'))) {
      const b = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
      if (b.status !== 0) throw new Error('the build failed: run npm run build');
    }
    dir = mkdtempSync(join(tmpdir(), 'obf-rs-cli-'));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the master key file 0600 and enrols a station with a code it printed', async () => {
    const made = cli(dir, 'admin', 'enrol-code', '--name', 'Lab 1', '--ttl', '10m', '--json');
    expect(made.code).toBe(0);
    const { code, expiresAt } = made.json() as { code: string; expiresAt: string };
    expect(code).toMatch(/^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(9 * 60_000);
    expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    server = await startResourceServer({ dataDir: dir });
    const st = new TestStation(server.url, 'st-cli');
    expect((await st.enrol(code)).status).toBe(200);
    await st.push([await st.card(1, 1), await st.kyc(2, 'bind', 1, 'b1', null, { name: 'Ada Lovelace' })]);
    const stations = cli(dir, 'admin', 'stations', '--json');
    expect(stations.json()).toMatchObject([{ stationId: 'st-cli', state: 'active', nextSeq: 3 }]);
  });

  it('shows a device with KCVs computed by decrypting its keys, never the keys', () => {
    const r = cli(dir, 'admin', 'device', '--iccid', iccidOf(1), '--json');
    expect(r.code).toBe(0);
    const d = r.json() as { serverKcvs: Record<string, string>; state: string };
    expect(d.state).toBe('bound');
    expect(Object.keys(d.serverKcvs)).toEqual(['k', 'opc', 'app1']);
    for (const key of Object.values(cardKeysOf(1))) expect(r.out).not.toContain(key);
    const text = cli(dir, 'admin', 'device', '--iccid', iccidOf(1));
    expect(text.out).toMatch(/k: kcv [0-9a-f]{6}/);
  });

  it('shows the custody history without personal data unless --reveal', () => {
    const hidden = cli(dir, 'admin', 'bindings', '--iccid', iccidOf(1), '--json');
    expect(hidden.json()).toMatchObject({
      bindings: [{ bindingId: 'b1', state: 'active', hasPersonalData: true }],
    });
    expect(hidden.out).not.toContain('Ada');
    const shown = cli(dir, 'admin', 'bindings', '--iccid', iccidOf(1), '--reveal', '--json');
    expect(shown.out).toContain('Ada Lovelace');
  });

  it('manages the registry and permissions, refusing unknown ones by name', () => {
    expect(
      cli(dir, 'admin', 'app', 'add', '--id', 'app.m', '--name', 'Meter', '--provider', 'ACME').code,
    ).toBe(0);
    expect(
      cli(dir, 'admin', 'app', 'state', '--id', 'app.m', '--state', 'retired', '--json').json(),
    ).toMatchObject({
      state: 'retired',
    });
    expect(
      cli(dir, 'admin', 'permit', '--iccid', iccidOf(1), '--app', 'app.m', '--deny', '--json').json(),
    ).toMatchObject({
      granted: false,
    });
    const unknown = cli(dir, 'admin', 'permit', '--iccid', iccidOf(1), '--app', 'app.x', '--json');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe('obf-resource-server: error: unknown application app.x\n');
    expect(unknown.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'unknown application app.x' } });
  });

  it('revokes a station, and answers usage errors with exit 2 and one line', () => {
    expect(cli(dir, 'admin', 'revoke', '--station', 'st-cli', '--json').json()).toMatchObject({
      state: 'revoked',
    });
    const missing = cli(dir, 'admin', 'revoke', '--station', 'st-nope');
    expect(missing).toMatchObject({ code: 1, err: 'obf-resource-server: error: unknown station st-nope\n' });
    expect(cli(dir, 'admin', 'enrol-code')).toMatchObject({
      code: 2,
      err: 'obf-resource-server: error: --name is required\n',
    });
    expect(cli(dir, 'admin', 'enrol-code', '--name', 'x', '--ttl', '15')).toMatchObject({ code: 2 });
    expect(cli(dir, 'admin', 'app', 'state', '--id', 'app.m', '--state', 'gone').err).toMatch(
      /--state must be active, suspended or retired/,
    );
    expect(cli(dir, 'admin', 'nonsense').code).toBe(2);
    expect(cli(dir, 'serve', '--host', '0.0.0.0').err).toMatch(/loopback only/);
  });
});
