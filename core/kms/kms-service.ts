/**
 * The KMS as the Workstation exposes it: one station database at a known path, who is logged
 * in, and a status event whenever that changes (login, lock, idle auto-lock).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KmsStatus } from '../api/index.js';
import { ObfError } from '../errors.js';
import { fromHex } from '../bytes.js';
import {
  Kms,
  kcvOf,
  symmetricLengths,
  type KeyRecord,
  type KmsOptions,
  type Principal,
  type SetupUser,
} from './kms.js';
import type { ScryptParams } from './keyring.js';
import type { KeyType, KeyUsage, Role } from './vocabulary.js';

type Credentials = { username: string; passphrase: string };

/** A key import by components in progress: components wait here, in memory only, until the last one. */
interface ComponentCeremony {
  id: string;
  spec: { label: string; type: KeyType; usage: KeyUsage };
  count: number;
  startedAt: string;
  entries: { custodian: Principal; component: Uint8Array; kcv: string; at: string }[];
}

export class KmsService extends EventEmitter<{ status: [KmsStatus] }> {
  private kms: Kms | null = null;
  private user: Principal | null = null;
  private ceremony: ComponentCeremony | null = null;

  constructor(
    readonly path: string | null,
    /** `scrypt` only for stations this service sets up (tests use small parameters). */
    private readonly options: KmsOptions & { scrypt?: ScryptParams } = {},
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
      user: {
        username: this.user.username,
        role: this.user.role,
        viaRecovery: this.user.viaRecovery === true,
      },
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
      this.dropCeremony();
      this.emitStatus();
    };
    this.user = this.kms.unlock(username, passphrase);
    this.emitStatus();
    return this.status();
  }

  lock(): KmsStatus {
    this.dropCeremony();
    this.kms?.lock(this.user?.username ?? 'user');
    this.user = null;
    this.emitStatus();
    return this.status();
  }

  /** Recovery unlock with M shares: the session may restore access (users, passphrases, shares), not use keys. */
  async recover(shares: string[]): Promise<KmsStatus> {
    const path = this.requirePath();
    this.kms ??= Kms.open(path, this.options);
    this.kms.onAutoLock = () => {
      this.user = null;
      this.dropCeremony();
      this.emitStatus();
    };
    this.user = await this.kms.recover(shares);
    this.emitStatus();
    return this.status();
  }

  users() {
    return this.session().kms.listUsers();
  }

  addUser(user: SetupUser, second: Credentials | undefined) {
    const { kms } = this.session();
    return kms.addUser(user, this.approvals(second));
  }

  setUserRole(username: string, role: Role, second: Credentials | undefined) {
    const { kms } = this.session();
    return kms.setRole(username, role, this.approvals(second));
  }

  disableUser(username: string, second: Credentials | undefined) {
    const { kms } = this.session();
    return kms.disableUser(username, this.approvals(second));
  }

  resetPassphrase(username: string, passphrase: string, second: Credentials | undefined): void {
    const { kms } = this.session();
    kms.resetPassphrase(username, passphrase, this.approvals(second));
  }

  changePassphrase(current: string, next: string): void {
    const { kms, user } = this.session();
    kms.changePassphrase(user, current, next);
  }

  async changeRecovery(recovery: { threshold: number; shares: number }, second: Credentials | undefined) {
    const { kms } = this.session();
    const { shares, transcript } = await kms.changeRecovery(recovery, this.approvals(second));
    return { shares, transcriptSha256: transcript.sha256 };
  }

  exportKey(label: string, transportLabel: string, second: Credentials) {
    return this.dualOfficerCeremony('key-export', second, (kms, approvals) => {
      const exported = kms.exportKey(label, transportLabel, approvals);
      return {
        result: { export: exported },
        what: `${label} wrapped under ${transportLabel} (AES-KW, RFC 3394)`,
        kcvs: { [label]: exported.kcv, [transportLabel]: exported.transportKcv },
      };
    });
  }

  exportAudit(second: Credentials) {
    const { kms, user } = this.session();
    const other = kms.authenticate(second.username, second.passphrase);
    return kms.exportAudit([user, other]);
  }

  /** The KCV of a component as its custodian types it: computed, returned, not kept. */
  componentKcv(type: KeyType, componentHex: string): { kcv: string } {
    this.session();
    const component = fromHex(componentHex);
    try {
      checkComponentLength(type, component);
      return { kcv: kcvOf(type, component) };
    } finally {
      component.fill(0);
    }
  }

  /** Starts a key import by components; a new start discards an unfinished one. */
  beginComponentImport(spec: { label: string; type: KeyType; usage: KeyUsage }, count: number) {
    const { kms } = this.session();
    if (!symmetricLengths(spec.type))
      throw new ObfError('VALIDATION', `${spec.type} keys are not imported by components`);
    if (kms.listKeys().some((k) => k.label === spec.label))
      throw new ObfError('KEY_EXISTS', `a key labelled "${spec.label}" exists`);
    this.dropCeremony();
    this.ceremony = { id: randomUUID(), spec, count, startedAt: new Date().toISOString(), entries: [] };
    return { ceremonyId: this.ceremony.id, accepted: 0, count };
  }

  /** One custodian authenticates and enters their component; its KCV must match their sheet. */
  addComponent(ceremonyId: string, custodian: Credentials, componentHex: string, kcv: string) {
    const { kms } = this.session();
    const ceremony = this.requireCeremony(ceremonyId);
    const component = fromHex(componentHex);
    try {
      checkComponentLength(ceremony.spec.type, component);
      if (ceremony.entries.some((e) => e.custodian.username === custodian.username))
        throw new ObfError(
          'DUAL_CONTROL_REQUIRED',
          `${custodian.username} has entered a component already: each comes from a different custodian`,
        );
      if (ceremony.entries.length >= ceremony.count)
        throw new ObfError('VALIDATION', `all ${ceremony.count} components are in`);
      const principal = kms.authenticate(custodian.username, custodian.passphrase);
      if (principal.role !== 'security_officer')
        throw new ObfError('DUAL_CONTROL_REQUIRED', `${principal.username} is not a security officer`);
      const actual = kcvOf(ceremony.spec.type, component);
      if (actual !== kcv.toLowerCase())
        throw new ObfError(
          'KCV_MISMATCH',
          `component ${ceremony.entries.length + 1}: KCV is ${actual}, not ${kcv}`,
        );
      ceremony.entries.push({ custodian: principal, component, kcv: actual, at: new Date().toISOString() });
      kms.audit(principal.username, {
        type: 'ceremony-component-entered',
        label: ceremony.spec.label,
        component: ceremony.entries.length,
        kcv: actual,
      });
      return { ceremonyId, accepted: ceremony.entries.length, count: ceremony.count };
    } catch (err) {
      component.fill(0);
      throw err;
    }
  }

  /** Combines the components (they are zeroed), checks the final KCV, stores the key, signs the transcript. */
  finishComponentImport(ceremonyId: string, expectedKcv: string) {
    const { kms } = this.session();
    const ceremony = this.requireCeremony(ceremonyId);
    if (ceremony.entries.length < ceremony.count)
      throw new ObfError(
        'VALIDATION',
        `${ceremony.entries.length} of ${ceremony.count} components entered: the others come first`,
      );
    const entries = ceremony.entries;
    try {
      const key = kms.importFromComponents(
        { ...ceremony.spec, expectedKcv },
        entries.map((e) => ({ custodian: e.custodian, component: e.component, kcv: e.kcv })),
      );
      const signed = kms.signCeremony({
        version: 1,
        ceremony: 'key-import-components',
        stationId: kms.stationId(),
        startedAt: ceremony.startedAt,
        endedAt: new Date().toISOString(),
        participants: entries.map((e, i) => ({
          username: e.custodian.username,
          role: e.custodian.role,
          part: `custodian of component ${i + 1}`,
        })),
        steps: [
          ...entries.map((e, i) => ({
            at: e.at,
            actor: e.custodian.username,
            what: `component ${i + 1} entered, KCV ${e.kcv.toUpperCase()}`,
          })),
          {
            at: new Date().toISOString(),
            actor: 'station',
            what: `components combined; ${key.label} KCV ${key.kcv.toUpperCase()} confirmed`,
          },
        ],
        kcvs: {
          ...Object.fromEntries(entries.map((e, i) => [`component ${i + 1}`, e.kcv])),
          [key.label]: key.kcv,
        },
      });
      return { key, transcriptSha256: signed.sha256 };
    } finally {
      // importFromComponents zeroes the components whatever happens; the ceremony is over either way.
      this.dropCeremony();
    }
  }

  cancelComponentImport(): void {
    if (this.ceremony)
      this.kms?.audit(this.user?.username ?? 'user', {
        type: 'ceremony-cancelled',
        label: this.ceremony.spec.label,
        componentsEntered: this.ceremony.entries.length,
      });
    this.dropCeremony();
  }

  keys(): KeyRecord[] {
    return this.session().kms.listKeys();
  }

  generateKey(spec: { label: string; type: KeyType; usage: KeyUsage }, second: Credentials) {
    return this.dualOfficerCeremony('key-generation', second, (kms, approvals) => {
      const key = kms.generateKey(spec, approvals);
      return {
        result: { key },
        what: `${key.label} generated, KCV ${key.kcv.toUpperCase()}`,
        kcvs: { [key.label]: key.kcv },
      };
    });
  }

  /** The logged-in officer and a second one do `act` together; the station signs its transcript. */
  private dualOfficerCeremony<R extends object>(
    ceremony: 'key-generation' | 'key-export',
    second: Credentials,
    act: (kms: Kms, approvals: Principal[]) => { result: R; what: string; kcvs: Record<string, string> },
  ): R & { transcriptSha256: string } {
    const { kms, user } = this.session();
    const startedAt = new Date().toISOString();
    const other = kms.authenticate(second.username, second.passphrase);
    const { result, what, kcvs } = act(kms, [user, other]);
    const signed = kms.signCeremony({
      version: 1,
      ceremony,
      stationId: kms.stationId(),
      startedAt,
      endedAt: new Date().toISOString(),
      participants: [
        { username: user.username, role: user.role, part: 'first security officer' },
        { username: other.username, role: other.role, part: 'second security officer' },
      ],
      steps: [{ at: new Date().toISOString(), actor: 'station', what }],
      kcvs,
    });
    return { ...result, transcriptSha256: signed.sha256 };
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
    this.dropCeremony();
    this.kms?.lock('system');
    this.user = null;
  }

  /** The unlocked station and who is logged in, for the services that work on it (perso, KYC). */
  unlockedStation(): { kms: Kms; user: Principal } {
    const session = this.session();
    if (session.user.viaRecovery)
      throw new ObfError('KMS_LOCKED', 'a recovery session restores access only: log in as a user');
    return session;
  }

  private session(): { kms: Kms; user: Principal } {
    if (!this.kms?.unlocked || !this.user)
      throw new ObfError('KMS_LOCKED', 'the station is locked: log in first');
    this.kms.touch();
    return { kms: this.kms, user: this.user };
  }

  /** The logged-in officer and, unless this is a recovery session, a second one who authenticates now. */
  private approvals(second: Credentials | undefined): Principal[] {
    const { kms, user } = this.session();
    if (user.viaRecovery) return [user];
    if (!second)
      throw new ObfError(
        'DUAL_CONTROL_REQUIRED',
        'a second security officer must authenticate for this change',
      );
    return [user, kms.authenticate(second.username, second.passphrase)];
  }

  private requireCeremony(id: string): ComponentCeremony {
    if (!this.ceremony || this.ceremony.id !== id)
      throw new ObfError(
        'VALIDATION',
        'no key import by components is in progress under that id: start again',
      );
    return this.ceremony;
  }

  private dropCeremony(): void {
    for (const e of this.ceremony?.entries ?? []) e.component.fill(0);
    this.ceremony = null;
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

function checkComponentLength(type: KeyType, component: Uint8Array): void {
  const lengths = symmetricLengths(type);
  if (!lengths) throw new ObfError('VALIDATION', `${type} keys are not imported by components`);
  if (!lengths.includes(component.length))
    throw new ObfError(
      'VALIDATION',
      `a ${type} component is ${lengths.map((n) => n * 2).join(' or ')} hex digits, got ${component.length * 2}`,
    );
}
