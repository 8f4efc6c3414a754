/**
 * The server's own keys (DESIGN.md §6): an Ed25519 key that signs acks and registry answers, and
 * a P-256 key that stations encrypt secret fields to (ECDH-ES). Created on first start and kept
 * in the database with the private halves sealed (AES-256-GCM) under a master key that never
 * enters the database: OBF_SERVER_MASTER_KEY (64 hex digits) or `master.key` in the data folder.
 * Instances sharing one PostgreSQL database must share the master key.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import type { Kysely } from 'kysely';
import { publicJwk } from '../core/sync/protocol.js';
import type { Database } from './store/schema.js';

export const MASTER_KEY_FILE = 'master.key';
export const MASTER_KEY_ENV = 'OBF_SERVER_MASTER_KEY';

/** The 32-byte master key: from the environment, or the data folder's key file (made once, 0600). */
export function loadMasterKey(dataDir: string, given?: string | Uint8Array): Buffer {
  const fromHexText = (text: string, where: string): Buffer => {
    const t = text.trim();
    if (!/^[0-9a-fA-F]{64}$/.test(t)) throw new Error(`${where} must be 64 hex digits (32 bytes)`);
    return Buffer.from(t, 'hex');
  };
  if (given instanceof Uint8Array) {
    if (given.length !== 32) throw new Error(`the master key must be 32 bytes; got ${given.length}`);
    return Buffer.from(given);
  }
  if (typeof given === 'string') return fromHexText(given, 'the master key');
  const env = process.env[MASTER_KEY_ENV];
  if (env) return fromHexText(env, MASTER_KEY_ENV);
  const file = join(dataDir, MASTER_KEY_FILE);
  if (existsSync(file)) return fromHexText(readFileSync(file, 'utf8'), file);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // 'wx': two processes starting at once must not each write a different key.
  try {
    writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return fromHexText(readFileSync(file, 'utf8'), file);
    throw e;
  }
  chmodSync(file, 0o600);
  return key;
}

/**
 * AES-256-GCM: base64 of iv(12) ‖ tag(16) ‖ ciphertext, bound to `aad`. The IV is random
 * (NIST SP 800-38D §8.2.2); a caller sealing many values may pass IVs it drew in one call.
 */
export function seal(
  master: Buffer,
  plaintext: Uint8Array,
  aad: string,
  iv: Uint8Array = randomBytes(12),
): string {
  if (iv.length !== 12) throw new Error(`an AES-GCM IV is 12 bytes; got ${iv.length}`);
  const c = createCipheriv('aes-256-gcm', master, iv);
  c.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
}

export function unseal(master: Buffer, sealed: string, aad: string): Buffer {
  const raw = Buffer.from(sealed, 'base64');
  const d = createDecipheriv('aes-256-gcm', master, raw.subarray(0, 12));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([d.update(raw.subarray(28)), d.final()]);
}

export interface ServerKeys {
  serverId: string;
  signing: KeyObject;
  encryption: KeyObject;
  signingJwk: JWK;
  encryptionJwk: JWK;
  /** AES-256 key sealing record secrets at rest (recordsKeyOf); held in memory only. */
  records: Buffer;
}

export const RECORDS_KEY_INFO = 'obf-resource-server records v1';

/**
 * The key that seals record secrets at rest (device keys, custodians' personal data): derived
 * from the master key (HKDF-SHA256, RFC 5869) so it needs no row of its own and instances
 * sharing the master key share it; a separate `info` keeps it apart from the key-sealing use.
 */
export function recordsKeyOf(master: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), RECORDS_KEY_INFO, 32));
}

const aadOf = (use: string, kid: string) => `obf-server-key:${use}:${kid}`;

/** Loads the server's keys, creating them on first start (races between instances resolve to one). */
export async function loadServerKeys(db: Kysely<Database>, master: Buffer): Promise<ServerKeys> {
  for (const use of ['sig', 'enc'] as const) {
    const pair =
      use === 'sig' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = await publicJwk(pair.publicKey);
    const kid = `srv-${use}-${createHash('sha256').update(JSON.stringify(jwk)).digest('hex').slice(0, 16)}`;
    const der = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
    const sealed = seal(master, der, aadOf(use, kid));
    der.fill(0);
    await db
      .insertInto('server_keys')
      .values({
        use,
        kid,
        public_jwk: JSON.stringify({ ...jwk, kid }),
        private_sealed: sealed,
        created_at: new Date().toISOString(),
      })
      .onConflict((oc) => oc.column('use').doNothing())
      .execute();
  }
  const rows = await db.selectFrom('server_keys').selectAll().execute();
  const open = (use: 'sig' | 'enc') => {
    const row = rows.find((r) => r.use === use);
    if (!row) throw new Error(`the server's ${use} key is missing from the database`);
    let der: Buffer;
    try {
      der = unseal(master, row.private_sealed, aadOf(use, row.kid));
    } catch {
      throw new Error(
        `the master key does not open the server's keys in this database (another instance's ${MASTER_KEY_ENV}?)`,
      );
    }
    try {
      return {
        key: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
        jwk: JSON.parse(row.public_jwk) as JWK,
      };
    } finally {
      der.fill(0);
    }
  };
  const sig = open('sig');
  const enc = open('enc');
  const { kid: _kid, ...signingJwk } = sig.jwk;
  return {
    // The server id is derived from its signing key: stable across restarts and instances.
    serverId: `obf-rs-${sig.jwk.kid!.slice(8)}`,
    signing: sig.key,
    encryption: enc.key,
    signingJwk,
    encryptionJwk: enc.jwk,
    records: recordsKeyOf(master),
  };
}
