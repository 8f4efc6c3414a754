/**
 * A test station for the Resource Server: its own Ed25519 key, records whose secrets go into
 * the batch's one JWE to the server (core/sync/batch-secrets.ts, jose underneath), signed
 * batches and GETs, and acks verified against the server's signing key. No KMS or outbox: the
 * server is tested alone.
 */
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { encryptBatchSecrets } from '../../core/sync/batch-secrets.js';
import {
  ackPayload,
  AUTH_SCHEME,
  enrolResponse,
  JWS_TYP,
  paths,
  PROTOCOL_VERSION,
  publicJwk,
  registryPayload,
  signJws,
  verifyJws,
  type AckPayload,
  type AuditLink,
  type EnrolResponse,
  type KycAction,
  type RegistryPayload,
  type SyncRecord,
} from '../../core/sync/protocol.js';

export const iccidOf = (n: number) => `8944${String(n).padStart(15, '0')}`;
const hex16 = (seed: string) => createHash('sha256').update(seed).digest('hex').slice(0, 32);
/** The keys `TestStation.card(_, n)` puts in card n's secret (tests look for them in output). */
export const cardKeysOf = (n: number) => ({
  k: hex16(`k${n}`),
  opc: hex16(`opc${n}`),
  app1: hex16(`a1${n}`),
});

export interface HttpResult<T = unknown> {
  status: number;
  body: T & { error?: { code: string; message: string; expectedSeq?: number } };
  headers: Headers;
}

export async function postJson<T = unknown>(
  url: string,
  body: unknown,
  init: RequestInit = {},
): Promise<HttpResult<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
  return { status: res.status, body: (await res.json()) as HttpResult<T>['body'], headers: res.headers };
}

/** An audit chain like core/kms/audit.ts: each row's hash covers the previous hash and the row. */
export class AuditChain {
  readonly links: AuditLink[] = [];
  /** Two chains with different salts fork from genesis. */
  constructor(private readonly salt = '') {}
  append(n = 1): AuditLink[] {
    const added: AuditLink[] = [];
    for (let i = 0; i < n; i++) {
      const prev = this.links.at(-1)?.hash ?? '0'.repeat(64);
      const seq = this.links.length + 1;
      const link = {
        seq,
        prev,
        hash: createHash('sha256').update(`${this.salt}|${prev}|${seq}`).digest('hex'),
      };
      this.links.push(link);
      added.push(link);
    }
    return added;
  }
  /** The links after `anchorSeq` (0: all). */
  since(anchorSeq: number): AuditLink[] {
    return this.links.slice(anchorSeq);
  }
}

/** How signBatch builds a batch's `secrets` (tests of the server's refusals change it). */
export interface SecretsOverride {
  /** seq → secret object instead of the records' own (null: a batch whose `secrets` is null). */
  secrets?: Map<number, unknown> | null;
  /** The jti the JWE names (default: the batch's). */
  secretsJti?: string;
}

export class TestStation {
  readonly keys: { privateKey: KeyObject; publicKey: KeyObject };
  server: EnrolResponse | null = null;
  /** The secret of the last record made for each seq (card, kyc): what signBatch encrypts. */
  readonly secrets = new Map<number, unknown>();
  constructor(
    public url: string,
    readonly stationId: string,
    keys?: { privateKey: KeyObject; publicKey: KeyObject },
  ) {
    this.keys = keys ?? generateKeyPairSync('ed25519');
  }

  async enrolBody(code: string): Promise<unknown> {
    return {
      protocol: PROTOCOL_VERSION,
      code,
      stationId: this.stationId,
      stationName: `Test ${this.stationId}`,
      signingKey: await publicJwk(this.keys.publicKey),
    };
  }

  async enrol(code: string): Promise<HttpResult<EnrolResponse>> {
    const r = await postJson<EnrolResponse>(this.url + paths.enrol, await this.enrolBody(code));
    if (r.status === 200) this.server = enrolResponse.parse(r.body);
    return r;
  }

  private get encKey(): JWK {
    if (!this.server) throw new Error('not enrolled');
    return this.server.serverEncryptionKey;
  }

  card(seq: number, n: number, over: { secretIccid?: string; ref?: string } = {}): Promise<SyncRecord> {
    const iccid = iccidOf(n);
    const ref = over.ref ?? `card:${iccid}`;
    const keys = cardKeysOf(n);
    this.secrets.set(seq, {
      iccid: over.secretIccid ?? iccid,
      k: keys.k,
      opc: keys.opc,
      appKeys: { '1': keys.app1 },
    });
    return Promise.resolve({
      seq,
      ref,
      createdAt: new Date().toISOString(),
      kind: 'card-personalised',
      data: {
        batchId: 'batch-1',
        iccid,
        imsi: `20801${String(n).padStart(10, '0')}`,
        impi: `${n}@ims.example`,
        profile: 'obf-v1',
        kcvs: {},
        verifiedAt: new Date().toISOString(),
      },
    });
  }

  kyc(
    seq: number,
    action: KycAction,
    n: number,
    bindingId: string,
    supersedes: string | null = null,
    personal: Record<string, unknown> = { name: 'Ada Lovelace' },
  ): Promise<SyncRecord> {
    const ref = `kyc:${bindingId}:${seq}`;
    this.secrets.set(seq, { bindingId, ...personal });
    return Promise.resolve({
      seq,
      ref,
      createdAt: new Date().toISOString(),
      kind: 'kyc-event',
      data: {
        action,
        bindingId,
        supersedes,
        device: { iccid: iccidOf(n), eid: '89049032000000000000000000000001' },
        custodianId: `cust-${bindingId}`,
        custodianKind: 'individual',
        purpose: 'fleet telematics',
        operator: 'op-1',
        at: new Date().toISOString(),
      },
    });
  }

  async signBatch(
    records: SyncRecord[],
    audit: AuditLink[] = [],
    over: { jti?: string; iat?: number; stationId?: string } & SecretsOverride = {},
  ): Promise<string> {
    const jti = over.jti ?? randomBytes(16).toString('hex');
    return signJws(
      {
        protocol: PROTOCOL_VERSION,
        stationId: over.stationId ?? this.stationId,
        jti,
        iat: over.iat ?? Math.floor(Date.now() / 1000),
        records,
        audit,
        secrets: await this.secretsJwe(records, over.secretsJti ?? jti, over.secrets),
      },
      this.keys.privateKey,
      JWS_TYP.batch,
    );
  }

  /** The batch's one secrets JWE (null for no records), as core/sync/engine.ts builds it. */
  private async secretsJwe(
    records: readonly SyncRecord[],
    jti: string,
    given?: Map<number, unknown> | null,
  ): Promise<string | null> {
    if (given === null || (given === undefined && records.length === 0)) return null;
    const bySeq = given ?? new Map(records.map((r) => [r.seq, this.secrets.get(r.seq)]));
    const json = new Map<number, Uint8Array>();
    for (const [seq, secret] of bySeq)
      if (secret !== undefined) json.set(seq, Buffer.from(JSON.stringify(secret)));
    return encryptBatchSecrets(json, this.encKey, jti);
  }

  async pushJws(jws: string, init: RequestInit = {}): Promise<HttpResult & { ack?: AckPayload }> {
    const r = await postJson<{ jws: string }>(this.url + paths.batches, { jws }, init);
    if (r.status !== 200) return r;
    const ack = await verifyJws(r.body.jws, this.server!.serverSigningKey as JWK, JWS_TYP.ack, ackPayload);
    return { ...r, ack };
  }

  async push(
    records: SyncRecord[],
    audit: AuditLink[] = [],
    init: RequestInit = {},
    over: SecretsOverride = {},
  ) {
    return this.pushJws(await this.signBatch(records, audit, over), init);
  }

  async signRequest(path: string, over: { jti?: string; iat?: number } = {}): Promise<string> {
    return signJws(
      {
        stationId: this.stationId,
        method: 'GET',
        path,
        jti: over.jti ?? randomBytes(16).toString('hex'),
        iat: over.iat ?? Math.floor(Date.now() / 1000),
      },
      this.keys.privateKey,
      JWS_TYP.request,
    );
  }

  async pull(since?: string, token?: string): Promise<HttpResult & { registry?: RegistryPayload }> {
    const path = paths.registry + (since === undefined ? '' : `?since=${since}`);
    const res = await fetch(this.url + path, {
      headers: { authorization: `${AUTH_SCHEME} ${token ?? (await this.signRequest(path))}` },
    });
    const body = (await res.json()) as HttpResult['body'] & { jws?: string };
    const r = { status: res.status, body, headers: res.headers };
    if (res.status !== 200) return r;
    const registry = await verifyJws(
      body.jws!,
      this.server!.serverSigningKey as JWK,
      JWS_TYP.registry,
      registryPayload,
    );
    return { ...r, registry };
  }
}
