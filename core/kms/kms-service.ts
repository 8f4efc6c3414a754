/**
 * The KMS as the Workstation exposes it: one station database at a known path, who is logged
 * in, and a status event whenever that changes (login, lock, idle auto-lock).
 */
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KmsStatus } from '../api/index.js';
import { ObfError } from '../errors.js';
import { Kms, type KeyRecord, type KmsOptions, type Principal, type SetupUser } from './kms.js';
import type { KeyType, KeyUsage } from './vocabulary.js';

export class KmsService extends EventEmitter<{ status: [KmsStatus] }> {
  private kms: Kms | null = null;
  private user: Principal | null = null;

  constructor(
    readonly path: string | null,
    private readonly options: KmsOptions = {},
  ) {
    super();
  }

  status(): KmsStatus {
    const base = { path: this.path };
    if (!this.path) return { ...base, state: 'unavailable', user: null, stationId: null };
    if (!existsSync(this.path)) return { ...base, state: 'uninitialised', user: null, stationId: null };
    if (!this.kms?.unlocked || !this.user) return { ...base, state: 'locked', user: null, stationId: null };
    return {
      ...base,
      state: 'unlocked',
      user: { username: this.user.username, role: this.user.role },
      stationId: this.kms.stationId(),
    };
  }

  async initialize(users: SetupUser[], recovery: { threshold: number; shares: number }) {
    const path = this.requirePath();
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const { kms, shares, transcript } = await Kms.initialize(path, { ...this.options, users, recovery });
    kms.lock('setup'); // set up; the first login comes next
    this.emitStatus();
    return { status: this.status(), shares, transcriptSha256: transcript.sha256 };
  }

  unlock(username: string, passphrase: string): KmsStatus {
    const path = this.requirePath();
    this.kms ??= Kms.open(path, this.options);
    this.kms.onAutoLock = () => {
      this.user = null;
      this.emitStatus();
    };
    this.user = this.kms.unlock(username, passphrase);
    this.emitStatus();
    return this.status();
  }

  lock(): KmsStatus {
    this.kms?.lock(this.user?.username ?? 'user');
    this.user = null;
    this.emitStatus();
    return this.status();
  }

  keys(): KeyRecord[] {
    return this.session().kms.listKeys();
  }

  generateKey(
    spec: { label: string; type: KeyType; usage: KeyUsage },
    second: { username: string; passphrase: string },
  ) {
    const { kms, user } = this.session();
    const startedAt = new Date().toISOString();
    const other = kms.authenticate(second.username, second.passphrase);
    const key = kms.generateKey(spec, [user, other]);
    const signed = kms.signCeremony({
      version: 1,
      ceremony: 'key-generation',
      stationId: kms.stationId(),
      startedAt,
      endedAt: new Date().toISOString(),
      participants: [
        { username: user.username, role: user.role, part: 'first security officer' },
        { username: other.username, role: other.role, part: 'second security officer' },
      ],
      steps: [
        {
          at: new Date().toISOString(),
          actor: 'station',
          what: `${key.label} generated, KCV ${key.kcv.toUpperCase()}`,
        },
      ],
      kcvs: { [key.label]: key.kcv },
    });
    return { key, transcriptSha256: signed.sha256 };
  }

  auditVerify() {
    return this.session().kms.verifyAudit();
  }

  auditRecent(limit: number) {
    const rows = this.session()
      .kms.database()
      .prepare('SELECT seq, at, actor, event FROM audit ORDER BY seq DESC LIMIT ?')
      .all(limit) as { seq: number; at: string; actor: string; event: string }[];
    return rows.map((r) => ({ ...r, event: JSON.parse(r.event) as Record<string, unknown> }));
  }

  close(): void {
    this.kms?.lock('system');
    this.user = null;
  }

  private session(): { kms: Kms; user: Principal } {
    if (!this.kms?.unlocked || !this.user)
      throw new ObfError('KMS_LOCKED', 'the station is locked: log in first');
    this.kms.touch();
    return { kms: this.kms, user: this.user };
  }

  private requirePath(): string {
    if (!this.path)
      throw new ObfError('KMS_NOT_FOUND', 'this host has no data folder for the station database');
    return this.path;
  }

  private emitStatus(): void {
    this.emit('status', this.status());
  }
}
