import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'; // @electron/fuses' marker in the Electron binary

/**
 * No Electron binary can be downloaded here, so this packs against a stand-in "unpacked
 * Electron" that carries the fuse wire block, the way `npm run dist -- --dir -c.electronDist=…`
 * is documented to work offline. It proves the builder config, the file set and the fuses.
 */
describe('npm run dist -- --dir with a supplied Electron (offline)', () => {
  const work = mkdtempSync(join(tmpdir(), 'obf-dist-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('packs the app into an asar with the hardening fuses flipped', () => {
    const electronDist = join(work, 'electron');
    spawnSync('mkdir', ['-p', electronDist]);
    const fake = Buffer.concat([
      Buffer.from('stand-in electron\0'),
      Buffer.from(SENTINEL),
      Buffer.from([1, 9]),
      Buffer.from('111111111'),
      Buffer.alloc(32),
    ]);
    writeFileSync(join(electronDist, 'electron'), fake);
    chmodSync(join(electronDist, 'electron'), 0o755);
    writeFileSync(join(electronDist, 'version'), '45.5.0');
    writeFileSync(join(electronDist, 'LICENSE'), '');
    const out = join(work, 'release');
    const r = spawnSync(
      'npx',
      [
        'electron-builder',
        '--config',
        'build/electron-builder.yml',
        '--dir',
        `-c.electronDist=${electronDist}`,
        `-c.directories.output=${out}`,
        // No Electron headers can be downloaded here to rebuild the SQLCipher binding.
        '-c.npmRebuild=false',
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 240_000 },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const app = join(out, 'linux-unpacked');
    expect(existsSync(join(app, 'resources', 'app.asar'))).toBe(true);

    const asar = createRequire(import.meta.url)('@electron/asar') as {
      listPackage(p: string, o: object): string[];
    };
    const files = asar.listPackage(join(app, 'resources', 'app.asar'), {});
    expect(files).toContain('/dist/electron/main.js');
    expect(files).toContain('/dist/electron/preload.cjs');
    expect(files).toContain('/dist/renderer/index.html');
    expect(files.filter((f) => f.startsWith('/dist/') && f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => /^\/(core|native|electron|renderer|test|scripts)\//.test(f))).toEqual([]);

    // Fuse wires after the sentinel: version, count, then one byte per fuse ('0' off, '1' on).
    const binary = readFileSync(join(app, 'obf-station'));
    const at = binary.indexOf(SENTINEL) + SENTINEL.length;
    const wires = binary.subarray(at + 2, at + 2 + binary[at + 1]!).toString();
    expect(wires[0], 'RunAsNode').toBe('0');
    expect(wires[1], 'EnableCookieEncryption').toBe('1');
    expect(wires[2], 'EnableNodeOptionsEnvironmentVariable').toBe('0');
    expect(wires[3], 'EnableNodeCliInspectArguments').toBe('0');
    expect(wires[4], 'EnableEmbeddedAsarIntegrityValidation').toBe('1');
    expect(wires[5], 'OnlyLoadAppFromAsar').toBe('1');
    expect(wires[7], 'GrantFileProtocolExtraPrivileges').toBe('0');
  }, 300_000);
});
