import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { iccidWithCheckDigit } from '../card/index.js';
import { fs28DecryptField } from '../crypto/index.js';
import { isObfError } from '../errors.js';
import {
  cardKeysCsvHeader,
  readCardKeysJwe,
  writeCardKeysCsv,
  writeCardKeysJwe,
  type CardKeyRecord,
} from './output-files.js';
import type { CustomerPublicJwk } from './order.js';

const dir = mkdtempSync(join(tmpdir(), 'obf-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (n: number) => new Uint8Array(randomBytes(n));

function records(n: number, slots: readonly number[] = [1, 2]): CardKeyRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const iccid = iccidWithCheckDigit(`89490010000000${String(i).padStart(4, '0')}`);
    const imsi = `00101${String(i).padStart(10, '0')}`;
    return {
      iccid,
      imsi,
      impi: `${imsi}@ims.mnc001.mcc001.3gppnetwork.org`,
      k: bytes(16),
      opc: bytes(16),
      appKeys: Object.fromEntries(slots.map((s) => [s, bytes(s === 2 ? 32 : 16)])),
    };
  });
}

/** Every secret of the records, as lower- and upper-case hex and as base64. */
function secretsOf(rs: readonly CardKeyRecord[]): string[] {
  return rs.flatMap((r) =>
    [r.k, r.opc, ...Object.values(r.appKeys)].flatMap((key) => [
      toHex(key),
      toHex(key).toUpperCase(),
      Buffer.from(key).toString('base64url'),
      Buffer.from(key).toString('base64'),
    ]),
  );
}

const ecKeys = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaKeys = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicJwk = (k: ReturnType<typeof ecKeys>) =>
  ({ ...k.publicKey.export({ format: 'jwk' }), kid: 'customer-1' }) as CustomerPublicJwk;

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    expect(isObfError(err, 'VALIDATION'), String(err)).toBe(true);
    return err as Error;
  }
  throw new Error('expected a VALIDATION error');
}

describe('the JWE card key file (RFC 7516)', () => {
  it.each([
    ['EC P-256', ecKeys, 'ECDH-ES+A256KW'],
    ['RSA', rsaKeys, 'RSA-OAEP-256'],
  ] as const)('encrypts to a %s customer key and decrypts back to the records', async (_name, keys, alg) => {
    const pair = keys();
    const rs = records(5);
    const path = join(dir, `cards-${alg}.jwe`);
    const out = await writeCardKeysJwe(path, rs, { batchId: 'B-1', recipient: publicJwk(pair) });
    expect(out).toMatchObject({ path, records: 5, sha256: sha256(path), bytes: statSync(path).size });
    const text = readFileSync(path, 'utf8');
    const header = JSON.parse(Buffer.from(text.split('.')[0]!, 'base64url').toString()) as Record<
      string,
      string
    >;
    expect(header).toMatchObject({ alg, enc: 'A256GCM', kid: 'customer-1' });
    const back = await readCardKeysJwe(text, pair.privateKey);
    expect(back.batchId).toBe('B-1');
    expect(back.records).toEqual(rs);
  });

  it('does not decrypt with another private key', async () => {
    const path = join(dir, 'other-key.jwe');
    await writeCardKeysJwe(path, records(2), { batchId: 'B-2', recipient: publicJwk(ecKeys()) });
    const err = await rejection(readCardKeysJwe(readFileSync(path, 'utf8'), ecKeys().privateKey));
    expect(err.message).toBe('the card key file does not decrypt with this key');
  });

  it('fails on a changed byte (A256GCM authenticates the content)', async () => {
    const pair = ecKeys();
    const path = join(dir, 'tampered.jwe');
    await writeCardKeysJwe(path, records(2), { batchId: 'B-3', recipient: publicJwk(pair) });
    const parts = readFileSync(path, 'utf8').split('.');
    const ct = Buffer.from(parts[3]!, 'base64url');
    ct[0]! ^= 0x01;
    parts[3] = ct.toString('base64url');
    await rejection(readCardKeysJwe(parts.join('.'), pair.privateKey));
  });

  it('holds no key in clear, in hex of either case or in base64', async () => {
    const rs = records(20);
    const path = join(dir, 'clear.jwe');
    await writeCardKeysJwe(path, rs, { batchId: 'B-4', recipient: publicJwk(ecKeys()) });
    const text = readFileSync(path, 'utf8');
    for (const s of secretsOf(rs)) expect(text).not.toContain(s);
  });

  it('writes an empty batch as a document with no records', async () => {
    const pair = ecKeys();
    const path = join(dir, 'empty.jwe');
    const out = await writeCardKeysJwe(path, [], { batchId: 'B-0', recipient: publicJwk(pair) });
    expect(out.records).toBe(0);
    expect((await readCardKeysJwe(readFileSync(path, 'utf8'), pair.privateKey)).records).toEqual([]);
  });
});

describe('the pySim CSV card key file (FS.28 column encryption)', () => {
  const transportKey = randomBytes(16);

  it('writes ICCID,IMSI,KI,OPC and APP_KEY columns whose key columns decrypt to K, OPc and the app keys', async () => {
    const rs = records(4, [2, 1]);
    const path = join(dir, 'cards.csv');
    const out = await writeCardKeysCsv(path, rs, { transportKey, appKeySlots: [2, 1] });
    expect(out).toMatchObject({ path, records: 4, sha256: sha256(path), bytes: statSync(path).size });
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines[0]).toBe('ICCID,IMSI,KI,OPC,APP_KEY_1,APP_KEY_2');
    expect(lines).toHaveLength(6);
    expect(lines[5]).toBe('');
    rs.forEach((r, i) => {
      const [iccid, imsi, ki, opc, app1, app2] = lines[i + 1]!.split(',') as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      expect([iccid, imsi]).toEqual([r.iccid, r.imsi]);
      expect(ki).not.toBe(toHex(r.k));
      expect(opc).not.toBe(toHex(r.opc));
      expect(fs28DecryptField(transportKey, ki)).toBe(toHex(r.k));
      expect(fs28DecryptField(transportKey, opc)).toBe(toHex(r.opc));
      expect(fs28DecryptField(transportKey, app1)).toBe(toHex(r.appKeys[1]!));
      expect(fs28DecryptField(transportKey, app2)).toBe(toHex(r.appKeys[2]!));
    });
  });

  it('holds no key in clear, in hex of either case or in base64', async () => {
    const rs = records(20);
    const path = join(dir, 'clear.csv');
    await writeCardKeysCsv(path, rs, { transportKey, appKeySlots: [1, 2] });
    const text = readFileSync(path, 'utf8');
    for (const s of secretsOf(rs)) expect(text).not.toContain(s);
    expect(text).not.toContain(toHex(transportKey));
  });

  it('uses a per-column transport key where one is given', async () => {
    const opcKey = randomBytes(32);
    const rs = records(1, []);
    const path = join(dir, 'columns.csv');
    await writeCardKeysCsv(path, rs, { transportKey, columnKeys: { OPC: opcKey }, appKeySlots: [] });
    const [, row] = readFileSync(path, 'utf8').split('\n');
    const [, , ki, opc] = row!.split(',') as [string, string, string, string];
    expect(fs28DecryptField(transportKey, ki)).toBe(toHex(rs[0]!.k));
    expect(fs28DecryptField(opcKey, opc)).toBe(toHex(rs[0]!.opc));
    expect(fs28DecryptField(transportKey, opc)).not.toBe(toHex(rs[0]!.opc));
  });

  it('names its header from the slots, sorted', () => {
    expect(cardKeysCsvHeader([15, 3])).toEqual(['ICCID', 'IMSI', 'KI', 'OPC', 'APP_KEY_3', 'APP_KEY_15']);
  });

  it('streams from an async source', async () => {
    const rs = records(3, []);
    async function* source() {
      for (const r of rs) {
        await Promise.resolve();
        yield r;
      }
    }
    const out = await writeCardKeysCsv(join(dir, 'async.csv'), source(), { transportKey, appKeySlots: [] });
    expect(out.records).toBe(3);
  });
});

describe('refusing bad records, leaving no file behind', () => {
  const transportKey = randomBytes(16);

  it('refuses a short K without echoing any key, and leaves neither target nor temporary file', async () => {
    const sub = mkdtempSync(join(dir, 'bad-'));
    const [good, bad] = records(2);
    const shortK = { ...bad!, k: bad!.k.subarray(0, 15) };
    const err = await rejection(
      writeCardKeysCsv(join(sub, 'x.csv'), [good!, shortK], { transportKey, appKeySlots: [1, 2] }),
    );
    expect(err.message).toBe(`card ${bad!.iccid}: K is 15 bytes, not 16`);
    for (const s of secretsOf([good!, bad!])) expect(err.message).not.toContain(s);
    expect(readdirSync(sub)).toEqual([]);
  });

  it('refuses a card twice, a missing or undeclared application key, and a bad ICCID', async () => {
    const [a, b] = records(2);
    const p = join(dir, 'refused.csv');
    expect(
      (await rejection(writeCardKeysCsv(p, [a!, a!], { transportKey, appKeySlots: [1, 2] }))).message,
    ).toBe(`card ${a!.iccid}: appears twice in the records`);
    expect(
      (await rejection(writeCardKeysCsv(p, [a!], { transportKey, appKeySlots: [1, 2, 3] }))).message,
    ).toBe(`card ${a!.iccid}: no application key for APP_KEY_3`);
    expect((await rejection(writeCardKeysCsv(p, [a!], { transportKey, appKeySlots: [1] }))).message).toBe(
      `card ${a!.iccid}: application key slot 2 has no CSV column`,
    );
    const badIccid = { ...b!, iccid: b!.iccid.slice(0, -1) + String((Number(b!.iccid.at(-1)) + 1) % 10) };
    expect(
      (await rejection(writeCardKeysJwe(p, [badIccid], { batchId: 'B', recipient: publicJwk(ecKeys()) })))
        .message,
    ).toMatch(/: ICCID: the Luhn check digit is wrong/);
    expect(existsSync(p)).toBe(false);
  });

  it('keeps the previous file when a rewrite fails', async () => {
    const p = join(dir, 'keep.csv');
    await writeCardKeysCsv(p, records(1, []), { transportKey, appKeySlots: [] });
    const before = readFileSync(p, 'utf8');
    await rejection(writeCardKeysCsv(p, records(1, []), { transportKey: randomBytes(15), appKeySlots: [] }));
    expect(readFileSync(p, 'utf8')).toBe(before);
  });

  it('writes files readable by the owner only', async () => {
    const p = join(dir, 'mode.csv');
    await writeCardKeysCsv(p, records(1, []), { transportKey, appKeySlots: [] });
    expect(statSync(p).mode & 0o777).toBe(0o600);
  });
});
