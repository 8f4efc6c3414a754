/** A throw-away station for the KMS tests: a temp folder per test, fast scrypt, known users. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, vi } from 'vitest';
import { isObfError } from '../errors.js';
import { Kms, type InitOptions } from './kms.js';

// Small scrypt parameters keep the suites fast; the default (N = 2^17) is checked on its own.
export const FAST = { N: 1024, r: 8, p: 1 };

export const users: InitOptions['users'] = [
  { username: 'alice', role: 'security_officer', passphrase: 'alice correct horse' },
  { username: 'bob', role: 'security_officer', passphrase: 'bob battery staple' },
  { username: 'carol', role: 'security_officer', passphrase: 'carol tr0ub4dor&3' },
  { username: 'oscar', role: 'operator', passphrase: 'oscar operator pass' },
];

/** Registers the temp folder hooks; `dir` and `dbPath` are fresh in every test. */
export function tempStation() {
  const where = { dir: '', dbPath: '' };
  beforeEach(() => {
    where.dir = mkdtempSync(join(tmpdir(), 'obf-kms-'));
    where.dbPath = join(where.dir, 'station.db');
  });
  afterEach(() => {
    vi.useRealTimers();
    rmSync(where.dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return where.dir;
    },
    get dbPath() {
      return where.dbPath;
    },
    setup(extra: Partial<InitOptions> = {}) {
      return Kms.initialize(where.dbPath, {
        users,
        recovery: { threshold: 2, shares: 3 },
        scrypt: FAST,
        ...extra,
      });
    },
  };
}

/** The ObfError code a call fails with, or "no error". */
export function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isObfError(err) ? err.code : `not an ObfError: ${String(err)}`;
  }
  return 'no error';
}
