import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadersSnapshot } from '../../core/api/index.js';
import { PcscHarness } from '../harness/pcsc-harness.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'obf-station.js');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('obf-station CLI', () => {
  let harness: PcscHarness;

  beforeAll(async () => {
    harness = await PcscHarness.start({ slots: 4 });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('lists the 4 vpcd readers with cards present as JSON (auto picks PC/SC when pcscd has readers)', () => {
    const r = cli('readers', '--json');
    expect(r.code, r.stderr).toBe(0);
    const snap = JSON.parse(r.stdout) as ReadersSnapshot;
    expect(snap.service).toMatchObject({ source: 'pcsc', state: 'up' });
    expect(snap.readers.map((x) => [x.name, x.state])).toEqual(
      harness.readerNames.map((n) => [n, 'present']),
    );
  });

  it('prints a readable table without --json', () => {
    const r = cli('readers', '--readers', 'pcsc');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${harness.readerNames[0]}\tpresent\tATR 3b8a`);
  });

  it('lists simulated readers on request', () => {
    const r = cli('readers', '--readers', 'sim', '--slots', '2', '--json');
    expect(r.code).toBe(0);
    const snap = JSON.parse(r.stdout) as ReadersSnapshot;
    expect(snap.readers.map((x) => x.name)).toEqual(['OBF Simulated Reader 0', 'OBF Simulated Reader 1']);
    expect(snap.service.source).toBe('sim');
  });

  it('explains every command in --help and exits 0', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    for (const command of ['readers', 'sim', 'web', 'start'])
      expect(r.stdout).toMatch(new RegExp(`^  ${command}\\s`, 'm'));
    const sub = cli('sim', '--help');
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--slots N');
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['readers', '--slots', '99'], '--slots must be a whole number from 1 to 16; got "99"'],
    [['readers', '--readers', 'usb'], '--readers must be one of auto, pcsc, sim; got "usb"'],
    [['readers', '--bogus'], "readers: Unknown option '--bogus'"],
    [['sim', '--slots', 'four'], '--slots must be a whole number from 1 to 16; got "four"'],
  ])('refuses bad input %j with exit code 2 and one line naming the fault', (args, message) => {
    const r = cli(...args, '--json');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'VALIDATION' } });
  });

  it('says pcscd is down with exit code 1, and auto mode falls back to simulated readers', async () => {
    await harness.killPcscd('SIGKILL');
    try {
      const r = cli('readers', '--readers', 'pcsc', '--json');
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'PCSCD_DOWN' } });
      expect(r.stderr).toMatch(/^obf-station: error: pcscd is not reachable/);
      const auto = cli('readers', '--json');
      expect(auto.code).toBe(0);
      const snap = JSON.parse(auto.stdout) as ReadersSnapshot;
      expect(snap.service.source).toBe('sim');
      expect(snap.service.message).toContain('pcscd is not running');
    } finally {
      await harness.startPcscd();
    }
  });
});
