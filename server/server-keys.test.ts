import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMasterKey, MASTER_KEY_ENV, MASTER_KEY_FILE, recordsKeyOf, seal, unseal } from './server-keys.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'obf-mk-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  delete process.env[MASTER_KEY_ENV];
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the server master key', () => {
  it('is made once in the data folder, mode 0600, and read back the same', () => {
    const dir = tmp();
    const first = loadMasterKey(dir);
    expect(statSync(join(dir, MASTER_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(loadMasterKey(dir)).toEqual(first);
    expect(readFileSync(join(dir, MASTER_KEY_FILE), 'utf8').trim()).toBe(first.toString('hex'));
  });

  it('comes from the environment first, and a malformed one is refused naming its source', () => {
    process.env[MASTER_KEY_ENV] = 'ab'.repeat(32);
    expect(loadMasterKey(tmp()).toString('hex')).toBe('ab'.repeat(32));
    process.env[MASTER_KEY_ENV] = 'abc';
    expect(() => loadMasterKey(tmp())).toThrow(`${MASTER_KEY_ENV} must be 64 hex digits (32 bytes)`);
  });

  it('seals with AES-256-GCM bound to its AAD: another AAD, key or a flipped bit fails', () => {
    const key = Buffer.alloc(32, 7);
    const sealed = seal(key, Buffer.from('private key bytes'), 'obf-server-key:sig:k1');
    expect(unseal(key, sealed, 'obf-server-key:sig:k1').toString()).toBe('private key bytes');
    expect(() => unseal(key, sealed, 'obf-server-key:enc:k1')).toThrow();
    expect(() => unseal(Buffer.alloc(32, 8), sealed, 'obf-server-key:sig:k1')).toThrow();
    const raw = Buffer.from(sealed, 'base64');
    raw[raw.length - 1]! ^= 1;
    expect(() => unseal(key, raw.toString('base64'), 'obf-server-key:sig:k1')).toThrow();
  });

  it('derives the records key by HKDF: stable for one master key, apart from it and from another', () => {
    const master = Buffer.alloc(32, 7);
    const k = recordsKeyOf(master);
    expect(k).toHaveLength(32);
    expect(recordsKeyOf(Buffer.alloc(32, 7))).toEqual(k);
    expect(k).not.toEqual(master);
    expect(recordsKeyOf(Buffer.alloc(32, 8))).not.toEqual(k);
  });
});
