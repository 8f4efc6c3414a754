/**
 * The station's local KMS (DESIGN.md §5): an encrypted SQLite file whose random DB key is
 * wrapped per user (scrypt) and split M-of-N for recovery; a local master key (LMK) inside it,
 * held in memory only while unlocked; every secret AES-256-GCM-sealed under the LMK with its
 * row id, type and usage as AAD; roles, lockout, idle auto-lock, dual control, and the audit
 * chain for every security event.
 */
import {
  createHash,
  createHmac,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { existsSync } from 'node:fs';
import { combine, split } from 'shamir-secret-sharing';
import { toHex, fromHex } from '../bytes.js';
import { signTranscript, type SignedTranscript, type Transcript } from '../ceremony/index.js';
import { aesKeyWrap, kcvAes, kcvDes3 } from '../crypto/index.js';
import { ObfError } from '../errors.js';
import {
  appendAudit,
  auditHead,
  auditRows,
  verifyAudit,
  type AuditEvent,
  type AuditVerdict,
} from './audit.js';
import { buildAuditExport, type AuditExport } from './audit-export.js';
import { openDatabase, prepared, type Db, type Statement } from './database.js';
import {
  DEFAULT_SCRYPT,
  readKeyring,
  unwrapForRecovery,
  unwrapForUser,
  wrapForRecovery,
  wrapForUser,
  writeKeyring,
  type Keyring,
  type ScryptParams,
} from './keyring.js';
import { migrate } from './migrations/index.js';
import { open, seal } from './seal.js';
import { SecretKey } from './secret-key.js';

import {
  keyTypes,
  keyUsages,
  MIN_PASSPHRASE,
  roles,
  USERNAME_PATTERN,
  type KeyType,
  type KeyUsage,
  type Role,
} from './vocabulary.js';

export { keyTypes, keyUsages, roles, type KeyType, type KeyUsage, type Role };

const SYMMETRIC_LENGTH: Partial<Record<KeyType, number[]>> = {
  'AES-128': [16],
  'AES-192': [24],
  'AES-256': [32],
  '3DES': [16, 24],
};

export interface KeyRecord {
  id: string;
  label: string;
  type: KeyType;
  usage: KeyUsage;
  kcv: string;
  state: 'active' | 'retired' | 'destroyed';
  origin: 'generated' | 'components' | 'derived' | 'imported';
  createdAt: string;
  createdBy: string;
}

/** Someone who proved their passphrase to this station, now. Only the KMS mints these. */
export interface Principal {
  readonly username: string;
  readonly role: Role;
  readonly authenticatedAt: number;
  /** M recovery custodians acting together: they may restore access (users, passphrases, shares), nothing else. */
  readonly viaRecovery?: true;
}

export interface UserRecord {
  username: string;
  role: Role;
  state: 'active' | 'disabled';
  createdAt: string;
  createdBy: string;
}

/** A key leaving the station: wrapped under a transport key (RFC 3394), named by KCVs only. */
export interface KeyExport {
  label: string;
  type: KeyType;
  usage: KeyUsage;
  kcv: string;
  transportLabel: string;
  transportKcv: string;
  algorithm: 'AES-KW (RFC 3394)';
  /** The wrapped key, hex. */
  wrapped: string;
}

/** What `Kms.records()` lends a domain store: the database, sealing under the LMK, the audit chain. */
export interface StationRecords {
  readonly db: Db;
  /** A statement prepared once for this connection. */
  prepare(sql: string): Statement;
  seal(plaintext: Uint8Array, aad: string): Buffer;
  /** Throws when the sealed bytes were not made for this AAD (moved, edited). */
  open(sealed: Uint8Array, aad: string): Uint8Array;
  audit(actor: string, event: AuditEvent): void;
  /** Activity: postpones the idle auto-lock (a batch in progress is activity). */
  touch(): void;
}

/** Names the station itself uses in the audit log; nobody may be enrolled under them. */
const RESERVED_NAMES = new Set(['setup', 'system', 'recovery', 'station', 'user']);

export interface KmsOptions {
  now?: () => Date;
  /** Idle time before the station locks itself and drops its keys (default 5 minutes). */
  idleMs?: number;
  /** Failed logins before a lockout, and how long it lasts. */
  maxFailures?: number;
  lockoutMs?: number;
  /** How long a second person's authentication counts for one dual-control operation. */
  approvalWindowMs?: number;
}

export interface SetupUser {
  username: string;
  role: Role;
  passphrase: string;
}

export interface InitOptions extends KmsOptions {
  users: SetupUser[];
  recovery: { threshold: number; shares: number };
  scrypt?: ScryptParams;
  stationId?: string;
}

export interface RecoveryShare {
  index: number;
  /** The share, hex; shown once to its custodian and never stored. */
  share: string;
  /** First 4 bytes of SHA-256 over the share: lets a custodian check what they typed. */
  checksum: string;
}

export function keyringPath(dbPath: string): string {
  return `${dbPath}.keyring.json`;
}

function shareChecksum(share: Uint8Array): string {
  return createHash('sha256').update(share).digest('hex').slice(0, 8);
}

function dbKeyCheck(dbKey: Uint8Array): string {
  return createHmac('sha256', dbKey).update('obf-station db key check v1').digest('hex').slice(0, 32);
}

export const STATION_SIGNING_LABEL = 'station-signing';

export class Kms {
  private db: Db | null = null;
  private lmk: Uint8Array | null = null;
  private dbKey: Uint8Array | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly principals = new WeakSet<Principal>();
  private readonly now: () => Date;
  private readonly idleMs: number;
  private readonly maxFailures: number;
  private readonly lockoutMs: number;
  private readonly approvalWindowMs: number;
  /** Called after an idle auto-lock (the UI shows the lock screen). */
  onAutoLock: (() => void) | null = null;

  private constructor(
    readonly dbPath: string,
    options: KmsOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.idleMs = options.idleMs ?? 5 * 60_000;
    this.maxFailures = options.maxFailures ?? 5;
    this.lockoutMs = options.lockoutMs ?? 5 * 60_000;
    this.approvalWindowMs = options.approvalWindowMs ?? 5 * 60_000;
  }

  get keyringPath(): string {
    return keyringPath(this.dbPath);
  }

  get unlocked(): boolean {
    return this.db !== null;
  }

  /** Station initialisation: users, DB key, LMK, and the M-of-N recovery shares (returned once). */
  static async initialize(
    dbPath: string,
    options: InitOptions,
  ): Promise<{ kms: Kms; shares: RecoveryShare[]; transcript: SignedTranscript }> {
    const { users, recovery } = options;
    if (existsSync(dbPath) || existsSync(keyringPath(dbPath)))
      throw new ObfError('KMS_EXISTS', `a station database already exists at ${dbPath}`);
    const names = new Set<string>();
    for (const u of users) {
      checkNewUser(u);
      if (names.has(u.username)) throw new ObfError('VALIDATION', `user "${u.username}" appears twice`);
      names.add(u.username);
    }
    if (users.filter((u) => u.role === 'security_officer').length < 2) {
      throw new ObfError('VALIDATION', 'dual control needs at least two security officers');
    }
    checkRecovery(recovery);
    const { threshold, shares } = recovery;
    const kms = new Kms(dbPath, options);
    const dbKey = new Uint8Array(randomBytes(32));
    const lmk = new Uint8Array(randomBytes(32));
    const recoveryKey = new Uint8Array(randomBytes(32));
    const stationId = options.stationId ?? randomUUID();
    const kdf = { alg: 'scrypt' as const, params: options.scrypt ?? DEFAULT_SCRYPT };
    const keyring: Keyring = {
      version: 1,
      stationId,
      kdf,
      users: users.map((u) => wrapForUser({ stationId, kdf }, u.username, u.passphrase, dbKey)),
      recovery: { threshold, shares, wrappedDbKey: wrapForRecovery(stationId, recoveryKey, dbKey) },
      pendingAudit: [],
    };
    const db = openDatabase(dbPath, dbKey, { create: true });
    migrate(db);
    const at = kms.now().toISOString();
    db.transaction(() => {
      db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)').run('station_id', stationId);
      db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)').run(
        'lmk',
        Buffer.from(seal(dbKey, lmk, `lmk:${stationId}`)),
      );
      for (const u of users) {
        db.prepare('INSERT INTO users (username, role, created_at, created_by) VALUES (?, ?, ?, ?)').run(
          u.username,
          u.role,
          at,
          'setup',
        );
      }
      appendAudit(db, 'setup', { type: 'genesis', stationId }, kms.now());
      appendAudit(
        db,
        'setup',
        {
          type: 'station-initialised',
          users: users.map((u) => ({ username: u.username, role: u.role })),
          threshold,
          shares,
        },
        kms.now(),
      );
    })();
    writeKeyring(keyringPath(dbPath), keyring);
    const parts = await split(recoveryKey, shares, threshold);
    recoveryKey.fill(0);
    kms.db = db;
    kms.dbKey = dbKey;
    kms.lmk = lmk;
    // The station's own signing key: transcripts now, sync batches once enrolled.
    const signing = generateMaterial('Ed25519');
    const signingRecord = kms.insertKey(
      { label: STATION_SIGNING_LABEL, type: 'Ed25519', usage: 'station-signing' },
      signing,
      'generated',
      'setup',
      'setup',
    );
    signing.fill(0);
    const shareList = toShareList(parts);
    const transcript = kms.signCeremony({
      version: 1,
      ceremony: 'station-initialisation',
      stationId,
      startedAt: at,
      endedAt: kms.now().toISOString(),
      participants: users.map((u) => ({ username: u.username, role: u.role, part: 'enrolled' })),
      steps: [
        { at, actor: 'setup', what: `database, LMK and DB key generated; ${users.length} users enrolled` },
        {
          at: kms.now().toISOString(),
          actor: 'setup',
          what: `recovery secret split into ${shares} shares; any ${threshold} recover`,
        },
      ],
      kcvs: { [STATION_SIGNING_LABEL]: signingRecord.kcv },
      shares: { threshold, total: shares },
      hashes: Object.fromEntries(shareList.map((sh) => [`share ${sh.index} checksum`, sh.checksum])),
    });
    kms.touch();
    return { kms, shares: shareList, transcript };
  }

  static open(dbPath: string, options: KmsOptions = {}): Kms {
    if (!existsSync(dbPath)) throw new ObfError('KMS_NOT_FOUND', `no station database at ${dbPath}`);
    readKeyring(keyringPath(dbPath));
    return new Kms(dbPath, options);
  }

  /** Logs a user in with their passphrase; unlocks the station if it was locked. */
  unlock(username: string, passphrase: string): Principal {
    return this.login(username, passphrase, 'unlock');
  }

  /** A second person proving themselves inside an operation (dual control); the station stays as it is. */
  authenticate(username: string, passphrase: string): Principal {
    if (!this.unlocked) throw new ObfError('KMS_LOCKED', 'the station is locked: unlock it first');
    return this.login(username, passphrase, 'authenticate');
  }

  private login(username: string, passphrase: string, purpose: 'unlock' | 'authenticate'): Principal {
    const keyring = readKeyring(this.keyringPath);
    const entry = keyring.users.find((u) => u.username === username);
    const nowMs = this.now().getTime();
    if (entry?.lockedUntil && entry.lockedUntil > nowMs) {
      throw new ObfError(
        'KMS_LOCKED_OUT',
        `user "${username}" is locked out until ${new Date(entry.lockedUntil).toISOString()} after repeated failures`,
      );
    }
    const dbKey = unwrapForUser(keyring, username, passphrase);
    if (!dbKey || (this.dbKey && !timingSafeEqual(dbKey, this.dbKey))) {
      dbKey?.fill(0);
      const at = this.now().toISOString();
      if (entry) {
        entry.failedAttempts += 1;
        keyring.pendingAudit.push({ at, username, event: 'login-failed' });
        if (entry.failedAttempts >= this.maxFailures) {
          entry.lockedUntil = nowMs + this.lockoutMs;
          entry.failedAttempts = 0;
          keyring.pendingAudit.push({ at, username, event: 'lockout' });
        }
      } else {
        keyring.pendingAudit.push({
          at,
          username: username.slice(0, 64),
          event: 'login-failed-unknown-user',
        });
      }
      writeKeyring(this.keyringPath, keyring);
      if (this.db) this.flushPendingAudit();
      throw new ObfError('KMS_AUTH_FAILED', `wrong user name or passphrase for "${username}"`);
    }
    if (!this.db) {
      this.db = openDatabase(this.dbPath, dbKey, { create: false });
      migrate(this.db);
      this.dbKey = dbKey;
      const stationId = this.meta('station_id').toString();
      this.lmk = open(dbKey, this.meta('lmk'), `lmk:${stationId}`);
    } else {
      dbKey.fill(0);
    }
    const user = this.db.prepare('SELECT role, state FROM users WHERE username = ?').get(username) as
      { role: Role; state: string } | undefined;
    if (!user || user.state !== 'active') {
      if (purpose === 'unlock') this.lock('system');
      throw new ObfError('KMS_AUTH_FAILED', `user "${username}" is not an active user of this station`);
    }
    if (entry && (entry.failedAttempts > 0 || entry.lockedUntil)) {
      entry.failedAttempts = 0;
      entry.lockedUntil = null;
      writeKeyring(this.keyringPath, keyring);
    }
    this.flushPendingAudit();
    this.audit(username, { type: purpose === 'unlock' ? 'login' : 'authenticate' });
    const principal: Principal = Object.freeze({
      username,
      role: user.role,
      authenticatedAt: this.now().getTime(),
    });
    this.principals.add(principal);
    this.touch();
    return principal;
  }

  /**
   * Unlocks with M recovery shares (Shamir); fewer, or wrong ones, do not reconstruct the key.
   * Answers a principal that stands for the custodians together: it may restore access (reset a
   * passphrase, enrol or change users, re-share), never touch keys.
   */
  async recover(shares: string[]): Promise<Principal> {
    const keyring = readKeyring(this.keyringPath);
    if (shares.length < keyring.recovery.threshold) {
      throw new ObfError(
        'KMS_AUTH_FAILED',
        `recovery needs ${keyring.recovery.threshold} shares, got ${shares.length}`,
      );
    }
    let secret: Uint8Array;
    try {
      secret = await combine(shares.map((s) => fromHex(s.trim().toLowerCase())));
    } catch {
      throw new ObfError('KMS_AUTH_FAILED', 'the recovery shares do not combine');
    }
    let dbKey = unwrapForRecovery(keyring, secret);
    if (!dbKey && keyring.recovery.dbKeyCheck && secret.length === 32) {
      // A station set up before the recovery key existed: its shares are the DB key itself.
      if (dbKeyCheck(secret) === keyring.recovery.dbKeyCheck) dbKey = secret.slice();
    }
    secret.fill(0);
    if (!dbKey)
      throw new ObfError('KMS_AUTH_FAILED', 'the recovery shares do not reconstruct this station’s key');
    if (!this.db) {
      this.db = openDatabase(this.dbPath, dbKey, { create: false });
      migrate(this.db);
      this.dbKey = dbKey;
      this.lmk = open(dbKey, this.meta('lmk'), `lmk:${this.meta('station_id').toString()}`);
    } else {
      dbKey.fill(0);
    }
    this.flushPendingAudit();
    this.audit('recovery', { type: 'recovery-unlock', shares: shares.length });
    const principal: Principal = Object.freeze({
      username: 'recovery',
      role: 'security_officer',
      authenticatedAt: this.now().getTime(),
      viaRecovery: true,
    });
    this.principals.add(principal);
    this.touch();
    return principal;
  }

  listUsers(): UserRecord[] {
    const rows = this.requireDb()
      .prepare('SELECT username, role, state, created_at, created_by FROM users ORDER BY username')
      .all() as Record<string, string>[];
    return rows.map((r) => ({
      username: r.username!,
      role: r.role as Role,
      state: r.state as UserRecord['state'],
      createdAt: r.created_at!,
      createdBy: r.created_by!,
    }));
  }

  /** Enrols a user (dual control, or a recovery unlock); the new user chose `passphrase` themselves. */
  addUser(user: SetupUser, approvals: Principal[]): UserRecord {
    const actor = this.requireAccessControl(approvals, 'enrolling a user');
    checkNewUser(user);
    const db = this.requireDb();
    if (db.prepare('SELECT 1 FROM users WHERE username = ?').get(user.username))
      throw new ObfError('VALIDATION', `user "${user.username}" exists (a disabled name is not reused)`);
    const keyring = readKeyring(this.keyringPath);
    const record: UserRecord = {
      username: user.username,
      role: user.role,
      state: 'active',
      createdAt: this.now().toISOString(),
      createdBy: actor,
    };
    db.transaction(() => {
      db.prepare('INSERT INTO users (username, role, created_at, created_by) VALUES (?, ?, ?, ?)').run(
        user.username,
        user.role,
        record.createdAt,
        actor,
      );
      this.audit(actor, { type: 'user-added', username: user.username, role: user.role });
    })();
    keyring.users = keyring.users.filter((u) => u.username !== user.username);
    keyring.users.push(wrapForUser(keyring, user.username, user.passphrase, this.dbKey!));
    writeKeyring(this.keyringPath, keyring);
    return record;
  }

  /** Changes a user's role (dual control, or a recovery unlock); two active officers always remain. */
  setRole(username: string, role: Role, approvals: Principal[]): UserRecord {
    const actor = this.requireAccessControl(approvals, 'a role change');
    if (!roles.includes(role)) throw new ObfError('VALIDATION', `unknown role "${role}"`);
    const before = this.requireUser(username);
    if (before.role === role) return before;
    const db = this.requireDb();
    db.transaction(() => {
      db.prepare('UPDATE users SET role = ? WHERE username = ?').run(role, username);
      this.requireTwoOfficers(`${username} cannot stop being a security officer`);
      this.audit(actor, { type: 'user-role-changed', username, from: before.role, to: role });
    })();
    return { ...before, role };
  }

  /** Disables a user for good: their wrapped key leaves the keyring; two active officers remain. */
  disableUser(username: string, approvals: Principal[]): UserRecord {
    const actor = this.requireAccessControl(approvals, 'disabling a user');
    const before = this.requireUser(username);
    if (before.state === 'disabled') return before;
    const db = this.requireDb();
    db.transaction(() => {
      db.prepare("UPDATE users SET state = 'disabled' WHERE username = ?").run(username);
      this.requireTwoOfficers(`${username} cannot be disabled`);
      this.audit(actor, { type: 'user-disabled', username });
    })();
    const keyring = readKeyring(this.keyringPath);
    keyring.users = keyring.users.filter((u) => u.username !== username);
    writeKeyring(this.keyringPath, keyring);
    return { ...before, state: 'disabled' };
  }

  /** A forgotten passphrase (dual control, or a recovery unlock): the user types a new one; the lockout clears. */
  resetPassphrase(username: string, passphrase: string, approvals: Principal[]): void {
    const actor = this.requireAccessControl(approvals, 'a passphrase reset');
    const user = this.requireUser(username);
    if (user.state !== 'active') throw new ObfError('VALIDATION', `user "${username}" is disabled`);
    checkPassphrase(username, passphrase);
    this.rewrap(username, passphrase);
    this.audit(actor, { type: 'passphrase-reset', username });
  }

  /** A user changes their own passphrase, proving the current one first. */
  changePassphrase(principal: Principal, current: string, next: string): void {
    this.requirePrincipal(principal);
    if (principal.viaRecovery) throw new ObfError('VALIDATION', 'a recovery unlock has no passphrase');
    checkPassphrase(principal.username, next);
    const check = unwrapForUser(readKeyring(this.keyringPath), principal.username, current);
    if (!check)
      throw new ObfError('KMS_AUTH_FAILED', `the current passphrase of "${principal.username}" is wrong`);
    check.fill(0);
    this.rewrap(principal.username, next);
    this.audit(principal.username, { type: 'passphrase-changed', username: principal.username });
  }

  /**
   * New recovery shares for a new M-of-N (dual control, or a recovery unlock): a fresh recovery
   * key wraps the DB key, so every earlier share stops working. The shares come back once.
   */
  async changeRecovery(
    recovery: { threshold: number; shares: number },
    approvals: Principal[],
  ): Promise<{ shares: RecoveryShare[]; transcript: SignedTranscript }> {
    const actor = this.requireAccessControl(approvals, 'changing the recovery shares');
    checkRecovery(recovery);
    const startedAt = this.now().toISOString();
    const keyring = readKeyring(this.keyringPath);
    const recoveryKey = new Uint8Array(randomBytes(32));
    let parts: Uint8Array[];
    try {
      parts = await split(recoveryKey, recovery.shares, recovery.threshold);
      keyring.recovery = {
        threshold: recovery.threshold,
        shares: recovery.shares,
        wrappedDbKey: wrapForRecovery(keyring.stationId, recoveryKey, this.requireDbKey()),
      };
    } finally {
      recoveryKey.fill(0);
    }
    writeKeyring(this.keyringPath, keyring);
    this.audit(actor, { type: 'recovery-reshared', threshold: recovery.threshold, shares: recovery.shares });
    const shareList = toShareList(parts);
    const transcript = this.signCeremony({
      version: 1,
      ceremony: 'recovery-reshare',
      stationId: keyring.stationId,
      startedAt,
      endedAt: this.now().toISOString(),
      participants: approvals.map((p) => ({ username: p.username, role: p.role, part: 'approved' })),
      steps: [
        {
          at: this.now().toISOString(),
          actor,
          what: `new recovery key split into ${recovery.shares} shares; any ${recovery.threshold} recover; earlier shares no longer work`,
        },
      ],
      kcvs: {},
      shares: { threshold: recovery.threshold, total: recovery.shares },
      hashes: Object.fromEntries(shareList.map((sh) => [`share ${sh.index} checksum`, sh.checksum])),
    });
    return { shares: shareList, transcript };
  }

  /** Drops every key from memory and closes the database. */
  lock(actor = 'user', reason: 'lock' | 'auto-lock' = 'lock'): void {
    if (!this.db) return;
    try {
      this.audit(actor, { type: reason });
    } finally {
      this.lmk?.fill(0);
      this.dbKey?.fill(0);
      this.lmk = null;
      this.dbKey = null;
      this.db.close();
      this.db = null;
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
  }

  /** Any user activity: postpones the idle auto-lock. */
  touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.lock('system', 'auto-lock');
      this.onAutoLock?.();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  stationId(): string {
    return this.meta('station_id').toString();
  }

  listKeys(): KeyRecord[] {
    const db = this.requireDb();
    const rows = db
      .prepare(
        'SELECT id, label, type, usage, kcv, state, origin, created_at, created_by FROM keys ORDER BY created_at, label',
      )
      .all() as Record<string, string>[];
    return rows.map((r) => ({
      id: r.id!,
      label: r.label!,
      type: r.type as KeyType,
      usage: r.usage as KeyUsage,
      kcv: r.kcv!,
      state: r.state as KeyRecord['state'],
      origin: r.origin as KeyRecord['origin'],
      createdAt: r.created_at!,
      createdBy: r.created_by!,
    }));
  }

  /** Generates a key inside the station under dual control; only its KCV ever leaves. */
  generateKey(spec: { label: string; type: KeyType; usage: KeyUsage }, approvals: Principal[]): KeyRecord {
    const [first] = this.requireDualControl(approvals, 'key generation');
    const material = generateMaterial(spec.type);
    try {
      return this.insertKey(
        spec,
        material,
        'generated',
        approvals.map((p) => p.username).join('+'),
        first!.username,
      );
    } finally {
      material.fill(0);
    }
  }

  /**
   * Key import by components (split knowledge, dual control): 2 or 3 components, each from a
   * different authenticated security officer and checked against its own KCV, combined by XOR;
   * the combined key's KCV must equal `expectedKcv`. Components are zeroed, never stored.
   */
  importFromComponents(
    spec: { label: string; type: KeyType; usage: KeyUsage; expectedKcv: string },
    components: { custodian: Principal; component: Uint8Array; kcv: string }[],
  ): KeyRecord {
    try {
      if (components.length < 2 || components.length > 3)
        throw new ObfError('VALIDATION', 'a key is imported from 2 or 3 components');
      this.requireDualControl(
        components.map((c) => c.custodian),
        'key import',
        components.length,
      );
      const lengths = SYMMETRIC_LENGTH[spec.type];
      if (!lengths) throw new ObfError('VALIDATION', `${spec.type} keys are not imported by components`);
      for (const [i, c] of components.entries()) {
        if (!lengths.includes(c.component.length)) {
          throw new ObfError(
            'VALIDATION',
            `component ${i + 1}: ${spec.type} needs ${lengths.join(' or ')} bytes, got ${c.component.length}`,
          );
        }
        const kcv = kcvOf(spec.type, c.component);
        if (kcv !== c.kcv.toLowerCase())
          throw new ObfError(
            'KCV_MISMATCH',
            `component ${i + 1} (${c.custodian.username}): KCV is ${kcv}, not ${c.kcv}`,
          );
      }
      const key = components.reduce(
        (acc, c) => acc.map((b, j) => b ^ c.component[j]!),
        new Uint8Array(components[0]!.component.length),
      );
      try {
        const kcv = kcvOf(spec.type, key);
        if (kcv !== spec.expectedKcv.toLowerCase())
          throw new ObfError(
            'KCV_MISMATCH',
            `the combined key's KCV is ${kcv}, not the expected ${spec.expectedKcv}`,
          );
        const actor = components.map((c) => c.custodian.username).join('+');
        return this.insertKey(
          { label: spec.label, type: spec.type, usage: spec.usage },
          key,
          'components',
          actor,
          actor,
          {
            components: components.length,
            componentKcvs: components.map((c) => c.kcv.toLowerCase()),
          },
        );
      } finally {
        key.fill(0);
      }
    } finally {
      for (const c of components) c.component.fill(0);
    }
  }

  /** Stores a key made elsewhere in the station (per-card K/OPc, derived keys): audited, no dual control. */
  storeKey(
    spec: { label: string; type: KeyType; usage: KeyUsage; origin: 'generated' | 'derived' },
    material: Uint8Array,
    actor: Principal,
  ): KeyRecord {
    this.requirePrincipal(actor);
    return this.insertKey(spec, material, spec.origin, actor.username, actor.username);
  }

  /** The key itself, for the operation that needs it; the caller zeroes it after use. */
  getKey(label: string): SecretKey {
    const db = this.requireDb();
    const row = db
      .prepare('SELECT id, type, usage, kcv, state, secret FROM keys WHERE label = ?')
      .get(label) as
      | { id: string; type: KeyType; usage: KeyUsage; kcv: string; state: string; secret: Buffer | null }
      | undefined;
    if (!row) throw new ObfError('KEY_NOT_FOUND', `no key labelled "${label}"`);
    if (row.state !== 'active' || !row.secret)
      throw new ObfError('KEY_NOT_FOUND', `key "${label}" is ${row.state}`);
    this.touch();
    return new SecretKey(open(this.lmk!, row.secret, secretAad(row.id, row.type, row.usage)), row.kcv);
  }

  /**
   * The station's Ed25519 signing key as a KeyObject, for the sync engine's batch signatures.
   * Unlike getKey it is not activity: background sync must not keep an unattended station
   * from locking itself. The PKCS#8 bytes are zeroed once the KeyObject holds the key.
   */
  stationSigningKey(): KeyObject {
    const db = this.requireDb();
    const row = db
      .prepare("SELECT id, type, usage, secret FROM keys WHERE label = ? AND state = 'active'")
      .get(STATION_SIGNING_LABEL) as
      { id: string; type: KeyType; usage: KeyUsage; secret: Buffer | null } | undefined;
    if (!row?.secret)
      throw new ObfError('KEY_NOT_FOUND', `no active key labelled "${STATION_SIGNING_LABEL}"`);
    const der = open(this.lmk!, row.secret, secretAad(row.id, row.type, row.usage));
    try {
      return createPrivateKey({
        key: Buffer.from(der.buffer, der.byteOffset, der.byteLength),
        format: 'der',
        type: 'pkcs8',
      });
    } finally {
      der.fill(0);
    }
  }

  /** Destroys a key under dual control: the sealed bytes are overwritten, the record stays. */
  destroyKey(label: string, approvals: Principal[]): void {
    this.requireDualControl(approvals, 'key destruction');
    const db = this.requireDb();
    const row = db.prepare('SELECT id, kcv, state, secret FROM keys WHERE label = ?').get(label) as
      { id: string; kcv: string; state: string; secret: Buffer | null } | undefined;
    if (!row || row.state === 'destroyed')
      throw new ObfError('KEY_NOT_FOUND', `no live key labelled "${label}"`);
    db.transaction(() => {
      if (row.secret)
        db.prepare('UPDATE keys SET secret = ? WHERE id = ?').run(Buffer.alloc(row.secret.length), row.id);
      db.prepare("UPDATE keys SET secret = NULL, state = 'destroyed' WHERE id = ?").run(row.id);
      this.audit(approvals.map((p) => p.username).join('+'), {
        type: 'key-destroyed',
        label,
        keyId: row.id,
        kcv: row.kcv,
      });
    })();
  }

  /**
   * Key export under dual control: the key leaves only wrapped (RFC 3394) under an active AES
   * output-transport key, named by its KCV and the transport key's KCV.
   */
  exportKey(label: string, transportLabel: string, approvals: Principal[]): KeyExport {
    const approvers = this.requireDualControl(approvals, 'key export');
    if (label === transportLabel) throw new ObfError('VALIDATION', 'a key is not exported under itself');
    const record = this.listKeys().find((k) => k.label === label && k.state === 'active');
    const transportRecord = this.listKeys().find((k) => k.label === transportLabel && k.state === 'active');
    if (!record) throw new ObfError('KEY_NOT_FOUND', `no active key labelled "${label}"`);
    if (!transportRecord) throw new ObfError('KEY_NOT_FOUND', `no active key labelled "${transportLabel}"`);
    if (!SYMMETRIC_LENGTH[record.type] || record.usage === 'station-signing')
      throw new ObfError('VALIDATION', `${record.type} key "${label}" cannot be exported`);
    if (transportRecord.usage !== 'output-transport' || !transportRecord.type.startsWith('AES-'))
      throw new ObfError(
        'VALIDATION',
        `"${transportLabel}" is a ${transportRecord.type} ${transportRecord.usage} key: exports go under an AES output-transport key`,
      );
    const key = this.getKey(label);
    const transport = this.getKey(transportLabel);
    try {
      const wrapped = toHex(aesKeyWrap(transport.expose(), key.expose()));
      this.audit(approvers.map((p) => p.username).join('+'), {
        type: 'key-exported',
        label,
        keyId: record.id,
        kcv: record.kcv,
        transportLabel,
        transportKcv: transportRecord.kcv,
        algorithm: 'AES-KW',
      });
      return {
        label,
        type: record.type,
        usage: record.usage,
        kcv: record.kcv,
        transportLabel,
        transportKcv: transportRecord.kcv,
        algorithm: 'AES-KW (RFC 3394)',
        wrapped,
      };
    } finally {
      key.zero();
      transport.zero();
    }
  }

  /** The whole chain, signed by the station, for an auditor (dual control); the export is audited. */
  exportAudit(approvals: Principal[]): AuditExport {
    const approvers = this.requireDualControl(approvals, 'audit export');
    const key = this.getKey(STATION_SIGNING_LABEL);
    try {
      const exported = buildAuditExport(
        {
          stationId: this.stationId(),
          exportedAt: this.now().toISOString(),
          approvedBy: approvers.map((p) => p.username),
          rows: auditRows(this.requireDb()),
        },
        key.expose(),
      );
      this.audit(approvers.map((p) => p.username).join('+'), {
        type: 'audit-exported',
        rows: exported.record.rows.length,
        sha256: exported.sha256,
      });
      return exported;
    } finally {
      key.zero();
    }
  }

  /** Signs a ceremony's transcript with the station key and writes its hash to the audit chain. */
  signCeremony(transcript: Transcript): SignedTranscript {
    const key = this.getKey(STATION_SIGNING_LABEL);
    try {
      const signed = signTranscript(transcript, key.expose());
      this.audit('system', {
        type: 'ceremony-transcript',
        ceremony: transcript.ceremony,
        sha256: signed.sha256,
      });
      return signed;
    } finally {
      key.zero();
    }
  }

  verifyAudit(): AuditVerdict {
    return verifyAudit(this.requireDb());
  }

  auditHead(): { seq: number; hash: string } | null {
    return auditHead(this.requireDb());
  }

  /** Writes one security event to the chain (no secrets: events carry labels, ids and KCVs). */
  audit(actor: string, event: AuditEvent): void {
    appendAudit(this.requireDb(), actor, event, this.now());
  }

  /**
   * Station records kept beside the keys (personalisation, KYC): their own tables in this
   * database, their secrets sealed under the LMK with the caller's AAD naming the row, and
   * their events in the same audit chain — all in the caller's transactions.
   */
  records(): StationRecords {
    this.requireDb();
    // Each use asks for the database again: once the station locks, a store that outlived the
    // session gets KMS_LOCKED, never a closed connection.
    const requireDb = () => this.requireDb();
    return {
      get db() {
        return requireDb();
      },
      prepare: (sql) => prepared(requireDb(), sql),
      seal: (plaintext, aad) => Buffer.from(seal(this.requireLmk(), plaintext, `record:${aad}`)),
      open: (sealed, aad) => open(this.requireLmk(), sealed, `record:${aad}`),
      audit: (actor, event) => this.audit(actor, event),
      touch: () => this.touch(),
    };
  }

  /** For tests and tools that inspect the schema; never for secrets. */
  database(): Db {
    return this.requireDb();
  }

  private insertKey(
    spec: { label: string; type: KeyType; usage: KeyUsage },
    material: Uint8Array,
    origin: KeyRecord['origin'],
    createdBy: string,
    actor: string,
    extra: Record<string, unknown> = {},
  ): KeyRecord {
    const db = this.requireDb();
    if (!keyTypes.includes(spec.type)) throw new ObfError('VALIDATION', `unknown key type "${spec.type}"`);
    if (!keyUsages.includes(spec.usage))
      throw new ObfError('VALIDATION', `unknown key usage "${spec.usage}"`);
    if (!/^[\w.:@/-]{1,128}$/.test(spec.label))
      throw new ObfError('VALIDATION', `key label "${spec.label}": 1-128 of letters, digits and . : @ / _ -`);
    const lengths = SYMMETRIC_LENGTH[spec.type];
    if (lengths && !lengths.includes(material.length))
      throw new ObfError('VALIDATION', `${spec.type} keys are ${lengths.join(' or ')} bytes`);
    const id = randomUUID();
    const kcv = kcvOf(spec.type, material);
    const record: KeyRecord = {
      id,
      ...spec,
      kcv,
      state: 'active',
      origin,
      createdAt: this.now().toISOString(),
      createdBy,
    };
    db.transaction(() => {
      if (db.prepare('SELECT 1 FROM keys WHERE label = ?').get(spec.label))
        throw new ObfError('KEY_EXISTS', `a key labelled "${spec.label}" exists`);
      db.prepare(
        'INSERT INTO keys (id, label, type, usage, kcv, state, origin, created_at, created_by, secret) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        id,
        spec.label,
        spec.type,
        spec.usage,
        kcv,
        'active',
        origin,
        record.createdAt,
        createdBy,
        Buffer.from(seal(this.lmk!, material, secretAad(id, spec.type, spec.usage))),
      );
      this.audit(actor, {
        type: origin === 'components' ? 'key-imported' : 'key-created',
        label: spec.label,
        keyId: id,
        keyType: spec.type,
        usage: spec.usage,
        kcv,
        origin,
        ...extra,
      });
    })();
    this.touch();
    return record;
  }

  private requirePrincipal(p: Principal): void {
    if (!this.principals.has(p))
      throw new ObfError('KMS_AUTH_FAILED', 'not a principal authenticated by this station');
  }

  private requireDualControl(approvals: Principal[], what: string, count = 2): Principal[] {
    this.requireDb();
    const nowMs = this.now().getTime();
    const officers = approvals.filter(
      (p) =>
        this.principals.has(p) &&
        !p.viaRecovery &&
        p.role === 'security_officer' &&
        nowMs - p.authenticatedAt <= this.approvalWindowMs,
    );
    const distinct = new Set(officers.map((p) => p.username));
    if (
      officers.length !== approvals.length ||
      distinct.size < Math.max(2, count) ||
      distinct.size !== approvals.length
    ) {
      throw new ObfError(
        'DUAL_CONTROL_REQUIRED',
        `${what} needs ${Math.max(2, count)} different security officers authenticated for this operation`,
      );
    }
    return officers;
  }

  /**
   * Who may change who gets in: two different security officers (dual control), or the M
   * custodians of a recovery unlock, who are several people already. Answers the audit actor.
   */
  private requireAccessControl(approvals: Principal[], what: string): string {
    const recovery = approvals.find((p) => p.viaRecovery && this.principals.has(p));
    if (recovery && approvals.length === 1) {
      this.requireDb();
      return recovery.username;
    }
    return this.requireDualControl(approvals, what)
      .map((p) => p.username)
      .join('+');
  }

  private requireUser(username: string): UserRecord {
    const user = this.listUsers().find((u) => u.username === username);
    if (!user) throw new ObfError('VALIDATION', `no user "${username}" on this station`);
    return user;
  }

  /** Inside the transaction that changes users: refuse (and roll back) a change leaving < 2 officers. */
  private requireTwoOfficers(refusal: string): void {
    const row = this.requireDb()
      .prepare("SELECT count(*) AS n FROM users WHERE role = 'security_officer' AND state = 'active'")
      .get() as { n: number };
    if (row.n < 2)
      throw new ObfError(
        'DUAL_CONTROL_REQUIRED',
        `${refusal}: dual control needs two active security officers`,
      );
  }

  private rewrap(username: string, passphrase: string): void {
    const keyring = readKeyring(this.keyringPath);
    const fresh = wrapForUser(keyring, username, passphrase, this.requireDbKey());
    keyring.users = [...keyring.users.filter((u) => u.username !== username), fresh];
    writeKeyring(this.keyringPath, keyring);
  }

  private requireLmk(): Uint8Array {
    this.requireDb();
    return this.lmk!;
  }

  private requireDbKey(): Uint8Array {
    this.requireDb();
    return this.dbKey!;
  }

  private requireDb(): Db {
    if (!this.db) throw new ObfError('KMS_LOCKED', 'the station is locked');
    return this.db;
  }

  private meta(name: string): Buffer {
    const row = this.requireDb().prepare('SELECT value FROM meta WHERE name = ?').get(name) as
      { value: Buffer | string } | undefined;
    if (!row) throw new ObfError('KMS_INTEGRITY', `station metadata "${name}" is missing`);
    return Buffer.isBuffer(row.value) ? row.value : Buffer.from(row.value);
  }

  private flushPendingAudit(): void {
    const keyring = readKeyring(this.keyringPath);
    if (keyring.pendingAudit.length === 0) return;
    for (const p of keyring.pendingAudit) this.audit(p.username, { type: p.event, at: p.at });
    keyring.pendingAudit = [];
    writeKeyring(this.keyringPath, keyring);
  }
}

function checkNewUser(u: SetupUser): void {
  if (!USERNAME_PATTERN.test(u.username))
    throw new ObfError(
      'VALIDATION',
      `user name "${u.username}": 2-32 of a-z 0-9 . _ -, starting with a letter`,
    );
  if (RESERVED_NAMES.has(u.username))
    throw new ObfError(
      'VALIDATION',
      `user name "${u.username}" is reserved for the station's own audit entries`,
    );
  if (!roles.includes(u.role))
    throw new ObfError('VALIDATION', `user "${u.username}": unknown role "${u.role}"`);
  checkPassphrase(u.username, u.passphrase);
}

function checkPassphrase(username: string, passphrase: string): void {
  if (passphrase.length < MIN_PASSPHRASE)
    throw new ObfError(
      'VALIDATION',
      `user "${username}": a passphrase has at least ${MIN_PASSPHRASE} characters`,
    );
}

function checkRecovery({ threshold, shares }: { threshold: number; shares: number }): void {
  if (
    !Number.isInteger(threshold) ||
    !Number.isInteger(shares) ||
    threshold < 2 ||
    shares < threshold ||
    shares > 16
  )
    throw new ObfError('VALIDATION', `recovery: need 2 ≤ M ≤ N ≤ 16, got M=${threshold} N=${shares}`);
}

function toShareList(parts: Uint8Array[]): RecoveryShare[] {
  return parts.map((s, i) => ({ index: i + 1, share: toHex(s), checksum: shareChecksum(s) }));
}

function secretAad(id: string, type: string, usage: string): string {
  return `key:${id}:${type}:${usage}`;
}

/** Byte lengths a symmetric key of this type may have; undefined for asymmetric types. */
export function symmetricLengths(type: KeyType): number[] | undefined {
  return SYMMETRIC_LENGTH[type];
}

export function kcvOf(type: KeyType, material: Uint8Array): string {
  if (type === '3DES') return toHex(kcvDes3(material));
  if (type.startsWith('AES-')) return toHex(kcvAes(material));
  // Asymmetric keys: the first 3 bytes of SHA-256 over the stored (private, PKCS#8) encoding.
  return createHash('sha256').update(material).digest('hex').slice(0, 6);
}

function generateMaterial(type: KeyType): Uint8Array {
  const symmetric = SYMMETRIC_LENGTH[type];
  if (symmetric) return new Uint8Array(randomBytes(symmetric.at(-1)!));
  const pair =
    type === 'P-256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  return new Uint8Array(pair.privateKey.export({ type: 'pkcs8', format: 'der' }));
}
