import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KmsStatus } from '../api/index.js';
import { fromHex, toHex } from '../bytes.js';
import { kcvAes } from '../crypto/index.js';
import { KmsService } from './kms-service.js';

const dirs: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function service(idleMs = 60_000) {
  const dir = mkdtempSync(join(tmpdir(), 'obf-kms-svc-'));
  dirs.push(dir);
  // The service runs with the station's real defaults (scrypt N = 2^17): a few seconds, on purpose.
  return new KmsService(join(dir, 'data', 'station.db'), { idleMs });
}

const users = [
  { username: 'alice', role: 'security_officer' as const, passphrase: 'alice correct horse' },
  { username: 'bob', role: 'security_officer' as const, passphrase: 'bob battery staple' },
];

describe('KmsService: the station’s lock state as the UI sees it', () => {
  it(
    'goes uninitialised → locked → unlocked → locked, announcing every change',
    { timeout: 30_000 },
    async () => {
      const kms = service();
      const seen: KmsStatus['state'][] = [];
      kms.on('status', (s) => seen.push(s.state));
      expect(kms.status().state).toBe('uninitialised');
      const init = await kms.initialize(users, { threshold: 2, shares: 2 });
      expect(init.shares).toHaveLength(2);
      expect(init.status.state).toBe('locked');
      const unlocked = kms.unlock('alice', 'alice correct horse');
      expect(unlocked).toMatchObject({
        state: 'unlocked',
        user: { username: 'alice', role: 'security_officer' },
      });
      expect(kms.keys().map((k) => k.label)).toEqual(['station-signing']);
      const { key } = kms.generateKey(
        { label: 'isd', type: 'AES-128', usage: 'isd-master' },
        { username: 'bob', passphrase: 'bob battery staple' },
      );
      expect(key.createdBy).toBe('alice+bob');
      expect(kms.auditVerify().ok).toBe(true);
      expect(kms.auditRecent(3)[0]!.event.type).toBe('ceremony-transcript');
      expect(kms.lock().state).toBe('locked');
      expect(seen).toEqual(['locked', 'unlocked', 'locked']);
      expect(() => kms.keys()).toThrow('log in first');
    },
  );

  it('says unavailable when the host has no data folder', () => {
    expect(new KmsService(null).status()).toEqual({
      state: 'unavailable',
      user: null,
      stationId: null,
      path: null,
    });
  });

  it('announces an idle auto-lock', { timeout: 30_000 }, async () => {
    const kms = service(1000);
    await kms.initialize(users, { threshold: 2, shares: 2 });
    kms.unlock('alice', 'alice correct horse');
    vi.useFakeTimers();
    kms.keys(); // activity: the idle timer restarts under fake time
    const states: string[] = [];
    kms.on('status', (s) => states.push(s.state));
    vi.advanceTimersByTime(1001);
    expect(states).toEqual(['locked']);
    expect(kms.status().state).toBe('locked');
  });
});

describe('KmsService: key import by components, one custodian at a time', () => {
  const FAST = { N: 1024, r: 8, p: 1 };
  const officers = [
    ...users,
    { username: 'oscar', role: 'operator' as const, passphrase: 'oscar operator pass' },
  ];
  const key = '00112233445566778899aabbccddeeff';
  const c1 = '0f0e0d0c0b0a09080706050403020100';
  const c2 = toHex(fromHex(key).map((b, i) => b ^ fromHex(c1)[i]!));
  const kcv = (hex: string) => toHex(kcvAes(fromHex(hex)));

  async function ready() {
    const dir = mkdtempSync(join(tmpdir(), 'obf-kms-svc-'));
    dirs.push(dir);
    const kms = new KmsService(join(dir, 'station.db'), { scrypt: FAST });
    await kms.initialize(officers, { threshold: 2, shares: 2 });
    kms.unlock('alice', 'alice correct horse');
    return kms;
  }

  it('checks each component’s KCV on entry, refuses a repeat custodian or an operator, and imports', async () => {
    const kms = await ready();
    expect(kms.componentKcv('AES-128', c1)).toEqual({ kcv: kcv(c1) });
    expect(() => kms.componentKcv('AES-128', 'abcd')).toThrow('32 hex digits, got 4');
    const { ceremonyId } = kms.beginComponentImport(
      { label: 'isd', type: 'AES-128', usage: 'isd-master' },
      2,
    );
    const alice = { username: 'alice', passphrase: 'alice correct horse' };
    const bob = { username: 'bob', passphrase: 'bob battery staple' };
    expect(() => kms.addComponent(ceremonyId, alice, c1, '000000')).toThrow('KCV is');
    expect(kms.addComponent(ceremonyId, alice, c1, kcv(c1))).toMatchObject({ accepted: 1, count: 2 });
    expect(() => kms.addComponent(ceremonyId, alice, c2, kcv(c2))).toThrow('different custodian');
    expect(() =>
      kms.addComponent(ceremonyId, { username: 'oscar', passphrase: 'oscar operator pass' }, c2, kcv(c2)),
    ).toThrow('not a security officer');
    expect(() => kms.finishComponentImport(ceremonyId, kcv(key))).toThrow('1 of 2 components');
    kms.addComponent(ceremonyId, bob, c2, kcv(c2));
    const done = kms.finishComponentImport(ceremonyId, kcv(key));
    expect(done.key).toMatchObject({
      label: 'isd',
      kcv: kcv(key),
      origin: 'components',
      createdBy: 'alice+bob',
    });
    expect(() => kms.finishComponentImport(ceremonyId, kcv(key))).toThrow('start again');
    expect(kms.auditVerify().ok).toBe(true);
  });

  it('a wrong final KCV stores nothing, and locking drops a ceremony half way', async () => {
    const kms = await ready();
    const alice = { username: 'alice', passphrase: 'alice correct horse' };
    const bob = { username: 'bob', passphrase: 'bob battery staple' };
    let { ceremonyId } = kms.beginComponentImport({ label: 'isd', type: 'AES-128', usage: 'isd-master' }, 2);
    kms.addComponent(ceremonyId, alice, c1, kcv(c1));
    kms.addComponent(ceremonyId, bob, c2, kcv(c2));
    expect(() => kms.finishComponentImport(ceremonyId, 'abcdef')).toThrow('not the expected abcdef');
    expect(kms.keys().map((k) => k.label)).toEqual(['station-signing']);
    ({ ceremonyId } = kms.beginComponentImport({ label: 'isd', type: 'AES-128', usage: 'isd-master' }, 2));
    kms.addComponent(ceremonyId, alice, c1, kcv(c1));
    kms.lock();
    kms.unlock('alice', 'alice correct horse');
    expect(() => kms.addComponent(ceremonyId, bob, c2, kcv(c2))).toThrow('start again');
  });

  it('a recovery session says so in its status and restores a passphrase without a second officer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'obf-kms-svc-'));
    dirs.push(dir);
    const kms = new KmsService(join(dir, 'station.db'), { scrypt: FAST });
    const { shares } = await kms.initialize(officers, { threshold: 2, shares: 3 });
    const status = await kms.recover([shares[1]!.share, shares[2]!.share]);
    expect(status.user).toEqual({ username: 'recovery', role: 'security_officer', viaRecovery: true });
    kms.resetPassphrase('bob', 'bob chose another', undefined);
    kms.lock();
    expect(kms.unlock('bob', 'bob chose another').user).toMatchObject({
      username: 'bob',
      viaRecovery: false,
    });
    expect(() =>
      kms.addUser({ username: 'eve', role: 'operator', passphrase: 'eve is an operator' }, undefined),
    ).toThrow('second security officer');
  });
});
