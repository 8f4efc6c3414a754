/**
 * The Resource Server's HTTP face (Fastify): enrolment, push, pull, health, metrics and the
 * OpenAPI document. Every body is validated with the protocol's zod schemas and every refusal
 * is the protocol's `problem` shape with a stable code. The logger never sees bodies: they
 * carry the batches' secrets JWEs.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { z } from 'zod';
import {
  AUTH_SCHEME,
  batchPayload,
  describeIssues,
  enrolRequest,
  JWS_TYP,
  MAX_BODY_BYTES,
  MAX_CLOCK_SKEW_S,
  paths,
  peekJwsPayload,
  PROTOCOL_VERSION,
  ProtocolError,
  pushRequest,
  requestClaims,
  signJws,
  verifyJws,
  type ProtocolErrorCode,
  type RegistryPayload,
} from '../core/sync/protocol.js';
import type { Metrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { openBatchSecrets } from './secrets.js';
import type { ServerStore } from './store/server-store.js';

const statusOf: Record<ProtocolErrorCode, number> = {
  BAD_REQUEST: 400,
  BAD_SIGNATURE: 401,
  UNKNOWN_STATION: 401,
  STATION_REVOKED: 403,
  STATION_EXISTS: 409,
  REPLAYED: 409,
  STALE: 401,
  SEQ_GAP: 409,
  AUDIT_FORK: 409,
  CODE_UNKNOWN: 403,
  CODE_USED: 403,
  CODE_EXPIRED: 403,
  TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** Database errors that mean "try again shortly", not "this request is wrong". */
const TRANSIENT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '40001',
  '40P01',
  'SQLITE_BUSY',
]);

export interface HttpOptions {
  store: ServerStore;
  metrics: Metrics;
  now: () => Date;
  registryPageSize: number;
  rateLimit?: { batchesPerSecond: number };
}

export function buildApp(o: HttpOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: MAX_BODY_BYTES, return503OnClosing: true });
  const limiter = o.rateLimit ? new TokenBuckets(o.rateLimit.batchesPerSecond) : null;

  const refuse = (reply: FastifyReply, e: ProtocolError) => {
    o.metrics.refusal(e.code);
    const status = statusOf[e.code];
    if (e.code === 'UNAVAILABLE') void reply.header('retry-after', '1');
    return reply
      .code(status)
      .type('application/json')
      .send({
        error: {
          code: e.code,
          message: e.message,
          ...(e.expectedSeq !== undefined ? { expectedSeq: e.expectedSeq } : {}),
        },
      });
  };

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, _req, reply) => {
    if (err instanceof ProtocolError) return refuse(reply, err);
    if (err instanceof RateLimited) {
      void reply.header('retry-after', String(err.retryAfterS));
      return refuse(reply, new ProtocolError('RATE_LIMITED', err.message));
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return refuse(reply, new ProtocolError('TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES} bytes`));
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return refuse(reply, new ProtocolError('BAD_REQUEST', 'the body must be application/json'));
    if (err.statusCode === 400 || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
      return refuse(reply, new ProtocolError('BAD_REQUEST', `the body is not JSON (${err.message})`));
    if (err.code && TRANSIENT.has(err.code))
      return refuse(
        reply,
        new ProtocolError('UNAVAILABLE', `the database is unavailable (${err.code}); retry`),
      );
    return refuse(reply, new ProtocolError('INTERNAL', `internal error: ${err.message}`));
  });
  app.setNotFoundHandler((req, reply) =>
    refuse(
      reply,
      new ProtocolError('BAD_REQUEST', `no such endpoint: ${req.method} ${req.url.split('?')[0]}`),
    ),
  );
  app.addHook('onResponse', (req, reply, done) => {
    o.metrics.duration(req.routeOptions.url ?? 'unmatched', reply.elapsedTime / 1000);
    done();
  });

  app.get(paths.health, async (_req, reply) => {
    try {
      await o.store.ping();
    } catch (e) {
      throw new ProtocolError('UNAVAILABLE', `the database is unreachable: ${(e as Error).message}`);
    }
    return reply.send({ ok: true, backend: o.store.backend, serverId: o.store.keys.serverId });
  });
  app.get(paths.metrics, async (_req, reply) =>
    reply.type('text/plain; version=0.0.4').send(o.metrics.text()),
  );
  const doc = openApiDocument();
  app.get(paths.openapi, async (_req, reply) => reply.send(doc));

  app.post(paths.enrol, async (req, reply) => {
    const body = parse(enrolRequest, req.body);
    return reply.send(await o.store.enrol(body, o.now()));
  });

  app.post(paths.batches, async (req, reply) => {
    const { jws } = parse(pushRequest, req.body);
    const stationId = stationOf(peekJwsPayload(jws));
    limiter?.take(stationId);
    const key = await stationKey(o.store, stationId);
    const batch = await verifyJws(jws, key, JWS_TYP.batch, batchPayload);
    const now = o.now();
    checkIat(batch.iat, now);
    // One key agreement for the whole batch (core/sync/batch-secrets.ts). Records the server
    // already holds are answered `duplicate`: their secrets need no check or sealing.
    const nextSeq = (await o.store.nextSeq(stationId)) ?? 1;
    const secrets = await openBatchSecrets(batch, nextSeq, o.store.keys);
    const outcome = await o.store.applyBatch(batch, secrets, now);
    o.metrics.batch(outcome);
    const signed = await signJws(
      { ...outcome.ack, at: now.toISOString() },
      o.store.keys.signing,
      JWS_TYP.ack,
    );
    return reply.send({ jws: signed });
  });

  app.get(paths.registry, async (req, reply) => {
    const header = req.headers.authorization ?? '';
    const [scheme, token] = header.split(' ');
    if (scheme !== AUTH_SCHEME || !token)
      throw new ProtocolError(
        'BAD_REQUEST',
        `the Authorization header must be "${AUTH_SCHEME} <compact JWS>"`,
      );
    const stationId = stationOf(peekJwsPayload(token));
    const key = await stationKey(o.store, stationId);
    const claims = await verifyJws(token, key, JWS_TYP.request, requestClaims);
    const now = o.now();
    checkIat(claims.iat, now);
    // The claims name the request: its path alone or with its query, as the station signed it.
    const [path] = req.url.split('?');
    if (claims.method !== req.method || (claims.path !== req.url && claims.path !== path))
      throw new ProtocolError(
        'BAD_SIGNATURE',
        `the request was signed for ${claims.method} ${claims.path}, not ${req.method} ${req.url}`,
      );
    const since = (req.query as Record<string, unknown>).since ?? '0';
    if (typeof since !== 'string' || !/^\d{1,15}$/.test(since))
      throw new ProtocolError('BAD_REQUEST', 'since: a registry cursor (digits) from a previous answer');
    await o.store.spendRequestJti(stationId, claims.jti, claims.iat, now);
    const changes = await o.store.registryChanges(stationId, Number(since), o.registryPageSize);
    const payload: RegistryPayload = { protocol: PROTOCOL_VERSION, stationId, ...changes };
    return reply.send({ jws: await signJws(payload, o.store.keys.signing, JWS_TYP.registry) });
  });

  return app;
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new ProtocolError('BAD_REQUEST', describeIssues(r.error));
  return r.data;
}

function stationOf(payload: unknown): string {
  const id = (payload as { stationId?: unknown } | null)?.stationId;
  if (typeof id !== 'string' || id === '')
    throw new ProtocolError('BAD_REQUEST', 'stationId: missing from the signed payload');
  return id;
}

async function stationKey(store: ServerStore, stationId: string) {
  const st = await store.stationKey(stationId);
  if (!st) throw new ProtocolError('UNKNOWN_STATION', `unknown station ${stationId}`);
  if (st.state === 'revoked') throw new ProtocolError('STATION_REVOKED', `station ${stationId} is revoked`);
  return st.jwk;
}

function checkIat(iat: number, now: Date): void {
  const drift = iat - Math.floor(now.getTime() / 1000);
  if (Math.abs(drift) > MAX_CLOCK_SKEW_S)
    throw new ProtocolError(
      'STALE',
      `iat is ${Math.abs(drift)} s ${drift < 0 ? 'in the past' : 'in the future'}; at most ${MAX_CLOCK_SKEW_S} s allowed`,
    );
}

class RateLimited extends Error {
  constructor(readonly retryAfterS: number) {
    super(`too many batches; retry after ${retryAfterS} s`);
  }
}

/** One token bucket per station: `rate` batches a second, bursts up to `rate`. */
class TokenBuckets {
  private buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly rate: number) {}
  take(key: string): void {
    const now = performance.now() / 1000;
    const cap = Math.max(1, this.rate);
    const b = this.buckets.get(key) ?? { tokens: cap, at: now };
    b.tokens = Math.min(cap, b.tokens + (now - b.at) * this.rate);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) throw new RateLimited(Math.max(1, Math.ceil((1 - b.tokens) / this.rate)));
    b.tokens -= 1;
  }
}
