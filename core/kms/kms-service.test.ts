import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KmsStatus } from '../api/index.js';
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
  it('goes uninitialised → locked → unlocked → locked, announcing every change', async () => {
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
  });

  it('says unavailable when the host has no data folder', () => {
    expect(new KmsService(null).status()).toEqual({
      state: 'unavailable',
      user: null,
      stationId: null,
      path: null,
    });
  });

  it('announces an idle auto-lock', async () => {
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
