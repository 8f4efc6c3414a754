/**
 * The keyring file beside the database: the random DB key, wrapped once per user under a key
 * derived from that user's passphrase (scrypt, parameters recorded here), plus the login
 * failure counters that must work while the database is still locked, and the DB key wrapped
 * under the recovery key that the M-of-N shares reconstruct. It never holds a key in clear; the
 * recovery shares are never stored at all.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-file.js';
import { z } from 'zod';
import { ObfError } from '../errors.js';
import { open, seal } from './seal.js';

export const scryptParams = z.object({
  N: z.number().int().min(1024),
  r: z.number().int().min(1),
  p: z.number().int().min(1),
});
export type ScryptParams = z.infer<typeof scryptParams>;

/** OWASP's scrypt floor for interactive logins: N = 2^17, r = 8, p = 1 (128 MiB, ~0.3 s here). */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

const b64 = z.string().regex(/^[A-Za-z0-9+/=]*$/);

export const keyringSchema = z.object({
  version: z.literal(1),
  stationId: z.string().min(1),
  kdf: z.object({ alg: z.literal('scrypt'), params: scryptParams }),
  users: z.array(
    z.object({
      username: z.string().min(1),
      salt: b64,
      wrappedDbKey: b64,
      failedAttempts: z.number().int().nonnegative(),
      lockedUntil: z.number().int().nullable(),
    }),
  ),
  /**
   * The shares split a random recovery key that wraps the DB key, so new shares (a new M or N)
   * make the old ones worthless. Stations set up before that split the DB key itself and keep
   * only `dbKeyCheck` until their first re-share.
   */
  recovery: z.object({
    threshold: z.number().int().min(2),
    shares: z.number().int().min(2),
    wrappedDbKey: b64.optional(),
    dbKeyCheck: z.string().optional(),
  }),
  /** Failed logins not yet written to the audit log (the DB is locked when they happen). */
  pendingAudit: z.array(z.object({ at: z.string(), username: z.string(), event: z.string() })),
});
export type Keyring = z.infer<typeof keyringSchema>;

export function deriveKek(passphrase: string, salt: Uint8Array, params: ScryptParams): Uint8Array {
  return new Uint8Array(
    scryptSync(passphrase.normalize('NFKC'), salt, 32, {
      ...params,
      maxmem: 256 * params.N * params.r + 64 * 1024 * 1024,
    }),
  );
}

const userAad = (stationId: string, username: string) => `obf-keyring:v1:${stationId}:user:${username}`;

export function wrapForUser(
  keyring: Pick<Keyring, 'stationId' | 'kdf'>,
  username: string,
  passphrase: string,
  dbKey: Uint8Array,
) {
  const salt = randomBytes(16);
  const kek = deriveKek(passphrase, salt, keyring.kdf.params);
  try {
    return {
      username,
      salt: salt.toString('base64'),
      wrappedDbKey: Buffer.from(seal(kek, dbKey, userAad(keyring.stationId, username))).toString('base64'),
      failedAttempts: 0,
      lockedUntil: null,
    };
  } finally {
    kek.fill(0);
  }
}

/** The DB key, if the passphrase is this user's; null otherwise. */
export function unwrapForUser(keyring: Keyring, username: string, passphrase: string): Uint8Array | null {
  const entry = keyring.users.find((u) => u.username === username);
  if (!entry) return null;
  const kek = deriveKek(passphrase, Buffer.from(entry.salt, 'base64'), keyring.kdf.params);
  try {
    return open(kek, Buffer.from(entry.wrappedDbKey, 'base64'), userAad(keyring.stationId, username));
  } catch {
    return null;
  } finally {
    kek.fill(0);
  }
}

const recoveryAad = (stationId: string) => `obf-keyring:v1:${stationId}:recovery`;

export function wrapForRecovery(stationId: string, recoveryKey: Uint8Array, dbKey: Uint8Array): string {
  return Buffer.from(seal(recoveryKey, dbKey, recoveryAad(stationId))).toString('base64');
}

/** The DB key, if `recoveryKey` is the one the current shares reconstruct; null otherwise. */
export function unwrapForRecovery(keyring: Keyring, recoveryKey: Uint8Array): Uint8Array | null {
  if (!keyring.recovery.wrappedDbKey) return null;
  try {
    return open(
      recoveryKey,
      Buffer.from(keyring.recovery.wrappedDbKey, 'base64'),
      recoveryAad(keyring.stationId),
    );
  } catch {
    return null;
  }
}

export function readKeyring(path: string): Keyring {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ObfError(
      'KMS_NOT_FOUND',
      `cannot read the keyring ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const parsed = keyringSchema.safeParse(raw);
  if (!parsed.success)
    throw new ObfError(
      'KMS_INTEGRITY',
      `the keyring ${path} is malformed: ${parsed.error.issues[0]?.message}`,
    );
  return parsed.data;
}

/** Written atomically: a crash leaves the old keyring or the new one, never half of one. */
export function writeKeyring(path: string, keyring: Keyring): void {
  writeFileAtomic(path, JSON.stringify(keyring, null, 2));
}
