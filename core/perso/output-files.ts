/**
 * The per-card output files a batch hands to its customer: each card's identities and keys
 * (K, OPc, application keys) — never in clear in any file.
 *
 * - The JWE file (RFC 7516, compact serialization) is the station's own format: one JSON
 *   document of every record, encrypted to the customer's public key from the order with
 *   ECDH-ES+A256KW (EC P-256) or RSA-OAEP-256 (RSA), content A256GCM (RFC 7518 §4.6, §4.3, §5.3).
 *   It is authenticated: a changed byte fails decryption.
 * - The CSV file is for pySim's card key provider: header ICCID,IMSI,KI,OPC (then APP_KEY_<slot>),
 *   the secret columns encrypted with the FS.28 column scheme under a transport key. That scheme
 *   has a fixed IV and no MAC; it exists for interoperability, the JWE is the file to trust.
 *
 * Both writers stream into a temporary file (mode 0600), fsync and rename it over the target, so
 * a crash leaves the old file or the new one, and return the SHA-256 of what they wrote, which
 * the caller records in the audit log.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { CompactEncrypt, compactDecrypt, importJWK, type CryptoKey, type JWK, type KeyObject } from 'jose';
import { z } from 'zod';
import { fromHex, toHex } from '../bytes.js';
import { iccidProblems } from '../card/index.js';
import { fs28EncryptField } from '../crypto/index.js';
import { ObfError } from '../errors.js';
import type { CustomerPublicJwk } from './order.js';

/** One personalised card as the customer receives it. */
export interface CardKeyRecord {
  readonly iccid: string;
  readonly imsi: string;
  readonly impi: string;
  /** Subscriber key K, 16 bytes (TS 35.206 §2). */
  readonly k: Uint8Array;
  /** OPc, 16 bytes (TS 35.206 §2). */
  readonly opc: Uint8Array;
  /** Application keys by slot 1..15 (Y.OBF Appendix I key index). */
  readonly appKeys: Readonly<Record<number, Uint8Array>>;
}

export interface WrittenFile {
  readonly path: string;
  /** SHA-256 of the file's bytes, lower-case hex. */
  readonly sha256: string;
  readonly bytes: number;
  readonly records: number;
}

export type CardRecords = Iterable<CardKeyRecord> | AsyncIterable<CardKeyRecord>;

/** The JWE payload's format name, so a reader knows what it decrypted. */
export const CARD_KEYS_FORMAT = 'obf-card-keys/1';
const JWE_ENC = 'A256GCM';
const JWE_ALGS = { EC: 'ECDH-ES+A256KW', RSA: 'RSA-OAEP-256' } as const;

// ---------------------------------------------------------------------------------------------
// Checks: a record is refused before any byte of it is written. Messages name the card by its
// ICCID (not secret) and the field by name, never a key's value.

function checkRecord(r: CardKeyRecord, seen: Set<string>): void {
  const card = /^\d{1,22}$/.test(r.iccid) ? `card ${r.iccid}` : 'card with a malformed ICCID';
  const iccid = iccidProblems(r.iccid);
  if (iccid.length) throw new ObfError('VALIDATION', `${card}: ICCID: ${iccid.join('; ')}`);
  if (!/^\d{15}$/.test(r.imsi)) throw new ObfError('VALIDATION', `${card}: IMSI is not 15 digits`);
  if (!/^[\x21-\x7e]{1,253}$/.test(r.impi))
    throw new ObfError('VALIDATION', `${card}: IMPI must be 1-253 printable ASCII characters`);
  if (r.k.length !== 16) throw new ObfError('VALIDATION', `${card}: K is ${r.k.length} bytes, not 16`);
  if (r.opc.length !== 16) throw new ObfError('VALIDATION', `${card}: OPc is ${r.opc.length} bytes, not 16`);
  for (const [slot, key] of Object.entries(r.appKeys)) {
    const n = Number(slot);
    if (!Number.isInteger(n) || n < 1 || n > 15)
      throw new ObfError('VALIDATION', `${card}: application key slot ${slot.slice(0, 8)} is not 1..15`);
    if (key.length !== 16 && key.length !== 24 && key.length !== 32)
      throw new ObfError(
        'VALIDATION',
        `${card}: application key ${n} is ${key.length} bytes, not 16, 24 or 32`,
      );
  }
  // E.118: one ICCID, one card; a file naming a card twice would hand out two key sets for it.
  if (seen.has(r.iccid)) throw new ObfError('VALIDATION', `${card}: appears twice in the records`);
  seen.add(r.iccid);
}

// ---------------------------------------------------------------------------------------------
// Atomic streaming writer

/** Writes chunks to `path` atomically, hashing as it goes; removes the temporary file on failure. */
async function writeAtomically(
  path: string,
  produce: (write: (chunk: string | Uint8Array) => Promise<void>) => Promise<void>,
): Promise<{ sha256: string; bytes: number }> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const file = await open(tmp, 'wx', 0o600);
  const hash = createHash('sha256');
  let bytes = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (!pendingBytes) return;
    const buf = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await file.write(buf);
  };
  try {
    await produce(async (chunk) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
      hash.update(buf);
      bytes += buf.length;
      pending.push(buf);
      pendingBytes += buf.length;
      if (pendingBytes >= 64 * 1024) await flush();
    });
    await flush();
    await file.sync();
    await file.close();
  } catch (err) {
    await file.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  return { sha256: hash.digest('hex'), bytes };
}

// ---------------------------------------------------------------------------------------------
// JWE (RFC 7516)

/** The payload record: keys as lower-case hex inside the encrypted JSON. */
const payloadRecord = z.strictObject({
  iccid: z.string(),
  imsi: z.string(),
  impi: z.string(),
  k: z.string().regex(/^[0-9a-f]{32}$/),
  opc: z.string().regex(/^[0-9a-f]{32}$/),
  appKeys: z.record(
    z.string().regex(/^(?:[1-9]|1[0-5])$/),
    z.string().regex(/^(?:[0-9a-f]{32}|[0-9a-f]{48}|[0-9a-f]{64})$/),
  ),
});

const payloadSchema = z.strictObject({
  format: z.literal(CARD_KEYS_FORMAT),
  batchId: z.string(),
  count: z.int().nonnegative(),
  records: z.array(payloadRecord),
});

function jweAlg(jwk: CustomerPublicJwk): string {
  return JWE_ALGS[jwk.kty];
}

/**
 * Encrypts every record to the customer's public key and writes the compact JWE. The plaintext
 * is assembled once (JWE has no streaming encryption), then its buffers are zeroed; the JS
 * strings of hex built on the way cannot be, which is one reason to run this in a worker that ends.
 */
export async function writeCardKeysJwe(
  path: string,
  records: CardRecords,
  options: { readonly batchId: string; readonly recipient: CustomerPublicJwk },
): Promise<WrittenFile> {
  const alg = jweAlg(options.recipient);
  const key = await importJWK(options.recipient as JWK, alg).catch((err: unknown) => {
    throw new ObfError('VALIDATION', `the customer's public key does not import for ${alg}`, { cause: err });
  });
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  let count = 0;
  const seen = new Set<string>();
  for await (const r of records) {
    checkRecord(r, seen);
    const appKeys: Record<string, string> = {};
    for (const [slot, k] of Object.entries(r.appKeys)) appKeys[slot] = toHex(k);
    const json = JSON.stringify({
      iccid: r.iccid,
      imsi: r.imsi,
      impi: r.impi,
      k: toHex(r.k),
      opc: toHex(r.opc),
      appKeys,
    });
    parts.push(enc.encode((count ? ',' : '') + json));
    count++;
  }
  const head = enc.encode(
    `{"format":${JSON.stringify(CARD_KEYS_FORMAT)},"batchId":${JSON.stringify(options.batchId)},"count":${count},"records":[`,
  );
  const plaintext = Buffer.concat([head, ...parts, enc.encode(']}')]);
  let jwe: string;
  try {
    const header: { alg: string; enc: string; cty: string; kid?: string } = {
      alg,
      enc: JWE_ENC,
      cty: 'obf-card-keys+json',
    };
    if (options.recipient.kid !== undefined) header.kid = options.recipient.kid;
    jwe = await new CompactEncrypt(plaintext).setProtectedHeader(header).encrypt(key);
  } finally {
    plaintext.fill(0);
    for (const p of parts) p.fill(0);
  }
  const written = await writeAtomically(path, async (write) => {
    for (let i = 0; i < jwe.length; i += 1 << 20) await write(jwe.slice(i, i + (1 << 20)));
  });
  return { path, ...written, records: count };
}

/**
 * Decrypts a card key JWE with the customer's private key and returns its records. Only the
 * algorithms this module writes are accepted (no algorithm chosen by the file).
 */
export async function readCardKeysJwe(
  jwe: string,
  privateKey: CryptoKey | KeyObject | JWK,
): Promise<{ batchId: string; records: CardKeyRecord[] }> {
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await compactDecrypt(jwe.trim(), privateKey, {
      keyManagementAlgorithms: Object.values(JWE_ALGS),
      contentEncryptionAlgorithms: [JWE_ENC],
    }));
  } catch (err) {
    throw new ObfError('VALIDATION', 'the card key file does not decrypt with this key', { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(plaintext));
  } catch {
    throw new ObfError('VALIDATION', 'the card key file decrypts to something other than JSON');
  } finally {
    plaintext.fill(0);
  }
  const parsed = payloadSchema.safeParse(value);
  if (!parsed.success || parsed.data.count !== parsed.data.records.length)
    throw new ObfError('VALIDATION', `the card key file is not an ${CARD_KEYS_FORMAT} document`);
  return {
    batchId: parsed.data.batchId,
    records: parsed.data.records.map((r) => ({
      iccid: r.iccid,
      imsi: r.imsi,
      impi: r.impi,
      k: fromHex(r.k),
      opc: fromHex(r.opc),
      appKeys: Object.fromEntries(
        Object.entries(r.appKeys).map(([slot, hex]) => [Number(slot), fromHex(hex)]),
      ),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// pySim CSV with FS.28 column encryption

/** The column of application key `slot`. */
export function appKeyColumn(slot: number): string {
  return `APP_KEY_${slot}`;
}

/** Header of the CSV: pySim looks columns up by these names (it upper-cases the header). */
export function cardKeysCsvHeader(appKeySlots: readonly number[]): string[] {
  return ['ICCID', 'IMSI', 'KI', 'OPC', ...[...appKeySlots].sort((a, b) => a - b).map(appKeyColumn)];
}

export interface CardKeysCsvOptions {
  /** Transport key for every secret column (16, 24 or 32 bytes: AES-128/192/256). */
  readonly transportKey: Uint8Array;
  /**
   * Per-column transport keys overriding `transportKey` (FS.28 recommends a key per column or
   * column group, so that one leaked key exposes one kind of secret only).
   */
  readonly columnKeys?: Readonly<Record<string, Uint8Array>>;
  /** The slots every record carries; each becomes an APP_KEY_<slot> column. */
  readonly appKeySlots: readonly number[];
}

/**
 * Writes the pySim-readable CSV: ICCID and IMSI in clear (they are looked up by), KI, OPC and
 * APP_KEY_<slot> encrypted, one line per card, `\n` line ends.
 */
export async function writeCardKeysCsv(
  path: string,
  records: CardRecords,
  options: CardKeysCsvOptions,
): Promise<WrittenFile> {
  const header = cardKeysCsvHeader(options.appKeySlots);
  const slots = [...options.appKeySlots].sort((a, b) => a - b);
  if (new Set(slots).size !== slots.length || slots.some((s) => !Number.isInteger(s) || s < 1 || s > 15))
    throw new ObfError('VALIDATION', 'application key slots must be distinct numbers 1..15');
  const keyFor = (column: string) => options.columnKeys?.[column] ?? options.transportKey;
  let count = 0;
  const seen = new Set<string>();
  const written = await writeAtomically(path, async (write) => {
    await write(`${header.join(',')}\n`);
    for await (const r of records) {
      checkRecord(r, seen);
      const extra = Object.keys(r.appKeys)
        .map(Number)
        .filter((s) => !slots.includes(s));
      if (extra.length)
        throw new ObfError(
          'VALIDATION',
          `card ${r.iccid}: application key slot ${extra[0]} has no CSV column`,
        );
      const cells = [
        r.iccid,
        r.imsi,
        fs28EncryptField(keyFor('KI'), toHex(r.k), 'KI'),
        fs28EncryptField(keyFor('OPC'), toHex(r.opc), 'OPC'),
      ];
      for (const slot of slots) {
        const key = r.appKeys[slot];
        const column = appKeyColumn(slot);
        if (!key) throw new ObfError('VALIDATION', `card ${r.iccid}: no application key for ${column}`);
        cells.push(fs28EncryptField(keyFor(column), toHex(key), column));
      }
      await write(`${cells.join(',')}\n`);
      count++;
    }
  });
  return { path, ...written, records: count };
}
