import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempStation } from '../kms/station.fixture.js';
import type { Kms } from '../kms/kms.js';
import { backoffDelay, SyncEngine } from './engine.js';
import { FakeServer } from './fake-server.fixture.js';
import { enqueue } from './outbox.js';
import { SyncHttpError } from './client.js';
import { SyncStore } from './sync-store.js';

const station = tempStation();
let fake: FakeServer;
let engines: SyncEngine[] = [];

beforeEach(async () => {
  fake = await new FakeServer().start();
});
afterEach(async () => {
  await Promise.all(engines.map((e) => e.stop()));
  engines = [];
  await fake.close();
});

function iccid(n: number): string {
  return `8988${String(n).padStart(15, '0')}`;
}

/** Writes `count` card records to the outbox, as perso does, with their keys sealed. */
function writeCards(kms: Kms, from: number, count: number): void {
  const records = kms.records();
  records.db.transaction(() => {
    for (let n = from; n < from + count; n++) {
      const at = new Date(Date.UTC(2026, 0, 1, 0, 0, 0, n)).toISOString();
      const secret = Buffer.from(
        JSON.stringify({
          iccid: iccid(n),
          k: '11'.repeat(16),
          opc: '22'.repeat(16),
          appKeys: { '1': '33'.repeat(16) },
        }),
      );
      enqueue(
        records,
        {
          kind: 'card-personalised',
          ref: iccid(n),
          data: {
            batchId: 'B1',
            iccid: iccid(n),
            imsi: `00101${String(n).padStart(10, '0')}`,
            impi: `imsi-${n}@ims.example`,
            profile: 'obf-demo',
            kcvs: { k: 'abcdef' },
            verifiedAt: at,
          },
          secret,
        },
        at,
      );
    }
  })();
}

async function enrolled(options: Partial<ConstructorParameters<typeof SyncEngine>[0]> = {}) {
  const { kms } = await station.setup();
  const engine = new SyncEngine({
    station: () => (kms.unlocked ? kms : null),
    baseDelayMs: 20,
    maxDelayMs: 200,
    pollMs: 50,
    ...options,
  });
  engines.push(engine);
  await engine.enrol({ serverUrl: fake.url, code: 'ABCD-EFGH-JKLM-NPQR', stationName: 'test' }, [
    'alice',
    'bob',
  ]);
  return { kms, engine, stationId: kms.stationId() };
}

describe('backoff', () => {
  it('is full jitter: uniform below min(cap, base·2^n), never above the cap', () => {
    expect(backoffDelay(0, () => 0, 1000, 300_000)).toBe(0);
    expect(backoffDelay(0, () => 0.999, 1000, 300_000)).toBe(999);
    expect(backoffDelay(3, () => 0.5, 1000, 300_000)).toBe(4000);
    expect(backoffDelay(40, () => 0.999999, 1000, 300_000)).toBeLessThan(300_000);
    expect(backoffDelay(40, () => 0.999999, 1000, 300_000)).toBeGreaterThan(299_000);
    for (let n = 0; n < 20; n++) {
      const d = backoffDelay(n, Math.random, 1000, 300_000);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.min(300_000, 1000 * 2 ** n));
    }
  });
});

describe('the sync engine against a fake server', { timeout: 60_000 }, () => {
  it('enrols (audited), pushes the outbox in batches of 500, and the server gets each record once with its keys', async () => {
    const { kms, engine, stationId } = await enrolled();
    writeCards(kms, 1, 1200);
    const run = await engine.syncOnce();
    expect(run).toMatchObject({ applied: 1200, duplicate: 0, rejected: 0, batches: 3, queue: 0 });
    const applied = fake.applied.get(stationId)!;
    expect([...applied.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
    expect(applied.get(7)!.plaintext).toEqual({
      iccid: iccid(7),
      k: '11'.repeat(16),
      opc: '22'.repeat(16),
      appKeys: { '1': '33'.repeat(16) },
    });
    expect(engine.status()).toMatchObject({ state: 'online', queue: 0, acknowledged: 1200, quarantined: 0 });
    const events = kms
      .database()
      .prepare("SELECT actor, event FROM audit WHERE event LIKE '%sync-enrolled%'")
      .all() as { actor: string; event: string }[];
    expect(events).toHaveLength(1);
    expect(events[0]!.actor).toBe('alice+bob');
    // The audit chain went along: links from the genesis row to the head, each following the last.
    expect(fake.auditLinks[0]!.seq).toBe(0);
    expect(fake.auditLinks.at(-1)!.hash).toBe(kms.auditHead()!.hash);
  });

  it('never applies a record twice when acks are lost, and catches up', async () => {
    const { kms, engine, stationId } = await enrolled();
    writeCards(kms, 1, 1100);
    fake.dropAcks = 1; // the first batch commits; its answer is lost
    await expect(engine.syncOnce()).rejects.toThrow(SyncHttpError);
    expect(engine.status().state).toBe('offline');
    expect(engine.status().queue).toBe(1100);
    const run = await engine.syncOnce();
    expect(run).toMatchObject({ applied: 600, duplicate: 500, queue: 0 });
    expect(fake.applied.get(stationId)!.size).toBe(1100);
    expect(fake.received.get(1)).toBe(2);
    expect(fake.received.get(501)).toBe(1);
  });

  it('recovers from a gap: a server restored from an older backup gets the lost records again', async () => {
    const { kms, engine, stationId } = await enrolled();
    writeCards(kms, 1, 30);
    await engine.syncOnce();
    fake.rollback(stationId, 11);
    writeCards(kms, 31, 5);
    const run = await engine.syncOnce();
    expect(run.applied).toBe(25);
    expect([...fake.applied.get(stationId)!.keys()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 35 }, (_, i) => i + 1),
    );
    expect(new SyncStore(kms.records()).counts()).toMatchObject({ pending: 0, applied: 35 });
  });

  it('takes the server at its word when it already holds records whose ack was lost (SEQ_GAP ahead)', async () => {
    const { kms, engine, stationId } = await enrolled();
    writeCards(kms, 1, 10);
    fake.dropAcks = 1;
    await expect(engine.syncOnce()).rejects.toThrow(SyncHttpError);
    // The server answers the next push with SEQ_GAP: it expects 11, our cursor is still at 1.
    fake.faults.push({ status: 409, code: 'SEQ_GAP', expectedSeq: 11 });
    writeCards(kms, 11, 3);
    const run = await engine.syncOnce();
    expect(run).toMatchObject({ applied: 3, duplicate: 10, queue: 0 });
    expect(fake.applied.get(stationId)!.size).toBe(13);
    expect(fake.received.get(1)).toBe(1); // not sent again: the server said it has it
    expect(engine.quarantine(10)).toEqual([]);
  });

  it('quarantines a rejected record with its reason, audits it, and never sends it again', async () => {
    const { kms, engine } = await enrolled();
    fake.reject = (r) => (r.ref === iccid(3) ? 'ICCID bound to another station' : null);
    writeCards(kms, 1, 5);
    const run = await engine.syncOnce();
    expect(run).toMatchObject({ applied: 4, rejected: 1 });
    expect(engine.quarantine(10)).toEqual([
      expect.objectContaining({ seq: 3, ref: iccid(3), reason: 'ICCID bound to another station' }),
    ]);
    expect(engine.status().quarantined).toBe(1);
    writeCards(kms, 6, 1);
    await engine.syncOnce();
    expect(fake.received.get(3)).toBe(1);
    expect(fake.received.get(6)).toBe(1);
    const audit = kms
      .database()
      .prepare("SELECT event FROM audit WHERE event LIKE '%sync-record-rejected%'")
      .all();
    expect(audit).toHaveLength(1);
  });

  it('honours 429 Retry-After over its own backoff, then goes on', async () => {
    const { kms, engine, stationId } = await enrolled({ pollMs: 60_000 });
    writeCards(kms, 1, 3);
    fake.faults.push({ status: 429, code: 'RATE_LIMITED', retryAfter: '1' });
    const statuses: { state: string; nextAttemptAt: string | null; message: string }[] = [];
    engine.on('status', (s) => statuses.push(s));
    const started = Date.now();
    engine.start();
    await waitFor(() => fake.applied.get(stationId)!.size === 3, 5000);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(statuses.some((s) => /slow down: next try in 1 s/.test(s.message))).toBe(true);
  });

  it('treats an unreachable server as offline, backs off, and catches up when it is back', async () => {
    const { kms, engine, stationId } = await enrolled();
    const url = fake.url;
    await fake.close();
    writeCards(kms, 1, 20);
    engine.start();
    await waitFor(() => engine.status().state === 'offline', 3000);
    expect(engine.status().lastError).toMatch(/cannot be reached/);
    // The server comes back on the same port, with its keys and what it held.
    fake = await new FakeServer(fake).start(Number(new URL(url).port));
    await waitFor(() => fake.applied.get(stationId)!.size === 20, 5000);
    await waitFor(() => engine.status().state === 'online', 2000);
  });

  it('waits while the station is locked and says so; a locked station does not sync', async () => {
    const { kms, engine } = await enrolled();
    writeCards(kms, 1, 2);
    kms.lock();
    expect(engine.status()).toMatchObject({ state: 'locked', queue: null });
    const now = await engine.syncNow();
    expect(now.run).toBeNull();
    expect(now.status.state).toBe('locked');
    expect(fake.batches).toBe(0);
  });

  it('pulls the registry page by page and keeps it', async () => {
    const { engine } = await enrolled();
    const at = '2026-01-01T00:00:00.000Z';
    fake.applications = [
      { appId: 'fleet', name: 'Fleet', provider: 'ACME', state: 'active', updatedAt: at },
      { appId: 'ecall', name: 'eCall', provider: 'EU', state: 'active', updatedAt: at },
    ];
    fake.permissions = [{ iccid: iccid(1), appId: 'fleet', granted: true, updatedAt: at }];
    const run = await engine.syncOnce();
    expect(run.registry).toEqual({ applications: 2, permissions: 1 });
    expect(engine.registry(10).applications.map((a) => a.appId)).toEqual(['ecall', 'fleet']);
    expect(engine.registry(10).permissions).toEqual([fake.permissions[0]]);
    // Nothing new: the cursor stays, nothing more arrives.
    expect((await engine.syncOnce()).registry).toEqual({ applications: 0, permissions: 0 });
  });

  it('refuses an ack not signed by the enrolled server', async () => {
    const { kms, engine } = await enrolled();
    writeCards(kms, 1, 1);
    fake.resign();
    await expect(engine.syncOnce()).rejects.toThrow(/signature does not verify/);
    expect(engine.status().state).toBe('error');
    expect(engine.status().queue).toBe(1);
  });
});

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
