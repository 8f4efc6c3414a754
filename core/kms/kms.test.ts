import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import Database from 'better-sqlite3-multiple-ciphers';
import { combine } from 'shamir-secret-sharing';
import { describe, expect, it, vi } from 'vitest';
import { fromHex, toHex } from '../bytes.js';
import { verifyTranscript } from '../ceremony/index.js';
import { kcvAes } from '../crypto/index.js';
import { keyringPath, Kms, type Principal } from './kms.js';
import { readKeyring, unwrapForRecovery } from './keyring.js';
import { code, FAST, tempStation, users } from './station.fixture.js';

const temp = tempStation();

describe('station initialisation and unlock', () => {
  it('creates an encrypted database and a keyring, and answers M-of-N recovery shares once', async () => {
    const { kms, shares } = await temp.setup();
    expect(shares).toHaveLength(3);
    expect(new Set(shares.map((s) => s.share)).size).toBe(3);
    expect(shares[0]!.checksum).toMatch(/^[0-9a-f]{8}$/);
    kms.lock();
    expect(readFileSync(temp.dbPath).subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');
    const keyring = readFileSync(keyringPath(temp.dbPath), 'utf8');
    for (const s of shares) expect(keyring).not.toContain(s.share);
  });

  it('signs the initialisation transcript with its own station key and audits its hash', async () => {
    const { kms, transcript } = await temp.setup();
    expect(verifyTranscript(transcript)).toBe(true);
    expect(transcript.transcript).toMatchObject({
      ceremony: 'station-initialisation',
      shares: { threshold: 2, total: 3 },
    });
    const last = kms.database().prepare('SELECT event FROM audit ORDER BY seq DESC LIMIT 1').get() as {
      event: string;
    };
    expect(JSON.parse(last.event)).toEqual({
      type: 'ceremony-transcript',
      ceremony: 'station-initialisation',
      sha256: transcript.sha256,
    });
  });

  it('unlocks with the right passphrase and refuses a wrong one without unlocking', async () => {
    const { kms } = await temp.setup();
    kms.lock();
    const again = Kms.open(temp.dbPath);
    expect(code(() => again.unlock('alice', 'not the passphrase'))).toBe('KMS_AUTH_FAILED');
    expect(again.unlocked).toBe(false);
    expect(code(() => again.unlock('mallory', 'anything at all'))).toBe('KMS_AUTH_FAILED');
    const alice = again.unlock('alice', 'alice correct horse');
    expect(alice.role).toBe('security_officer');
    expect(again.unlocked).toBe(true);
    const events = again.database().prepare('SELECT actor, event FROM audit ORDER BY seq').all() as {
      actor: string;
      event: string;
    }[];
    const types = events.map((e) => (JSON.parse(e.event) as { type: string }).type);
    expect(types).toEqual([
      'genesis',
      'station-initialised',
      'key-created',
      'ceremony-transcript',
      'lock',
      'login-failed',
      'login-failed-unknown-user',
      'login',
    ]);
  });

  it('locks a user out after 5 failures, audits it, and lets them in after the lockout', async () => {
    let now = new Date('2026-11-27T10:00:00Z');
    const { kms } = await temp.setup({ now: () => now });
    kms.lock();
    const station = Kms.open(temp.dbPath, { now: () => now, lockoutMs: 60_000 });
    for (let i = 0; i < 5; i++)
      expect(code(() => station.unlock('bob', 'wrong wrong wrong'))).toBe('KMS_AUTH_FAILED');
    expect(code(() => station.unlock('bob', 'bob battery staple'))).toBe('KMS_LOCKED_OUT');
    now = new Date(now.getTime() + 61_000);
    station.unlock('bob', 'bob battery staple');
    const types = (station.database().prepare('SELECT event FROM audit').all() as { event: string }[]).map(
      (r) => (JSON.parse(r.event) as { type: string }).type,
    );
    expect(types.filter((t) => t === 'login-failed')).toHaveLength(5);
    expect(types).toContain('lockout');
  });

  it('locks itself after the idle time and drops its keys', async () => {
    vi.useFakeTimers();
    const { kms } = await Kms.initialize(temp.dbPath, {
      users,
      recovery: { threshold: 2, shares: 3 },
      scrypt: FAST,
      idleMs: 1000,
    });
    const locked = vi.fn();
    kms.onAutoLock = locked;
    vi.advanceTimersByTime(999);
    expect(kms.unlocked).toBe(true);
    vi.advanceTimersByTime(2);
    expect(kms.unlocked).toBe(false);
    expect(locked).toHaveBeenCalledOnce();
    expect(code(() => kms.listKeys())).toBe('KMS_LOCKED');
  });

  it('recovers with any M of the N shares and refuses M−1 or a corrupted share', async () => {
    const { kms, shares } = await temp.setup();
    kms.lock();
    const station = Kms.open(temp.dbPath);
    await expect(station.recover([shares[0]!.share])).rejects.toMatchObject({ code: 'KMS_AUTH_FAILED' });
    const bad = shares[0]!.share.slice(0, -2) + (shares[0]!.share.endsWith('00') ? '01' : '00');
    await expect(station.recover([bad, shares[2]!.share])).rejects.toMatchObject({ code: 'KMS_AUTH_FAILED' });
    expect(station.unlocked).toBe(false);
    await station.recover([shares[2]!.share, shares[0]!.share]);
    expect(station.unlocked).toBe(true);
    expect(station.verifyAudit().ok).toBe(true);
  });

  it('refuses a setup without two security officers, duplicate users or a bad M-of-N', async () => {
    const one = [users[0]!, users[3]!];
    await expect(
      Kms.initialize(temp.dbPath, { users: one, recovery: { threshold: 2, shares: 3 }, scrypt: FAST }),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await expect(temp.setup({ recovery: { threshold: 4, shares: 3 } })).rejects.toThrow('2 ≤ M ≤ N');
    await expect(temp.setup({ users: [...users, users[0]!] })).rejects.toThrow('appears twice');
    expect(existsSync(temp.dbPath)).toBe(false);
  });

  it('records the OWASP scrypt default in the keyring when none is given', async () => {
    const { kms } = await Kms.initialize(temp.dbPath, {
      users: users.slice(0, 2),
      recovery: { threshold: 2, shares: 2 },
    });
    kms.lock();
    const keyring = JSON.parse(readFileSync(keyringPath(temp.dbPath), 'utf8')) as {
      kdf: { params: { N: number } };
    };
    expect(keyring.kdf.params.N).toBe(2 ** 17);
  });
});

describe('keys: dual control, components, sealing', () => {
  async function twoOfficers(): Promise<{ kms: Kms; alice: Principal; bob: Principal }> {
    const { kms } = await temp.setup();
    kms.lock();
    const station = Kms.open(temp.dbPath);
    const alice = station.unlock('alice', 'alice correct horse');
    const bob = station.authenticate('bob', 'bob battery staple');
    return { kms: station, alice, bob };
  }

  it('imports a key from components by two different officers, checking every KCV', async () => {
    const { kms, alice, bob } = await twoOfficers();
    const c1 = new Uint8Array(randomBytes(16));
    const c2 = new Uint8Array(randomBytes(16));
    const key = c1.map((b, i) => b ^ c2[i]!);
    const kcvs = [toHex(kcvAes(c1)), toHex(kcvAes(c2))];
    const record = kms.importFromComponents(
      { label: 'issuer-isd-master', type: 'AES-128', usage: 'isd-master', expectedKcv: toHex(kcvAes(key)) },
      [
        { custodian: alice, component: c1, kcv: kcvs[0]! },
        { custodian: bob, component: c2, kcv: kcvs[1]! },
      ],
    );
    expect(record.kcv).toBe(toHex(kcvAes(key)));
    expect(c1.every((b) => b === 0) && c2.every((b) => b === 0)).toBe(true); // components zeroed
    const stored = kms.getKey('issuer-isd-master');
    expect(toHex(stored.expose())).toBe(toHex(key));
    expect(String(stored)).toBe(`[secret kcv=${record.kcv}]`);
    expect(JSON.stringify({ stored })).not.toContain(toHex(key));
    expect(inspect(stored)).not.toContain(toHex(key));
  });

  it('refuses the same officer twice, an operator, and a component whose KCV does not match', async () => {
    const { kms, alice, bob } = await twoOfficers();
    const oscar = kms.authenticate('oscar', 'oscar operator pass');
    const comp = () => new Uint8Array(randomBytes(16));
    const spec = {
      label: 'k1',
      type: 'AES-128' as const,
      usage: 'isd-master' as const,
      expectedKcv: '000000',
    };
    const twice = () =>
      kms.importFromComponents(spec, [
        { custodian: alice, component: comp(), kcv: '' },
        { custodian: alice, component: comp(), kcv: '' },
      ]);
    expect(code(twice)).toBe('DUAL_CONTROL_REQUIRED');
    const withOperator = () =>
      kms.importFromComponents(spec, [
        { custodian: alice, component: comp(), kcv: '' },
        { custodian: oscar, component: comp(), kcv: '' },
      ]);
    expect(code(withOperator)).toBe('DUAL_CONTROL_REQUIRED');
    const forged: Principal = { username: 'carol', role: 'security_officer', authenticatedAt: Date.now() };
    expect(
      code(() => kms.generateKey({ label: 'k2', type: 'AES-128', usage: 'isd-master' }, [alice, forged])),
    ).toBe('DUAL_CONTROL_REQUIRED');
    const c = comp();
    const wrongKcv = () =>
      kms.importFromComponents(spec, [
        { custodian: alice, component: c, kcv: 'abcdef' },
        { custodian: bob, component: comp(), kcv: '' },
      ]);
    expect(code(wrongKcv)).toBe('KCV_MISMATCH');
    expect(kms.listKeys().map((k) => k.label)).toEqual(['station-signing']);
  });

  it('generates a key under dual control and shows only its KCV', async () => {
    const { kms, alice, bob } = await twoOfficers();
    const record = kms.generateKey({ label: 'issuer-isd-master', type: 'AES-256', usage: 'isd-master' }, [
      alice,
      bob,
    ]);
    expect(record.kcv).toMatch(/^[0-9a-f]{6}$/);
    expect(kms.listKeys().map((k) => [k.label, k.origin, k.createdBy])).toEqual([
      ['station-signing', 'generated', 'setup'],
      ['issuer-isd-master', 'generated', 'alice+bob'],
    ]);
    expect(JSON.stringify(kms.listKeys())).not.toMatch(/secret/);
  });

  it('cannot open a sealed key moved to another row (the AAD binds it to its id, type and usage)', async () => {
    const { kms, alice, bob } = await twoOfficers();
    kms.generateKey({ label: 'a', type: 'AES-128', usage: 'isd-master' }, [alice, bob]);
    kms.generateKey({ label: 'b', type: 'AES-128', usage: 'op' }, [alice, bob]);
    const db = kms.database();
    const a = db.prepare("SELECT secret FROM keys WHERE label = 'a'").get() as { secret: Buffer };
    db.prepare("UPDATE keys SET secret = ? WHERE label = 'b'").run(a.secret);
    expect(code(() => kms.getKey('b'))).toBe('KMS_INTEGRITY');
    expect(kms.getKey('a').length).toBe(16);
  });

  it('destroys a key under dual control: the record stays, the secret is gone', async () => {
    const { kms, alice, bob } = await twoOfficers();
    kms.generateKey({ label: 'old', type: 'AES-256', usage: 'output-transport' }, [alice, bob]);
    kms.destroyKey('old', [alice, bob]);
    expect(kms.listKeys().find((k) => k.label === 'old')!.state).toBe('destroyed');
    expect(code(() => kms.getKey('old'))).toBe('KEY_NOT_FOUND');
    expect(
      (kms.database().prepare("SELECT secret FROM keys WHERE label = 'old'").get() as { secret: unknown })
        .secret,
    ).toBeNull();
  });
});

describe('the audit chain', () => {
  async function withEvents() {
    const { kms } = await temp.setup();
    for (let i = 0; i < 5; i++) kms.audit('alice', { type: 'test-event', n: i });
    const db = kms.database();
    db.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;'); // an attacker holding the DB key
    return { kms, db };
  }

  it('verifies an untouched chain', async () => {
    const { kms } = await temp.setup();
    expect(kms.verifyAudit()).toEqual({ ok: true, rows: 4, firstBroken: null });
  });

  it('refuses UPDATE and DELETE on the audit table', async () => {
    const { kms } = await temp.setup();
    expect(() => kms.database().prepare("UPDATE audit SET actor = 'x'").run()).toThrow('append-only');
    expect(() => kms.database().prepare('DELETE FROM audit').run()).toThrow('append-only');
  });

  it('names an edited row', async () => {
    const { kms, db } = await withEvents();
    db.prepare(`UPDATE audit SET event = '{"n":9,"type":"test-event"}' WHERE seq = 4`).run();
    expect(kms.verifyAudit()).toMatchObject({ ok: false, firstBroken: 4 });
  });

  it('names the place of a deleted row', async () => {
    const { kms, db } = await withEvents();
    db.prepare('DELETE FROM audit WHERE seq = 3').run();
    expect(kms.verifyAudit()).toMatchObject({ ok: false, firstBroken: 4 });
  });

  it('names reordered rows', async () => {
    const { kms, db } = await withEvents();
    const rows = db.prepare('SELECT * FROM audit WHERE seq IN (2, 5) ORDER BY seq').all() as Record<
      string,
      unknown
    >[];
    db.prepare('DELETE FROM audit WHERE seq IN (2, 5)').run();
    const insert = db.prepare(
      'INSERT INTO audit (seq, at, actor, event, prev_hash, hash) VALUES (@seq, @at, @actor, @event, @prev_hash, @hash)',
    );
    insert.run({ ...rows[1], seq: 2 });
    insert.run({ ...rows[0], seq: 5 });
    expect(kms.verifyAudit()).toMatchObject({ ok: false, firstBroken: 2 });
  });
});

describe('no plaintext secret on disk', () => {
  it('finds no key bytes — raw, hex in either case, or base64 — in the DB, WAL, SHM, keyring or temp folder', async () => {
    const { kms, shares } = await temp.setup();
    const alice = kms.authenticate('alice', 'alice correct horse');
    const bob = kms.authenticate('bob', 'bob battery staple');
    const key = fromHex('0123456789abcdeffedcba9876543210');
    const c1 = new Uint8Array(randomBytes(16));
    const c2 = key.map((b, i) => b ^ c1[i]!);
    const componentsCopy = [c1.slice(), c2.slice()];
    kms.importFromComponents(
      { label: 'known', type: 'AES-128', usage: 'isd-master', expectedKcv: toHex(kcvAes(key)) },
      [
        { custodian: alice, component: c1, kcv: toHex(kcvAes(componentsCopy[0]!)) },
        { custodian: bob, component: c2, kcv: toHex(kcvAes(componentsCopy[1]!)) },
      ],
    );
    const used = kms.getKey('known');
    used.zero();
    // Scan while the WAL still holds the recent pages, then again after the checkpoint on lock.
    const needles = [key, ...componentsCopy].flatMap((k) => {
      const b = Buffer.from(k);
      return [
        b,
        Buffer.from(b.toString('hex')),
        Buffer.from(b.toString('hex').toUpperCase()),
        Buffer.from(b.toString('base64')),
      ];
    });
    const scan = () => {
      const files = readdirSync(temp.dir).map((f) => join(temp.dir, f));
      expect(files.some((f) => f.endsWith('-wal')) || files.length >= 2).toBe(true);
      for (const f of files) {
        const bytes = readFileSync(f);
        for (const n of needles) expect(bytes.includes(n), `${f} holds a key in clear`).toBe(false);
      }
    };
    scan();
    kms.lock();
    scan();
    // A SQLCipher 4 reader (SQLite3 Multiple Ciphers in sqlcipher/legacy=4 mode) opens it only with the right key.
    const reader = new Database(temp.dbPath, { fileMustExist: true });
    reader.pragma(`cipher='sqlcipher'`);
    reader.pragma('legacy=4');
    reader.pragma(`key="x'${'00'.repeat(32)}'"`);
    expect(() => reader.prepare('SELECT count(*) FROM sqlite_master').get()).toThrow(/not a database/);
    reader.close();
    // The shares rebuild the recovery key, which unwraps the DB key kept in the keyring.
    const recoveryKey = await combine([fromHex(shares[0]!.share), fromHex(shares[1]!.share)]);
    const dbKey = unwrapForRecovery(readKeyring(keyringPath(temp.dbPath)), recoveryKey)!;
    const rightful = new Database(temp.dbPath, { fileMustExist: true });
    rightful.pragma(`cipher='sqlcipher'`);
    rightful.pragma('legacy=4');
    rightful.pragma(`key="x'${toHex(dbKey)}'"`);
    expect(rightful.prepare("SELECT label, kcv FROM keys WHERE label = 'known'").all()).toEqual([
      { label: 'known', kcv: toHex(kcvAes(key)) },
    ]);
    rightful.close();
  });
});
