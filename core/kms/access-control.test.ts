import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.js';
import { aesKeyUnwrap, kcvAes } from '../crypto/index.js';
import { verifyAuditExport } from './audit-export.js';
import { Kms } from './kms.js';
import { code, tempStation } from './station.fixture.js';

const temp = tempStation();

/** The types of the last ten audit events, newest first. */
function recentEvents(kms: Kms): string[] {
  const rows = kms.database().prepare('SELECT event FROM audit ORDER BY seq DESC LIMIT 10').all() as {
    event: string;
  }[];
  return rows.map((r) => (JSON.parse(r.event) as { type: string }).type);
}

async function unlocked() {
  const { kms, shares } = await temp.setup();
  const alice = kms.authenticate('alice', 'alice correct horse');
  const bob = kms.authenticate('bob', 'bob battery staple');
  return { kms, shares, alice, bob };
}

describe('users and roles under dual control', () => {
  it('enrols a user with two officers, who then logs in; one officer alone is refused', async () => {
    const { kms, alice, bob } = await unlocked();
    const dave = { username: 'dave', role: 'supervisor' as const, passphrase: 'dave supervises well' };
    expect(code(() => kms.addUser(dave, [alice]))).toBe('DUAL_CONTROL_REQUIRED');
    expect(code(() => kms.addUser(dave, [alice, alice]))).toBe('DUAL_CONTROL_REQUIRED');
    expect(kms.addUser(dave, [alice, bob])).toMatchObject({
      username: 'dave',
      role: 'supervisor',
      createdBy: 'alice+bob',
    });
    expect(kms.authenticate('dave', 'dave supervises well').role).toBe('supervisor');
    expect(code(() => kms.addUser(dave, [alice, bob]))).toBe('VALIDATION');
    expect(code(() => kms.addUser({ ...dave, username: 'recovery' }, [alice, bob]))).toBe('VALIDATION');
    expect(kms.listUsers().map((u) => u.username)).toEqual(['alice', 'bob', 'carol', 'dave', 'oscar']);
  });

  it('changes a role and disables a user, but never leaves fewer than two active officers', async () => {
    const { kms, alice, bob } = await unlocked();
    expect(kms.setRole('oscar', 'supervisor', [alice, bob]).role).toBe('supervisor');
    expect(kms.disableUser('carol', [alice, bob]).state).toBe('disabled');
    // carol's wrapped key left the keyring: her passphrase no longer opens anything.
    expect(code(() => kms.authenticate('carol', 'carol tr0ub4dor&3'))).toBe('KMS_AUTH_FAILED');
    expect(code(() => kms.setRole('bob', 'operator', [alice, bob]))).toBe('DUAL_CONTROL_REQUIRED');
    expect(code(() => kms.disableUser('bob', [alice, bob]))).toBe('DUAL_CONTROL_REQUIRED');
    // The refused change rolled back.
    expect(kms.listUsers().find((u) => u.username === 'bob')).toMatchObject({
      role: 'security_officer',
      state: 'active',
    });
    const events = recentEvents(kms);
    expect(events).toEqual(expect.arrayContaining(['user-role-changed', 'user-disabled']));
    expect(kms.verifyAudit().ok).toBe(true);
  });

  it('lets a user change their own passphrase after proving the current one', async () => {
    const { kms } = await unlocked();
    const oscar = kms.authenticate('oscar', 'oscar operator pass');
    expect(code(() => kms.changePassphrase(oscar, 'not the current one', 'oscar new passphrase'))).toBe(
      'KMS_AUTH_FAILED',
    );
    expect(code(() => kms.changePassphrase(oscar, 'oscar operator pass', 'short'))).toBe('VALIDATION');
    kms.changePassphrase(oscar, 'oscar operator pass', 'oscar new passphrase');
    expect(code(() => kms.authenticate('oscar', 'oscar operator pass'))).toBe('KMS_AUTH_FAILED');
    expect(kms.authenticate('oscar', 'oscar new passphrase').username).toBe('oscar');
  });
});

describe('recovery', () => {
  it('a recovery unlock resets a forgotten passphrase on its own, but cannot use or make keys', async () => {
    const { kms, shares } = await temp.setup();
    kms.lock();
    const station = Kms.open(temp.dbPath);
    const recovery = await station.recover([shares[0]!.share, shares[2]!.share]);
    expect(recovery).toMatchObject({ username: 'recovery', viaRecovery: true });
    station.resetPassphrase('alice', 'alice has a new one', [recovery]);
    expect(station.authenticate('alice', 'alice has a new one').username).toBe('alice');
    const bob = station.authenticate('bob', 'bob battery staple');
    expect(
      code(() => station.generateKey({ label: 'x', type: 'AES-128', usage: 'isd-master' }, [recovery, bob])),
    ).toBe('DUAL_CONTROL_REQUIRED');
    expect(code(() => station.exportAudit([recovery]))).toBe('DUAL_CONTROL_REQUIRED');
    station.lock();
  });

  it('new shares for a new M-of-N work, and every earlier share stops working', async () => {
    const { kms, shares, alice, bob } = await unlocked();
    const fresh = await kms.changeRecovery({ threshold: 3, shares: 5 }, [alice, bob]);
    expect(fresh.shares).toHaveLength(5);
    expect(fresh.transcript.transcript).toMatchObject({
      ceremony: 'recovery-reshare',
      shares: { threshold: 3, total: 5 },
    });
    await expect(kms.changeRecovery({ threshold: 1, shares: 5 }, [alice, bob])).rejects.toThrow('2 ≤ M ≤ N');
    await expect(kms.changeRecovery({ threshold: 2, shares: 3 }, [alice])).rejects.toThrow(/two|2 different/);
    kms.lock();
    const station = Kms.open(temp.dbPath);
    // All three old shares: enough in number, but they rebuild the retired recovery key.
    await expect(station.recover(shares.map((s) => s.share))).rejects.toThrow('do not reconstruct');
    await expect(station.recover(fresh.shares.slice(0, 2).map((s) => s.share))).rejects.toThrow(
      'recovery needs 3 shares',
    );
    await station.recover(fresh.shares.slice(2).map((s) => s.share));
    expect(station.unlocked).toBe(true);
    station.lock();
  });
});

describe('exports under dual control', () => {
  it('exports a key only wrapped under an AES output-transport key, audited by KCV', async () => {
    const { kms, alice, bob } = await unlocked();
    const master = kms.generateKey({ label: 'isd-master', type: 'AES-128', usage: 'isd-master' }, [
      alice,
      bob,
    ]);
    const transport = kms.generateKey({ label: 'out-1', type: 'AES-256', usage: 'output-transport' }, [
      alice,
      bob,
    ]);
    expect(code(() => kms.exportKey('isd-master', 'out-1', [alice]))).toBe('DUAL_CONTROL_REQUIRED');
    expect(code(() => kms.exportKey('isd-master', 'isd-master', [alice, bob]))).toBe('VALIDATION');
    expect(code(() => kms.exportKey('out-1', 'isd-master', [alice, bob]))).toBe('VALIDATION');
    expect(code(() => kms.exportKey('station-signing', 'out-1', [alice, bob]))).toBe('VALIDATION');
    const exported = kms.exportKey('isd-master', 'out-1', [alice, bob]);
    expect(exported).toMatchObject({
      kcv: master.kcv,
      transportKcv: transport.kcv,
      algorithm: 'AES-KW (RFC 3394)',
    });
    const t = kms.getKey('out-1');
    const unwrapped = aesKeyUnwrap(t.expose(), fromHex(exported.wrapped));
    t.zero();
    expect(toHex(kcvAes(unwrapped))).toBe(master.kcv);
    expect(recentEvents(kms)).toContain('key-exported');
  });

  it('exports the audit chain signed by the station; a changed file or a broken chain is caught', async () => {
    const { kms, alice, bob } = await unlocked();
    expect(code(() => kms.exportAudit([alice]))).toBe('DUAL_CONTROL_REQUIRED');
    const file = kms.exportAudit([alice, bob]);
    expect(verifyAuditExport(file)).toEqual({
      signature: true,
      chain: { ok: true, rows: file.record.rows.length, firstBroken: null },
    });
    expect(recentEvents(kms)[0]).toBe('audit-exported');
    const edited = structuredClone(file);
    edited.record.rows[2]!.actor = 'mallory';
    expect(verifyAuditExport(edited)).toMatchObject({
      signature: false,
      chain: { ok: false, firstBroken: 2 },
    });
    expect(verifyAuditExport({ not: 'an export' })).toMatchObject({ signature: false, chain: { ok: false } });
    // No secret in the export: no sealed column travels, only events.
    expect(JSON.stringify(file)).not.toMatch(/"secret"/);
  });
});
