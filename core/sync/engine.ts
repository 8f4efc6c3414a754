/**
 * The station's sync engine (DESIGN.md §6; the Resource Server is clause 7.1.2, the registry
 * 9.2.2). In the background it pushes the outbox in sequence — batches signed by the station
 * key, secrets as JWE to the server — records each answer with its cursor in one transaction,
 * then pulls the application registry. Offline is a normal state: it waits with exponential
 * backoff and full jitter, honours 429/503 Retry-After, and catches up when the server is back.
 * It needs the station unlocked (the outbox secrets and the signing key are in the KMS) and
 * says so while it is locked.
 *
 * Exactly once: a record is marked sent only by a verified, signed ack; a lost ack means the
 * same records go again under a new signature, and the server answers `duplicate`.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { SyncRunResult, SyncState, SyncStatus } from '../api/contract-sync.js';
import { ObfError, isObfError } from '../errors.js';
import type { Kms, StationRecords } from '../kms/kms.js';
import { BatchStore } from '../perso/batch-store.js';
import { checkServerUrl, exchange, SyncHttpError, type HttpOptions } from './client.js';
import { encryptBatchSecrets } from './batch-secrets.js';
import { outboxAad } from './outbox.js';
import {
  ackPayload,
  AUTH_SCHEME,
  enrolResponse,
  MAX_AUDIT_LINKS,
  MAX_BATCH_RECORDS,
  paths,
  PROTOCOL_VERSION,
  publicJwk,
  pushResponse,
  registryPayload,
  signJws,
  verifyJws,
  type AckPayload,
  type BatchPayload,
  type EnrolRequest,
  type SyncRecord,
} from './protocol.js';
import { SyncStore, type Anchor, type Enrolment, type OutboxRow } from './sync-store.js';

export interface SyncEngineOptions {
  /** The unlocked station, or null while it is locked. */
  station: () => Kms | null;
  fetch?: typeof fetch;
  now?: () => Date;
  /** [0, 1): the jitter source (tests pass a fixed one). */
  random?: () => number;
  /** How often an idle engine looks for new outbox records. */
  pollMs?: number;
  /** Backoff: the first retry waits up to baseDelayMs, doubling to at most maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  requestTimeoutMs?: number;
  /** Records per batch (at most the protocol's MAX_BATCH_RECORDS). */
  batchRecords?: number;
  /** Longest Retry-After the engine obeys as given; a longer one is capped here. */
  maxRetryAfterMs?: number;
  /** Called per acknowledged batch with its round trip (POST to verified ack): benchmarks. */
  onBatch?: (batch: { records: number; roundTripMs: number; prepareMs: number }) => void;
}

/** Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): uniform in [0, min(cap, base·2^n)). */
export function backoffDelay(attempt: number, random: () => number, baseMs: number, capMs: number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

interface Context {
  kms: Kms;
  records: StationRecords;
  store: SyncStore;
  enrolment: Enrolment;
  signingKey: KeyObject;
  http: HttpOptions;
}

interface Prepared {
  jti: string;
  jws: string;
  firstSeq: number;
  lastSeq: number;
  sent: { seq: number; kind: string; ref: string }[];
  /** The anchor the server will hold once it accepts this batch's audit links. */
  anchorAfter: Anchor | null;
  prepareMs: number;
}

class NotEnrolled extends Error {}

const emptyRun = (): SyncRunResult => ({
  applied: 0,
  duplicate: 0,
  rejected: 0,
  batches: 0,
  queue: 0,
  registry: { applications: 0, permissions: 0 },
});

export class SyncEngine extends EventEmitter<{ status: [SyncStatus] }> {
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly pollMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;
  private readonly batchRecords: number;
  private readonly maxRetryAfterMs: number;

  private state: SyncState = 'not-enrolled';
  private message = 'Not enrolled with a Resource Server.';
  private lastError: string | null = null;
  private nextAttemptAt: string | null = null;
  private attempt = 0;
  private lastEmit = 0;
  private abort = new AbortController();
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  /** The last counts seen while unlocked, shown while locked as null (the outbox is encrypted). */
  private lastCounts: { queue: number; quarantined: number; acknowledged: number } | null = null;

  constructor(private readonly options: SyncEngineOptions) {
    super();
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.pollMs = options.pollMs ?? 10_000;
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.batchRecords = Math.min(options.batchRecords ?? MAX_BATCH_RECORDS, MAX_BATCH_RECORDS);
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60 * 60_000;
  }

  // ── Lifecycle ──────────────────────────────────────────────────────────────────────────

  /** Starts the background loop (idempotent). */
  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  /** Stops the loop and any request in flight; resolves once nothing runs. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wakeUp?.();
    await this.loop;
    await this.chain.catch(() => undefined);
    this.loop = null;
  }

  /** Ends the current wait (the station unlocked, a record was written, "sync now"). */
  wake(): void {
    this.wakeUp?.();
  }

  status(): SyncStatus {
    const kms = this.options.station();
    let enrolment: Enrolment | null = null;
    let counts = null;
    let lastSyncAt: string | null = null;
    if (kms) {
      try {
        const store = new SyncStore(kms.records());
        enrolment = store.enrolment();
        const c = store.counts();
        counts = { queue: c.pending, quarantined: c.rejected, acknowledged: c.applied + c.duplicate };
        this.lastCounts = counts;
        lastSyncAt = store.lastSyncAt();
      } catch (e) {
        if (!isObfError(e, 'KMS_LOCKED')) throw e;
      }
    }
    const state: SyncState = !kms ? 'locked' : !enrolment ? 'not-enrolled' : this.state;
    const message =
      state === 'locked'
        ? 'The station is locked: sync waits for a login (the outbox and the signing key are in the KMS).'
        : state === 'not-enrolled'
          ? 'Not enrolled with a Resource Server: enrol with a one-time code from its administrator.'
          : this.message;
    return {
      state,
      message,
      enrolment: enrolment
        ? {
            serverUrl: enrolment.serverUrl,
            serverId: enrolment.serverId,
            stationId: enrolment.stationId,
            stationName: enrolment.stationName,
            enrolledAt: enrolment.enrolledAt,
            enrolledBy: enrolment.enrolledBy,
          }
        : null,
      queue: counts?.queue ?? null,
      quarantined: counts?.quarantined ?? null,
      acknowledged: counts?.acknowledged ?? null,
      lastSyncAt,
      lastError: this.lastError,
      nextAttemptAt: this.nextAttemptAt,
    };
  }

  // ── Operations ─────────────────────────────────────────────────────────────────────────

  /**
   * Enrols the station with a server using its administrator's one-time code. The caller has
   * checked who approves it (dual control); `approvedBy` goes to the audit event.
   */
  async enrol(
    input: { serverUrl: string; code: string; stationName?: string },
    approvedBy: string[],
  ): Promise<SyncStatus> {
    const serverUrl = toObf(() => checkServerUrl(input.serverUrl));
    const kms = this.requireStation();
    const signingKey = this.signingKey(kms);
    const stationId = kms.stationId();
    const stationName = input.stationName ?? hostname().slice(0, 128);
    const request: EnrolRequest = {
      protocol: PROTOCOL_VERSION,
      code: input.code,
      stationId,
      stationName,
      signingKey: (await publicJwk(signingKey)) as EnrolRequest['signingKey'],
    };
    const answer = await toObfAsync(() =>
      exchange(
        serverUrl + paths.enrol,
        { method: 'POST', body: request },
        enrolResponse,
        this.http(this.abort.signal),
      ),
    );
    if (answer.stationId !== stationId)
      throw new ObfError(
        'BAD_RESPONSE',
        `the server enrolled station "${answer.stationId}", not this one ("${stationId}")`,
      );
    // A server key this station cannot encrypt to is refused now, not at the first push.
    await encryptBatchSecrets(new Map(), answer.serverEncryptionKey, 'enrol-check').catch((e: unknown) => {
      throw new ObfError(
        'BAD_RESPONSE',
        `the server's encryption key is not a P-256 key (${e instanceof Error ? e.message : String(e)})`,
      );
    });
    const store = new SyncStore(kms.records());
    store.saveEnrolment(
      {
        serverUrl,
        stationId,
        stationName,
        serverId: answer.serverId,
        serverSigningKey: answer.serverSigningKey,
        serverEncryptionKey: answer.serverEncryptionKey,
        enrolledAt: this.now().toISOString(),
        enrolledBy: approvedBy.join('+'),
      },
      answer.nextSeq,
      approvedBy,
    );
    this.setState('online', `Enrolled with ${answer.serverId} at ${serverUrl}.`);
    this.attempt = 0;
    this.wake();
    return this.emitStatus(true);
  }

  /** One catch-up run: push until the queue is empty, then pull the registry. Throws on failure. */
  syncOnce(): Promise<SyncRunResult> {
    return this.exclusive(async () => {
      try {
        const result = await this.round(this.abort.signal);
        this.attempt = 0;
        return result;
      } catch (e) {
        this.describeFailure(e);
        this.emitStatus(true);
        throw e;
      }
    });
  }

  /** "Sync now" from the UI: a run at once, the backoff reset; failures land in the status. */
  async syncNow(): Promise<{ status: SyncStatus; run: SyncRunResult | null }> {
    this.attempt = 0;
    try {
      const run = await this.syncOnce();
      return { status: this.status(), run };
    } catch (e) {
      if (e instanceof NotEnrolled || isObfError(e, 'KMS_LOCKED') || e instanceof SyncHttpError)
        return { status: this.status(), run: null };
      throw e;
    } finally {
      this.wake();
    }
  }

  quarantine(limit: number) {
    return new SyncStore(this.requireStation().records()).quarantine(limit);
  }

  registry(limit: number) {
    return new SyncStore(this.requireStation().records()).registry(limit);
  }

  // ── The background loop ────────────────────────────────────────────────────────────────

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let waitMs = this.pollMs;
      try {
        await this.exclusive(() => this.round(signal));
        this.attempt = 0;
      } catch (e) {
        if (signal.aborted) break;
        waitMs = this.describeFailure(e);
      }
      this.nextAttemptAt = new Date(this.now().getTime() + waitMs).toISOString();
      this.emitStatus(true);
      await this.sleep(waitMs, signal);
      this.nextAttemptAt = null;
    }
  }

  /** Sets the state for a failed round and answers how long to wait before the next. */
  private describeFailure(e: unknown): number {
    if (e instanceof NotEnrolled) {
      this.setState('not-enrolled', 'Not enrolled with a Resource Server.');
      return this.pollMs;
    }
    if (isObfError(e, 'KMS_LOCKED')) {
      this.setState('locked', 'The station is locked: sync waits for a login.');
      return this.pollMs;
    }
    const delay = backoffDelay(this.attempt, this.random, this.baseDelayMs, this.maxDelayMs);
    this.attempt += 1;
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof SyncHttpError) {
      const after = e.details.retryAfterMs;
      if (e.kind === 'offline') {
        this.lastError = message;
        this.setState('offline', `${message}. Retrying in ${seconds(delay)}.`);
        return delay;
      }
      if (e.kind === 'rate-limited' || e.kind === 'unavailable') {
        // The server said when to come back: that wins over our own backoff (RFC 9110 §10.2.3).
        const wait = after !== undefined ? Math.min(after, this.maxRetryAfterMs) : delay;
        this.lastError = message;
        this.setState(
          'online',
          e.kind === 'rate-limited'
            ? `The server asked us to slow down: next try in ${seconds(wait)}.`
            : `The server is unavailable: next try in ${seconds(wait)}.`,
        );
        return wait;
      }
    }
    this.lastError = message;
    this.setState('error', `Sync stopped: ${message}. Retrying in ${seconds(delay)}.`);
    return delay;
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.wakeUp === done) this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wakeUp = done;
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  // ── One round: push everything, then pull ──────────────────────────────────────────────

  private async round(signal: AbortSignal): Promise<SyncRunResult> {
    const ctx = this.context(signal);
    const result = emptyRun();
    if (this.state !== 'online') this.setState('syncing', 'Sending records to the server.');
    await this.pushAll(ctx, signal, result);
    const registry = await this.pullRegistry(ctx, signal);
    result.registry = registry;
    result.queue = ctx.store.counts().pending;
    this.lastError = null;
    this.setState(
      'online',
      `Online: ${result.applied + result.duplicate} records acknowledged, ${result.rejected} rejected this run.`,
    );
    return result;
  }

  private context(signal: AbortSignal): Context {
    const kms = this.options.station();
    if (!kms) throw new ObfError('KMS_LOCKED', 'the station is locked');
    const records = kms.records();
    const store = new SyncStore(records);
    const enrolment = store.enrolment();
    if (!enrolment) throw new NotEnrolled('not enrolled');
    return {
      kms,
      records,
      store,
      enrolment,
      signingKey: this.signingKey(kms),
      http: this.http(signal),
    };
  }

  private http(signal: AbortSignal): HttpOptions {
    return { fetch: this.fetchImpl, signal, timeoutMs: this.timeoutMs, now: this.now };
  }

  /**
   * Pushes batch after batch from the server's next expected sequence. The next batch is
   * prepared (secrets encrypted, signed) while the current one is on the wire; it is thrown
   * away if the answer moves the sequence or the anchor somewhere else than expected.
   */
  private async pushAll(ctx: Context, signal: AbortSignal, result: SyncRunResult): Promise<void> {
    let gaps = 0;
    let next: Promise<Prepared | null> = this.prepare(ctx, ctx.store.nextSeq(), ctx.store.anchor());
    for (;;) {
      const batch = await next;
      if (!batch || signal.aborted) return;
      const inFlight = this.send(ctx, batch);
      next = this.prepare(ctx, batch.lastSeq + 1, batch.anchorAfter);
      next.catch(() => undefined); // awaited below or on the next turn
      let ack: AckPayload;
      try {
        ack = await inFlight;
      } catch (e) {
        await next.catch(() => undefined);
        if (e instanceof SyncHttpError && e.details.code === 'SEQ_GAP' && e.details.expectedSeq && gaps < 3) {
          // The server holds more (our ack was lost) or less (it was restored) than we think.
          gaps += 1;
          const { skipped } = ctx.store.reconcile(e.details.expectedSeq, this.now().toISOString());
          result.duplicate += skipped;
          next = this.prepare(ctx, ctx.store.nextSeq(), ctx.store.anchor());
          continue;
        }
        throw e;
      }
      gaps = 0;
      const counts = ctx.store.applyAck(ack, batch.sent, this.now().toISOString());
      result.applied += counts.applied;
      result.duplicate += counts.duplicate;
      result.rejected += counts.rejected;
      result.batches += 1;
      this.emitStatus(false);
      if (ack.nextSeq !== batch.lastSeq + 1 || !sameAnchor(ack.anchor, batch.anchorAfter)) {
        await next.catch(() => undefined);
        next = this.prepare(ctx, ctx.store.nextSeq(), ctx.store.anchor());
      }
    }
  }

  /** Reads, opens, encrypts and signs the batch starting at `fromSeq`; null when there is none. */
  private async prepare(ctx: Context, fromSeq: number, anchor: Anchor | null): Promise<Prepared | null> {
    const started = performance.now();
    const rows = ctx.store.rowsFrom(fromSeq, this.batchRecords);
    if (rows.length === 0) return null;
    const records: SyncRecord[] = [];
    const secrets = new Map<number, Uint8Array>();
    const jti = randomBytes(16).toString('hex');
    let encrypted: string;
    try {
      for (const [i, row] of rows.entries()) {
        if (i > 0 && i % 100 === 0) await yieldToLoop(); // let the batch on the wire be answered
        secrets.set(row.seq, this.openSecret(ctx.records, row));
        records.push({
          seq: row.seq,
          ref: row.ref,
          createdAt: row.createdAt,
          kind: row.kind,
          data: JSON.parse(row.payload) as never,
        });
      }
      // One key agreement per batch (jose), bound to this batch's jti.
      encrypted = await encryptBatchSecrets(secrets, ctx.enrolment.serverEncryptionKey, jti);
    } finally {
      for (const plaintext of secrets.values()) plaintext.fill(0);
    }
    const audit = ctx.store.auditLinks(anchor, MAX_AUDIT_LINKS);
    const payload: BatchPayload = {
      protocol: PROTOCOL_VERSION,
      stationId: ctx.enrolment.stationId,
      jti,
      iat: Math.floor(this.now().getTime() / 1000),
      records,
      audit,
      secrets: encrypted,
    };
    const last = audit.at(-1);
    return {
      jti,
      jws: await signJws(payload, ctx.signingKey, 'obf-batch+jws'),
      firstSeq: rows[0]!.seq,
      lastSeq: rows.at(-1)!.seq,
      sent: rows.map((r) => ({ seq: r.seq, kind: r.kind, ref: r.ref })),
      anchorAfter: last ? { seq: last.seq, hash: last.hash } : anchor,
      prepareMs: performance.now() - started,
    };
  }

  /**
   * A record's secret as JSON bytes. Rows written before schema 3 have none sealed with them:
   * a card's keys are then read from its card row (sealed there since it was assigned), so
   * those cards reach the server like any other. A secret that does not open is an integrity
   * fault of this station: sync stops on it and says which record, rather than skip a number.
   */
  private openSecret(records: StationRecords, row: OutboxRow): Uint8Array {
    if (row.secret) return records.open(row.secret, outboxAad(row.kind, row.ref, row.createdAt));
    if (row.kind !== 'card-personalised')
      throw new ObfError('KMS_INTEGRITY', `outbox record ${row.seq} (${row.kind} ${row.ref}) has no secret`);
    const store = new BatchStore(records);
    const found = records.prepare('SELECT card_id FROM cards WHERE iccid = ?').get(row.ref) as
      { card_id: string } | undefined;
    const card = found ? store.card(found.card_id) : null;
    if (!card)
      throw new ObfError(
        'KMS_INTEGRITY',
        `outbox record ${row.seq} is card ${row.ref}, which has no card row with its keys`,
      );
    const secrets = store.secrets(card);
    const appKeys: Record<string, string> = {};
    for (const [slot, key] of secrets.appKeys) appKeys[String(slot)] = Buffer.from(key).toString('hex');
    const bytes = Buffer.from(
      JSON.stringify({
        iccid: card.iccid,
        k: Buffer.from(secrets.k).toString('hex'),
        opc: Buffer.from(secrets.opc).toString('hex'),
        appKeys,
      }),
    );
    secrets.k.fill(0);
    secrets.opc.fill(0);
    for (const key of secrets.appKeys.values()) key.fill(0);
    return bytes;
  }

  private async send(ctx: Context, batch: Prepared): Promise<AckPayload> {
    const started = performance.now();
    const answer = await exchange(
      ctx.enrolment.serverUrl + paths.batches,
      { method: 'POST', body: { jws: batch.jws } },
      pushResponse,
      ctx.http,
    );
    const ack = await toHttpRefusal(() =>
      verifyJws(answer.jws, ctx.enrolment.serverSigningKey, 'obf-ack+jws', ackPayload),
    );
    if (ack.jti !== batch.jti || ack.stationId !== ctx.enrolment.stationId)
      throw new SyncHttpError('refused', `the server's ack answers batch ${ack.jti}, not ${batch.jti}`);
    const seqs = new Set(ack.acks.map((a) => a.seq));
    if (
      seqs.size !== ack.acks.length ||
      seqs.size !== batch.sent.length ||
      batch.sent.some((r) => !seqs.has(r.seq))
    )
      throw new SyncHttpError(
        'refused',
        `the server's ack covers ${seqs.size} records, not the ${batch.sent.length} sent (${batch.firstSeq}-${batch.lastSeq})`,
      );
    this.options.onBatch?.({
      records: batch.sent.length,
      roundTripMs: performance.now() - started,
      prepareMs: batch.prepareMs,
    });
    return ack;
  }

  private async pullRegistry(
    ctx: Context,
    signal: AbortSignal,
  ): Promise<{ applications: number; permissions: number }> {
    const counts = { applications: 0, permissions: 0 };
    for (let page = 0; page < 1000 && !signal.aborted; page++) {
      const cursor = ctx.store.registryCursor();
      const path = cursor ? `${paths.registry}?since=${encodeURIComponent(cursor)}` : paths.registry;
      const auth = await signJws(
        {
          stationId: ctx.enrolment.stationId,
          method: 'GET',
          path,
          jti: randomBytes(16).toString('hex'),
          iat: Math.floor(this.now().getTime() / 1000),
        },
        ctx.signingKey,
        'obf-request+jws',
      );
      const answer = await exchange(
        ctx.enrolment.serverUrl + path,
        { method: 'GET', headers: { authorization: `${AUTH_SCHEME} ${auth}` } },
        pushResponse,
        ctx.http,
      );
      const payload = await toHttpRefusal(() =>
        verifyJws(answer.jws, ctx.enrolment.serverSigningKey, 'obf-registry+jws', registryPayload),
      );
      if (payload.stationId !== ctx.enrolment.stationId)
        throw new SyncHttpError('refused', `the registry answer is for station ${payload.stationId}`);
      ctx.store.saveRegistry(payload);
      counts.applications += payload.applications.length;
      counts.permissions += payload.permissions.length;
      if (!payload.more || payload.cursor === cursor) break;
    }
    return counts;
  }

  // ── Helpers ────────────────────────────────────────────────────────────────────────────

  private requireStation(): Kms {
    const kms = this.options.station();
    if (!kms) throw new ObfError('KMS_LOCKED', 'the station is locked: log in first');
    return kms;
  }

  /** The station's Ed25519 key (not activity: background sync does not postpone the idle lock). */
  private signingKey(kms: Kms): KeyObject {
    return kms.stationSigningKey();
  }

  private setState(state: SyncState, message: string): void {
    this.state = state;
    this.message = message;
  }

  /** Emits the status; during a long catch-up at most a few times a second. */
  private emitStatus(force: boolean): SyncStatus {
    const nowMs = Date.now();
    if (!force && nowMs - this.lastEmit < 250) return this.status();
    this.lastEmit = nowMs;
    const status = this.status();
    this.emit('status', status);
    return status;
  }
}

function sameAnchor(a: Anchor | null, b: Anchor | null): boolean {
  return a === b || (a !== null && b !== null && a.seq === b.seq && a.hash === b.hash);
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/** A protocol failure of the server's answer (bad signature, wrong shape) as a refusal. */
async function toHttpRefusal<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new SyncHttpError('refused', `the server's answer: ${(e as Error).message}`);
  }
}

/** Enrolment failures as the API's typed errors, naming what went wrong. */
function toObfError(e: unknown): unknown {
  if (e instanceof SyncHttpError) {
    const code = e.details.code;
    if (e.kind !== 'refused') return new ObfError('TIMEOUT', e.message);
    if (code === 'BAD_SIGNATURE' || code === 'STATION_REVOKED' || code === 'UNKNOWN_STATION')
      return new ObfError('UNAUTHORIZED', e.message);
    return new ObfError('VALIDATION', e.message);
  }
  if (e instanceof Error && e.name === 'ProtocolError') return new ObfError('VALIDATION', e.message);
  return e;
}

function toObf<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toObfError(e);
  }
}

async function toObfAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toObfError(e);
  }
}
