import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isObfError } from '../errors.js';
import { fs28DecryptField, fs28EncryptField } from './fs28-csv.js';
import { fromHex } from '../bytes.js';

// Vector copied into fixtures/ with its source (the project never reads ../shared).
const fixture = <T>(name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;

type Fs28Vector = {
  source: string;
  iv: string;
  cases: { transport_key: string; plaintext: string; ciphertext: string }[];
};

describe('FS.28 CSV column encryption, as pySim’s card key provider does it', () => {
  const v = fixture<Fs28Vector>('fs28-csv.json');

  it('uses the IV of sixteen 0x23 bytes the fixture names', () => {
    expect(v.iv).toBe('23'.repeat(16));
  });

  it.each(v.cases.map((c, i) => [i, c] as const))('encrypts and decrypts case %i', (_i, c) => {
    const key = fromHex(c.transport_key);
    expect(fs28EncryptField(key, c.plaintext)).toBe(c.ciphertext);
    expect(fs28DecryptField(key, c.ciphertext)).toBe(c.plaintext);
  });

  it('accepts upper-case hex and answers lower case, as pySim writes it', () => {
    const c = v.cases[0]!;
    expect(fs28EncryptField(fromHex(c.transport_key), c.plaintext.toUpperCase())).toBe(c.ciphertext);
  });

  it('decrypts what it encrypted for AES-128, -192 and -256 keys and several blocks', () => {
    const plain = '00112233445566778899aabbccddeeff'.repeat(3);
    for (const n of [16, 24, 32]) {
      const key = new Uint8Array(n).map((_, i) => i * 7 + n);
      const enc = fs28EncryptField(key, plain);
      expect(enc).not.toBe(plain);
      expect(enc).toHaveLength(plain.length);
      expect(fs28DecryptField(key, enc)).toBe(plain);
    }
  });

  it('gives other bytes, not an error, when decrypting with a wrong key', () => {
    const c = v.cases[0]!;
    const wrong = fromHex(c.transport_key);
    wrong[0]! ^= 0x01;
    const out = fs28DecryptField(wrong, c.ciphertext);
    expect(out).toHaveLength(c.plaintext.length);
    expect(out).not.toBe(c.plaintext);
  });

  it('refuses a field that is not whole AES blocks, naming the column and not the value', () => {
    const key = new Uint8Array(16);
    const secret = 'aabbccddeeff00112233445566778899aa';
    const err = (() => {
      try {
        fs28EncryptField(key, secret, 'KI');
      } catch (e) {
        return e;
      }
    })();
    expect(isObfError(err, 'VALIDATION')).toBe(true);
    expect((err as Error).message).toBe(
      'CSV column KI: 17 bytes is not a whole number of 16-byte AES blocks (FS.28 CSV fields are not padded)',
    );
    expect((err as Error).message).not.toContain(secret.slice(0, 8));
    expect(() => fs28DecryptField(key, '', 'OPC')).toThrow('CSV column OPC: 0 bytes');
  });

  it('refuses bad hex and bad key lengths without echoing the input', () => {
    expect(() => fs28EncryptField(new Uint8Array(16), 'zz'.repeat(16), 'OPC')).toThrow(
      'CSV column OPC: not an even-length hex string',
    );
    expect(() => fs28EncryptField(new Uint8Array(15), '00'.repeat(16))).toThrow(
      'a transport key is 16, 24 or 32 bytes, got 15',
    );
  });
});
