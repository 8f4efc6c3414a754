/**
 * The Resource Server end to end over HTTP on loopback, the same suite against both backends:
 * SQLite (a file in a temp folder) and PostgreSQL (a throwaway cluster; skipped, saying why,
 * where Debian's postgresql package is missing). A test station signs batches itself.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, paths } from '../../core/sync/protocol.js';
import { startResourceServer, type ResourceServer, type ResourceServerOptions } from '../../server/index.js';
import { findPostgres, POSTGRES_MISSING, startPostgres, type PostgresCluster } from '../harness/postgres.js';
import {
  AuditChain,
  cardKeysOf,
  iccidOf,
  postJson,
  TestStation,
  type SecretsOverride,
} from '../harness/server-client.js';

const MASTER = randomBytes(32).toString('hex');
const pgBin = findPostgres();
if (!pgBin) console.warn(`server-sync: the PostgreSQL half is skipped: ${POSTGRES_MISSING}`);

const backends = [
  { name: 'sqlite', available: true },
  { name: 'postgres', available: pgBin !== null },
] as const;

describe.each(backends)('Resource Server on $name', ({ name, available }) => {
  let cluster: PostgresCluster | null = null;
  const dirs: string[] = [];
  const servers: ResourceServer[] = [];
  let dbCount = 0;

  beforeAll(async () => {
    if (name === 'postgres' && available) cluster = await startPostgres();
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  afterAll(async () => {
    await cluster?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A server on a fresh database (a new SQLite folder or a new PostgreSQL database). */
  async function server(extra: Partial<ResourceServerOptions> = {}, databaseUrl?: string) {
    const dataDir = mkdtempSync(join(tmpdir(), 'obf-rs-'));
    dirs.push(dataDir);
    const url =
      databaseUrl ?? (cluster ? await cluster.createDatabase(`t${process.pid}_${++dbCount}`) : undefined);
    const s = await startResourceServer({
      dataDir,
      masterKey: MASTER,
      ...(url ? { databaseUrl: url } : {}),
      ...extra,
    });
    servers.push(s);
    return Object.assign(s, { databaseUrl: url });
  }

  async function enrolled(s: ResourceServer, id = 'st-a') {
    const station = new TestStation(s.url, id);
    const { code } = await s.store.createEnrolCode(`Station ${id}`, 60_000);
    const r = await station.enrol(code);
    expect(r.status).toBe(200);
    return station;
  }

  const it_ = available ? it : it.skip;

  it_(
    'enrols a station with a one-time code and refuses the code again, an unknown code and an expired one',
    async () => {
      const s = await server();
      const { code } = await s.store.createEnrolCode('Lab station', 60_000);
      const a = new TestStation(s.url, 'st-a');
      const r = await a.enrol(code);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        stationId: 'st-a',
        nextSeq: 1,
        serverSigningKey: { kty: 'OKP' },
        serverEncryptionKey: { kty: 'EC', crv: 'P-256' },
      });
      expect(r.body.serverEncryptionKey).not.toHaveProperty('d');
      const again = await new TestStation(s.url, 'st-b').enrol(code);
      expect(again).toMatchObject({ status: 403, body: { error: { code: 'CODE_USED' } } });
      const unknown = await new TestStation(s.url, 'st-b').enrol('AAAA-BBBB-CCCC-DDDD');
      expect(unknown).toMatchObject({ status: 403, body: { error: { code: 'CODE_UNKNOWN' } } });
      const old = await s.store.createEnrolCode('x', 1_000, new Date(Date.now() - 60_000));
      const expired = await new TestStation(s.url, 'st-b').enrol(old.code);
      expect(expired).toMatchObject({ status: 403, body: { error: { code: 'CODE_EXPIRED' } } });
      const bad = await postJson(s.url + paths.enrol, await a.enrolBody('nope'));
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringMatching(/^code: /) as string,
      });
      const sameKey = new TestStation(s.url, 'st-c', a.keys);
      const { code: c2 } = await s.store.createEnrolCode('c', 60_000);
      expect(await sameKey.enrol(c2)).toMatchObject({
        status: 409,
        body: { error: { code: 'STATION_EXISTS' } },
      });
    },
  );

  it_('re-enrols a station under a new key keeping its sequence, and refuses a revoked one', async () => {
    const s = await server();
    const a = await enrolled(s);
    expect((await a.push([await a.card(1, 1), await a.card(2, 2)])).ack?.nextSeq).toBe(3);
    await s.store.revokeStation('st-a');
    expect(await a.push([await a.card(3, 3)])).toMatchObject({
      status: 403,
      body: { error: { code: 'STATION_REVOKED' } },
    });
    expect(await a.pull()).toMatchObject({ status: 403, body: { error: { code: 'STATION_REVOKED' } } });
    const renewed = new TestStation(s.url, 'st-a');
    // A plain code enrols new stations only: it cannot take over st-a.
    const plain = await s.store.createEnrolCode('takeover', 60_000);
    expect(await renewed.enrol(plain.code)).toMatchObject({
      status: 409,
      body: { error: { code: 'STATION_EXISTS', message: expect.stringMatching(/--station st-a/) as string } },
    });
    const other = await s.store.createEnrolCode('for b', 60_000, new Date(), 'st-b');
    expect(await renewed.enrol(other.code)).toMatchObject({
      status: 403,
      body: { error: { code: 'CODE_UNKNOWN' } },
    });
    const { code } = await s.store.createEnrolCode('again', 60_000, new Date(), 'st-a');
    const r = await renewed.enrol(code);
    expect(r.body.nextSeq).toBe(3);
    expect(await a.push([await a.card(3, 3)])).toMatchObject({
      status: 401,
      body: { error: { code: 'BAD_SIGNATURE' } },
    });
    const ok = await renewed.push([await renewed.card(3, 3)]);
    expect(ok.ack?.acks).toEqual([{ seq: 3, status: 'applied' }]);
  });

  it_(
    'applies a batch, answers a resend duplicate, rejects a conflict with its reason, and refuses a gap',
    async () => {
      const s = await server();
      const a = await enrolled(s);
      const recs = [await a.card(1, 1), await a.card(2, 2), await a.card(3, 1)];
      const r = await a.push(recs);
      expect(r.status).toBe(200);
      expect(r.ack).toMatchObject({ stationId: 'st-a', nextSeq: 4, anchor: null });
      expect(r.ack!.acks).toEqual([
        { seq: 1, status: 'applied' },
        { seq: 2, status: 'applied' },
        {
          seq: 3,
          status: 'rejected',
          reason: `ICCID ${iccidOf(1)} already personalised by this station (record 1)`,
        },
      ]);
      // The answer was lost: the station signs the same records again (a new jti).
      const again = await a.push([...recs, await a.card(4, 4)]);
      expect(again.ack!.acks.map((x) => x.status)).toEqual([
        'duplicate',
        'duplicate',
        'duplicate',
        'applied',
      ]);
      const gap = await a.push([await a.card(7, 7)]);
      expect(gap).toMatchObject({ status: 409, body: { error: { code: 'SEQ_GAP', expectedSeq: 5 } } });
      const rows = await s.store.records('st-a');
      expect(rows.map((x) => [x.seq, x.status])).toEqual([
        [1, 'applied'],
        [2, 'applied'],
        [3, 'rejected'],
        [4, 'applied'],
      ]);
      expect((await s.store.listDevices()).map((d) => d.iccid)).toEqual([iccidOf(1), iccidOf(2), iccidOf(4)]);
    },
  );

  it_(
    'rejects a record whose secret is missing from the batch or names another card, and seals what it keeps',
    async () => {
      const s = await server();
      const a = await enrolled(s);
      const records = [
        await a.card(1, 1),
        await a.card(2, 2, { secretIccid: iccidOf(9) }),
        await a.card(3, 3),
      ];
      const secrets = new Map([1, 2].map((seq) => [seq, a.secrets.get(seq)]));
      const r = await a.push(records, [], {}, { secrets });
      expect(r.ack!.acks).toEqual([
        { seq: 1, status: 'applied' },
        {
          seq: 2,
          status: 'rejected',
          reason: `record 2 (card:${iccidOf(2)}): the secret is for ICCID ${iccidOf(9)}, the record for ${iccidOf(2)}`,
        },
        {
          seq: 3,
          status: 'rejected',
          reason: `record 3 (card:${iccidOf(3)}): no secret for record 3 in the batch's secrets`,
        },
      ]);
      // At rest the card's keys are sealed (AES-256-GCM), not clear and not the station's JWE.
      const row = await s.store.db
        .selectFrom('devices')
        .select('secret_sealed')
        .where('iccid', '=', iccidOf(1))
        .executeTakeFirstOrThrow();
      const raw = Buffer.from(row.secret_sealed, 'base64').toString('latin1');
      for (const key of Object.values(cardKeysOf(1))) {
        expect(row.secret_sealed).not.toContain(key);
        expect(raw).not.toContain(key);
      }
      expect(row.secret_sealed.split('.')).toHaveLength(1);
      expect((await s.store.device(iccidOf(1))).serverKcvs).toHaveProperty('k');
    },
  );

  it_(
    'refuses a batch whose secrets were made for another batch, name a seq that is no record of it, or are missing',
    async () => {
      const s = await server();
      const a = await enrolled(s);
      const card = await a.card(1, 1);
      const refused = async (over: SecretsOverride, records = [card]) => {
        const r = await a.push(records, [], {}, over);
        expect(r).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
        return r.body.error!.message;
      };
      expect(await refused({ secretsJti: 'another-batch' })).toBe('secrets: made for another batch');
      expect(await refused({ secrets: new Map([1, 7].map((seq) => [seq, a.secrets.get(1)])) })).toBe(
        'secrets: seq 7 names no record of this batch',
      );
      expect(await refused({ secrets: null })).toMatch(/^secrets: /);
      expect(await refused({ secrets: new Map() }, [])).toMatch(/^secrets: /);
      // None of them applied anything: the record is still the server's next.
      expect((await a.push([card])).ack!.acks).toEqual([{ seq: 1, status: 'applied' }]);
    },
  );

  it_(
    'refuses a replayed batch, a stale one, a tampered signature, an unknown station, a malformed and a too large body',
    async () => {
      const s = await server();
      const a = await enrolled(s);
      const jws = await a.signBatch([await a.card(1, 1)]);
      expect((await a.pushJws(jws)).status).toBe(200);
      expect(await a.pushJws(jws)).toMatchObject({ status: 409, body: { error: { code: 'REPLAYED' } } });
      const stale = await a.signBatch([], [], { iat: Math.floor(Date.now() / 1000) - 3600 });
      expect(await a.pushJws(stale)).toMatchObject({
        status: 401,
        body: { error: { code: 'STALE', message: expect.stringMatching(/in the past/) as string } },
      });
      const [h, p, sig] = (await a.signBatch([])).split('.');
      const tampered = `${h}.${p}.${sig!.slice(0, -4)}${sig!.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      expect(await a.pushJws(tampered)).toMatchObject({
        status: 401,
        body: { error: { code: 'BAD_SIGNATURE' } },
      });
      const stranger = new TestStation(s.url, 'st-x');
      stranger.server = a.server;
      expect(await stranger.push([])).toMatchObject({
        status: 401,
        body: { error: { code: 'UNKNOWN_STATION' } },
      });
      const bad = await postJson(s.url + paths.batches, { jws: 'x', extra: 1 });
      expect(bad).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
      expect(bad.body.error!.message).toMatch(/jws: a compact JOSE/);
      const notJson = await postJson(s.url + paths.batches, '{"jws":');
      expect(notJson).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
      const malformedRecord = await a.signBatch([
        { ...(await a.card(2, 2)), data: { iccid: '12' } } as never,
      ]);
      const m = await a.pushJws(malformedRecord);
      expect(m).toMatchObject({
        status: 400,
        body: {
          error: { code: 'BAD_REQUEST', message: expect.stringMatching(/records\.0\.data/) as string },
        },
      });
      const big = await postJson(s.url + paths.batches, { jws: 'a'.repeat(MAX_BODY_BYTES) });
      expect(big).toMatchObject({ status: 413, body: { error: { code: 'TOO_LARGE' } } });
    },
  );

  it_(
    'rejects a second station personalising the same ICCID and a binding for an unknown device',
    async () => {
      const s = await server();
      const a = await enrolled(s, 'st-a');
      const b = await enrolled(s, 'st-b');
      await a.push([await a.card(1, 1)]);
      const r = await b.push([await b.card(1, 1), await b.kyc(2, 'bind', 5, 'bd-5')]);
      expect(r.ack!.acks).toEqual([
        { seq: 1, status: 'rejected', reason: `ICCID ${iccidOf(1)} already personalised by station st-a` },
        { seq: 2, status: 'rejected', reason: `unknown device ICCID ${iccidOf(5)}` },
      ]);
      expect(r.ack!.nextSeq).toBe(3);
    },
  );

  it_('keeps the custody history: bind, a second bind refused, transfer, withdraw, erase', async () => {
    const s = await server();
    const a = await enrolled(s);
    const r = await a.push([
      await a.card(1, 1),
      await a.kyc(2, 'bind', 1, 'b1'),
      await a.kyc(3, 'bind', 1, 'b2'),
      await a.kyc(4, 'transfer', 1, 'b3', 'b9'),
      await a.kyc(5, 'transfer', 1, 'b3', 'b1', { name: 'Grace Hopper' }),
      await a.kyc(6, 'erase', 1, 'b3'),
      await a.kyc(7, 'withdraw', 1, 'b3'),
      await a.kyc(8, 'erase', 1, 'b3'),
    ]);
    expect(r.ack!.acks.map((x) => x.reason ?? x.status)).toEqual([
      'applied',
      'applied',
      'ICCID 8944000000000000001 already bound to custodian cust-b1 (binding b1); transfer it',
      'transfer supersedes b9 but the active binding of ICCID 8944000000000000001 is b1',
      'applied',
      'binding b3 is still active; withdraw or transfer it first',
      'applied',
      'applied',
    ]);
    const h = await s.store.bindings(iccidOf(1));
    expect(h.bindings.map((b) => [b.bindingId, b.state, b.hasPersonalData])).toEqual([
      ['b1', 'superseded', true],
      ['b3', 'withdrawn', false],
    ]);
    expect(h.events.map((e) => e.action)).toEqual(['bind', 'transfer', 'withdraw', 'erase']);
    expect(JSON.stringify(h)).not.toContain('Ada');
    const revealed = await s.store.bindings(iccidOf(1), true);
    expect(revealed.bindings[0]!.personalData).toEqual({ bindingId: 'b1', name: 'Ada Lovelace' });
    expect((await s.store.listDevices())[0]).toMatchObject({
      state: 'personalised',
      eid: '89049032000000000000000000000001',
    });
  });

  it_('computes the KCVs of a stored card key server-side', async () => {
    const s = await server();
    const a = await enrolled(s);
    await a.push([await a.card(1, 1)]);
    const d = await s.store.device(iccidOf(1));
    expect(Object.keys(d.serverKcvs)).toEqual(['k', 'opc', 'app1']);
    for (const v of Object.values(d.serverKcvs)) expect(v).toMatch(/^[0-9a-f]{6}$/);
  });

  it_('anchors the audit head, accepts a resend of anchored links, and refuses a fork', async () => {
    const s = await server();
    const a = await enrolled(s);
    const chain = new AuditChain();
    chain.append(3);
    const r1 = await a.push([], chain.since(0));
    expect(r1.ack!.anchor).toEqual({ seq: 3, hash: chain.links[2]!.hash });
    chain.append(2);
    // The station never saw r1's answer: it sends everything since genesis again.
    const r2 = await a.push([], chain.since(0));
    expect(r2.ack!.anchor).toEqual({ seq: 5, hash: chain.links[4]!.hash });
    const fork = new AuditChain('forked');
    fork.append(6);
    const f = await a.push([], fork.since(5));
    expect(f).toMatchObject({
      status: 409,
      body: {
        error: {
          code: 'AUDIT_FORK',
          message: expect.stringMatching(/does not extend the anchored head/) as string,
        },
      },
    });
    const rewritten = await a.push([], fork.since(0));
    expect(rewritten).toMatchObject({ status: 409, body: { error: { code: 'AUDIT_FORK' } } });
    expect((await s.store.anchors('st-a')).map((x) => x.seq)).toEqual([3, 5]);
  });

  it_('serves registry changes after a cursor, page by page, signed', async () => {
    const s = await server({ registryPageSize: 2 });
    const a = await enrolled(s);
    await a.push([await a.card(1, 1)]);
    await s.store.addApplication({ appId: 'app.meter', name: 'Meter', provider: 'ACME' });
    await s.store.addApplication({ appId: 'app.track', name: 'Tracker', provider: 'ACME' });
    // Another station's device: its permission is never served to this station.
    const b = await enrolled(s, 'st-b');
    await b.push([await b.card(1, 900)]);
    await s.store.permit(iccidOf(900), 'app.meter', true);
    await s.store.permit(iccidOf(1), 'app.meter', true);
    const p1 = await a.pull();
    expect(p1.registry).toMatchObject({ more: true, permissions: [] });
    expect(p1.registry!.applications.map((x) => x.appId)).toEqual(['app.meter', 'app.track']);
    const p2 = await a.pull(p1.registry!.cursor);
    expect(p2.registry).toMatchObject({
      more: false,
      applications: [],
      permissions: [{ iccid: iccidOf(1), appId: 'app.meter', granted: true }],
    });
    const p3 = await a.pull(p2.registry!.cursor);
    expect(p3.registry).toMatchObject({
      more: false,
      applications: [],
      permissions: [],
      cursor: p2.registry!.cursor,
    });
    await s.store.setApplicationState('app.track', 'suspended');
    const p4 = await a.pull(p3.registry!.cursor);
    expect(p4.registry!.applications).toMatchObject([{ appId: 'app.track', state: 'suspended' }]);
    const wrongPath = await a.pull('0', await a.signRequest('/v1/elsewhere'));
    expect(wrongPath).toMatchObject({ status: 401, body: { error: { code: 'BAD_SIGNATURE' } } });
    const token = await a.signRequest(paths.registry);
    expect((await a.pull(undefined, token)).status).toBe(200);
    expect(await a.pull(undefined, token)).toMatchObject({
      status: 409,
      body: { error: { code: 'REPLAYED' } },
    });
    const res = await fetch(s.url + paths.registry);
    expect(res.status).toBe(400);
  });

  it_('answers 429 with Retry-After above the rate limit', async () => {
    const s = await server({ rateLimit: { batchesPerSecond: 1 } });
    const a = await enrolled(s);
    expect((await a.push([])).status).toBe(200);
    const r = await a.push([]);
    expect(r).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED' } } });
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it_('serves /healthz, /metrics and /openapi.json', async () => {
    const s = await server();
    const a = await enrolled(s);
    await a.push([await a.card(1, 1)]);
    await a.push([await a.card(5, 5)]);
    expect(await (await fetch(s.url + paths.health)).json()).toMatchObject({ ok: true, backend: name });
    const metrics = await (await fetch(s.url + paths.metrics)).text();
    expect(metrics).toMatch(/^obf_records_total\{status="applied"\} 1$/m);
    expect(metrics).toMatch(/^obf_refusals_total\{code="SEQ_GAP"\} 1$/m);
    expect(metrics).toMatch(/obf_request_duration_seconds_count\{route="\/v1\/batches"\} 2/);
    const doc = (await (await fetch(s.url + paths.openapi)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([paths.enrol, paths.batches, paths.registry]),
    );
  });

  // Several instances on one database is a PostgreSQL deployment; SQLite is one process's file.
  if (name === 'postgres')
    it_(
      'two server instances on one database take the same station’s batches concurrently, each record once',
      async () => {
        const s1 = await server();
        const s2 = await server({}, s1.databaseUrl);
        const a = await enrolled(s1);
        const viaB = new TestStation(s2.url, 'st-a', a.keys);
        viaB.server = a.server;
        const statuses = new Map<number, string[]>();
        for (let start = 1; start <= 200; start += 20) {
          const recs = await Promise.all(Array.from({ length: 20 }, (_, i) => a.card(start + i, start + i)));
          for (const r of recs) viaB.secrets.set(r.seq, a.secrets.get(r.seq));
          // The same records reach both instances at once (a retry through the load balancer).
          const [r1, r2] = await Promise.all([a.push(recs), viaB.push(recs)]);
          for (const r of [r1, r2]) {
            expect(r.status).toBe(200);
            for (const x of r.ack!.acks) statuses.set(x.seq, [...(statuses.get(x.seq) ?? []), x.status]);
          }
        }
        for (let seq = 1; seq <= 200; seq++)
          expect(statuses.get(seq)!.sort()).toEqual(['applied', 'duplicate']);
        const rows = await s1.store.records('st-a');
        expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
        expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['applied']));
      },
    );
});
