import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../../core/bytes.js';
import { verifyTranscript, type SignedTranscript } from '../../core/ceremony/index.js';
import { kcvAes } from '../../core/crypto/index.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'obf-station.js');
const dir = mkdtempSync(join(tmpdir(), 'obf-kms-cli-'));
const db = join(dir, 'station.db');
const passphrases = { alice: 'alice correct horse', bob: 'bob battery staple', oscar: 'oscar operator pass' };
const env = {
  ...process.env,
  OBF_PASSPHRASE_ALICE: passphrases.alice,
  OBF_PASSPHRASE_BOB: passphrases.bob,
  OBF_PASSPHRASE_OSCAR: passphrases.oscar,
};

function cli(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: options.env ?? env,
    input: options.input ?? '',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('obf-station kms and audit, through the built CLI on a real SQLCipher file', () => {
  const key = new Uint8Array(randomBytes(16));
  const c1 = new Uint8Array(randomBytes(16));
  const c2 = key.map((b, i) => b ^ c1[i]!);

  it('initialises a station from a setup file and prints the recovery shares once', () => {
    const setup = join(dir, 'setup.json');
    writeFileSync(
      setup,
      JSON.stringify({
        users: [
          { username: 'alice', role: 'security_officer' },
          { username: 'bob', role: 'security_officer' },
          { username: 'oscar', role: 'operator' },
        ],
        recovery: { threshold: 2, shares: 3 },
        scrypt: { N: 1024, r: 8, p: 1 },
      }),
    );
    const r = cli(['kms', 'init', '--db', db, '--setup', setup, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      shares: { share: string }[];
      threshold: number;
      transcript: { json: string; pdf: string };
    };
    expect(out.shares).toHaveLength(3);
    expect(out.threshold).toBe(2);
    const signed = JSON.parse(readFileSync(out.transcript.json, 'utf8')) as SignedTranscript;
    expect(verifyTranscript(signed)).toBe(true);
    expect(signed.transcript.ceremony).toBe('station-initialisation');
    expect(readFileSync(out.transcript.pdf).subarray(0, 5).toString()).toBe('%PDF-');
    // The shares themselves are in no transcript.
    for (const sh of out.shares) expect(readFileSync(out.transcript.json, 'utf8')).not.toContain(sh.share);
    expect(cli(['kms', 'init', '--db', db, '--setup', setup]).code).toBe(1); // never over an existing station
  });

  it('takes passphrases from stdin as well, and refuses a wrong one', () => {
    const noEnv = { ...process.env };
    const ok = cli(['kms', 'unlock', '--db', db, '--user', 'oscar', '--json'], {
      env: noEnv,
      input: JSON.stringify({ oscar: passphrases.oscar }),
    });
    expect(ok.code, ok.stderr).toBe(0);
    const bad = cli(['kms', 'unlock', '--db', db, '--user', 'oscar'], {
      env: noEnv,
      input: JSON.stringify({ oscar: 'wrong wrong wrong' }),
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('wrong user name or passphrase');
    const none = cli(['kms', 'unlock', '--db', db, '--user', 'oscar'], { env: noEnv });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('OBF_PASSPHRASE_OSCAR');
  });

  it('imports a key from two officers’ components and generates one, listing only KCVs', () => {
    const input = JSON.stringify({
      components: [
        { custodian: 'alice', component: toHex(c1), kcv: toHex(kcvAes(c1)) },
        { custodian: 'bob', component: toHex(c2), kcv: toHex(kcvAes(c2)) },
      ],
    });
    const imported = cli(
      [
        'kms',
        'import-components',
        '--db',
        db,
        '--user',
        'alice',
        '--label',
        'isd-master',
        '--type',
        'AES-128',
        '--usage',
        'isd-master',
        '--kcv',
        toHex(kcvAes(key)),
        '--json',
      ],
      { input },
    );
    expect(imported.code, imported.stderr).toBe(0);
    const importOut = JSON.parse(imported.stdout) as {
      label: string;
      kcv: string;
      origin: string;
      transcript: { json: string };
    };
    expect(importOut).toMatchObject({ label: 'isd-master', kcv: toHex(kcvAes(key)), origin: 'components' });
    const importTranscript = JSON.parse(readFileSync(importOut.transcript.json, 'utf8')) as SignedTranscript;
    expect(verifyTranscript(importTranscript)).toBe(true);
    expect(importTranscript.transcript.kcvs).toMatchObject({
      'isd-master': toHex(kcvAes(key)),
      'component 1 (alice)': toHex(kcvAes(c1)),
    });
    expect(JSON.stringify(importTranscript)).not.toContain(toHex(c1));
    const sameTwice = cli([
      'kms',
      'generate',
      '--db',
      db,
      '--user',
      'alice',
      '--second',
      'alice',
      '--label',
      'x',
      '--type',
      'AES-256',
      '--usage',
      'op',
    ]);
    expect(sameTwice.code).toBe(1);
    expect(sameTwice.stderr).toContain('different security officers');
    const generated = cli([
      'kms',
      'generate',
      '--db',
      db,
      '--user',
      'alice',
      '--second',
      'bob',
      '--label',
      'op-1',
      '--type',
      'AES-128',
      '--usage',
      'op',
      '--json',
    ]);
    expect(generated.code, generated.stderr).toBe(0);
    const keys = cli(['kms', 'keys', '--db', db, '--user', 'oscar', '--json']);
    const listed = JSON.parse(keys.stdout) as { keys: { label: string; kcv: string }[] };
    expect(listed.keys.map((k) => k.label)).toEqual(['station-signing', 'isd-master', 'op-1']);
    expect(keys.stdout).not.toContain(toHex(key));
  });

  it('verifies the audit chain, and leaves no key in clear in the station folder or its transcripts', () => {
    const ok = cli(['audit', 'verify', '--db', db, '--user', 'oscar', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const verdict = JSON.parse(ok.stdout) as { ok: boolean; rows: number; firstBroken: null };
    expect(verdict).toMatchObject({ ok: true, firstBroken: null });
    expect(verdict.rows).toBeGreaterThan(8);
    // No key material in clear anywhere in the station's folder.
    for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) =>
      statSync(join(dir, n)).isFile(),
    )) {
      const bytes = readFileSync(join(dir, f));
      for (const needle of [
        Buffer.from(key),
        Buffer.from(toHex(key)),
        Buffer.from(toHex(key).toUpperCase()),
        Buffer.from(Buffer.from(key).toString('base64')),
      ]) {
        expect(bytes.includes(needle), f).toBe(false);
      }
    }
    expect(readFileSync(db).subarray(0, 15).toString()).not.toBe('SQLite format 3');
    expect(() => {
      const plain = new Database(db, { fileMustExist: true });
      try {
        plain.prepare('SELECT * FROM audit').all();
      } finally {
        plain.close();
      }
    }).toThrow(/not a database/);
  });

  it('exports the chain under dual control; the file verifies away from the station and a change is caught', () => {
    const out = join(dir, 'audit-export.json');
    const alone = cli(['audit', 'export', '--db', db, '--user', 'alice', '--second', 'alice', '--out', out]);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain('different security officers');
    const r = cli([
      'audit',
      'export',
      '--db',
      db,
      '--user',
      'alice',
      '--second',
      'bob',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { rows: number; sha256: string };
    expect(summary.rows).toBeGreaterThan(8);
    const ok = cli(['audit', 'verify', '--file', out, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({
      ok: true,
      rows: summary.rows,
      firstBroken: null,
      signature: true,
    });
    const file = JSON.parse(readFileSync(out, 'utf8')) as { record: { rows: { actor: string }[] } };
    file.record.rows[3]!.actor = 'mallory';
    writeFileSync(out, JSON.stringify(file));
    const bad = cli(['audit', 'verify', '--file', out, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, firstBroken: 3, signature: false });
  });

  it('refuses bad input with exit code 2 and one line naming it', () => {
    for (const [args, message] of [
      [['kms', 'keys', '--user', 'oscar'], '--db PATH is required'],
      [
        [
          'kms',
          'generate',
          '--db',
          db,
          '--user',
          'alice',
          '--second',
          'bob',
          '--label',
          'y',
          '--type',
          'RSA',
          '--usage',
          'op',
        ],
        '--type must be one of',
      ],
      [['audit', 'verify', '--db', db], '--user NAME is required'],
    ] as const) {
      const r = cli([...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });
});
