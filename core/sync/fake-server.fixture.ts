/**
 * A small in-process Resource Server for the engine's unit tests: the protocol of protocol.ts
 * on node:http (127.0.0.1), with faults the tests switch on — an ack lost after the commit,
 * 429/503 with Retry-After, a rollback (the server lost records), per-record rejections.
 * Not the real server (server/): the integration tests run against that one.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import { decryptBatchSecrets } from './batch-secrets.js';
import {
  AUTH_SCHEME,
  batchPayload,
  enrolRequest,
  paths,
  PROTOCOL_VERSION,
  ProtocolError,
  publicJwk,
  requestClaims,
  signJws,
  verifyJws,
  type Application,
  type AuditLink,
  type Permission,
  type RecordAck,
  type SyncRecord,
} from './protocol.js';

interface StationEntry {
  jwk: JWK;
  nextSeq: number;
  anchor: { seq: number; hash: string } | null;
}

export interface Fault {
  status: number;
  code: string;
  retryAfter?: string;
  expectedSeq?: number;
}

export class FakeServer {
  readonly codes = new Set<string>(['ABCD-EFGH-JKLM-NPQR']);
  readonly stations = new Map<string, StationEntry>();
  /** Everything applied, by station and seq (a second apply of the same seq is a test failure). */
  readonly applied = new Map<string, Map<number, SyncRecord & { plaintext: unknown }>>();
  /** How many times each seq was received in a batch (duplicates included). */
  readonly received = new Map<number, number>();
  readonly auditLinks: AuditLink[] = [];
  /** Answers for the next requests to /v1/batches, in order. */
  readonly faults: Fault[] = [];
  /** Commit the next N batches, then drop the connection instead of answering. */
  dropAcks = 0;
  reject: (record: SyncRecord) => string | null = () => null;
  applications: Application[] = [];
  permissions: Permission[] = [];
  batches = 0;
  url = '';
  private server: Server | null = null;
  private signing: KeyObject = generateKeyPairSync('ed25519').privateKey;
  private readonly encryption: KeyObject;
  private encryptionJwk: JWK | null = null;

  /** `from`: the same server coming back after a restart (its keys and what it holds). */
  constructor(from?: FakeServer) {
    this.encryption = from?.encryption ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    if (from) {
      this.signing = from.signing;
      for (const [k, v] of from.stations) this.stations.set(k, v);
      for (const [k, v] of from.applied) this.applied.set(k, v);
      for (const [k, v] of from.received) this.received.set(k, v);
    }
  }

  /** Swaps the signing key (a test of acks signed by someone else). */
  resign(): void {
    this.signing = generateKeyPairSync('ed25519').privateKey;
  }

  async start(port = 0): Promise<this> {
    this.encryptionJwk = { ...(await publicJwk(this.encryption)), kid: 'fake-enc-1' };
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        const err = e instanceof ProtocolError ? e : new ProtocolError('INTERNAL', String(e));
        const status = err.code === 'SEQ_GAP' ? 409 : err.code === 'INTERNAL' ? 500 : 400;
        send(res, status, {
          error: {
            code: err.code,
            message: err.message,
            ...(err.expectedSeq ? { expectedSeq: err.expectedSeq } : {}),
          },
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The server forgets everything from `seq` on (a restore from an older backup). */
  rollback(stationId: string, seq: number): void {
    const st = this.stations.get(stationId)!;
    st.nextSeq = seq;
    const applied = this.applied.get(stationId)!;
    for (const s of [...applied.keys()]) if (s >= seq) applied.delete(s);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'POST' && url.pathname === paths.enrol) {
      const body = enrolRequest.parse(await readJson(req));
      if (!this.codes.delete(body.code)) throw new ProtocolError('CODE_UNKNOWN', 'unknown enrolment code');
      const existing = this.stations.get(body.stationId);
      this.stations.set(body.stationId, {
        jwk: body.signingKey,
        nextSeq: existing?.nextSeq ?? 1,
        anchor: existing?.anchor ?? null,
      });
      if (!this.applied.has(body.stationId)) this.applied.set(body.stationId, new Map());
      return send(res, 200, {
        stationId: body.stationId,
        serverId: 'fake-server',
        serverSigningKey: await publicJwk(this.signing),
        serverEncryptionKey: this.encryptionJwk,
        nextSeq: existing?.nextSeq ?? 1,
      });
    }
    if (req.method === 'POST' && url.pathname === paths.batches) {
      const fault = this.faults.shift();
      if (fault) {
        if (fault.retryAfter) res.setHeader('retry-after', fault.retryAfter);
        const extra = fault.expectedSeq ? { expectedSeq: fault.expectedSeq } : {};
        return send(res, fault.status, { error: { code: fault.code, message: 'injected', ...extra } });
      }
      const { jws } = (await readJson(req)) as { jws: string };
      const stationId = (
        JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as { stationId: string }
      ).stationId;
      const st = this.stations.get(stationId);
      if (!st) throw new ProtocolError('UNKNOWN_STATION', stationId);
      const batch = await verifyJws(jws, st.jwk, 'obf-batch+jws', batchPayload);
      const first = batch.records[0]?.seq ?? st.nextSeq;
      if (first > st.nextSeq)
        throw new ProtocolError('SEQ_GAP', `expected ${st.nextSeq}, got ${first}`, st.nextSeq);
      // As the real server: links may overlap the anchor (a lost ack), but must contain or extend it.
      const links = batch.audit.filter((l) => !st.anchor || l.seq > st.anchor.seq);
      const overlap = batch.audit.find((l) => st.anchor && l.seq === st.anchor.seq);
      if (overlap && overlap.hash !== st.anchor!.hash) throw new ProtocolError('AUDIT_FORK', 'rewritten');
      let prev = st.anchor?.hash ?? '0'.repeat(64);
      for (const link of links) {
        if (link.prev !== prev) throw new ProtocolError('AUDIT_FORK', `audit ${link.seq}`);
        prev = link.hash;
      }
      const acks: RecordAck[] = [];
      const applied = this.applied.get(stationId)!;
      const secrets = batch.secrets
        ? await decryptBatchSecrets(batch.secrets, this.encryption, batch.jti)
        : new Map<number, unknown>();
      for (const r of batch.records) {
        this.received.set(r.seq, (this.received.get(r.seq) ?? 0) + 1);
        if (r.seq < st.nextSeq) {
          acks.push({ seq: r.seq, status: 'duplicate' });
          continue;
        }
        if (!secrets.has(r.seq)) throw new ProtocolError('BAD_REQUEST', `no secret for record ${r.seq}`);
        const plaintext = secrets.get(r.seq);
        const reason = this.reject(r);
        if (reason) acks.push({ seq: r.seq, status: 'rejected', reason });
        else {
          if (applied.has(r.seq)) throw new Error(`record ${r.seq} applied twice`);
          applied.set(r.seq, { ...r, plaintext });
          acks.push({ seq: r.seq, status: 'applied' });
        }
        st.nextSeq = r.seq + 1;
      }
      const last = batch.audit.at(-1);
      if (last) {
        st.anchor = { seq: last.seq, hash: last.hash };
        this.auditLinks.push(...links);
      }
      this.batches += 1;
      const ack = await signJws(
        {
          protocol: PROTOCOL_VERSION,
          stationId,
          jti: batch.jti,
          acks,
          nextSeq: st.nextSeq,
          anchor: st.anchor,
          at: new Date().toISOString(),
        },
        this.signing,
        'obf-ack+jws',
      );
      if (this.dropAcks > 0) {
        this.dropAcks -= 1;
        req.socket.destroy(); // committed, but the station never hears it
        return;
      }
      return send(res, 200, { jws: ack });
    }
    if (req.method === 'GET' && url.pathname === paths.registry) {
      const [scheme, token] = (req.headers.authorization ?? '').split(' ');
      if (scheme !== AUTH_SCHEME || !token) throw new ProtocolError('BAD_REQUEST', 'no Authorization');
      const stationId = (
        JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { stationId: string }
      ).stationId;
      const st = this.stations.get(stationId);
      if (!st) throw new ProtocolError('UNKNOWN_STATION', stationId);
      const claims = await verifyJws(token, st.jwk, 'obf-request+jws', requestClaims);
      if (claims.path !== req.url) throw new ProtocolError('BAD_SIGNATURE', `signed for ${claims.path}`);
      const since = Number(url.searchParams.get('since') ?? '0');
      const all = [...this.applications.map((a) => ({ a })), ...this.permissions.map((p) => ({ p }))];
      const page = all.slice(since, since + 2);
      return send(res, 200, {
        jws: await signJws(
          {
            protocol: PROTOCOL_VERSION,
            stationId,
            applications: page.flatMap((x) => ('a' in x ? [x.a] : [])),
            permissions: page.flatMap((x) => ('p' in x ? [x.p] : [])),
            cursor: String(since + page.length),
            more: since + page.length < all.length,
          },
          this.signing,
          'obf-registry+jws',
        ),
      });
    }
    throw new ProtocolError('BAD_REQUEST', `no such endpoint ${req.method} ${url.pathname}`);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
