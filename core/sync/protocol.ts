/**
 * The wire protocol between a station and the OBF Resource Server (DESIGN.md §6; the Resource
 * Server is clause 7.1.2 of Y.OBF_Trust, custody bindings 3.2.4, the registry 9.2.2). Both
 * sides import this file: the station's sync engine (core/sync) and the server (server/).
 *
 * - Enrolment: a one-time code plus the station's Ed25519 public key; the server answers with
 *   the station id and its own signing (Ed25519) and encryption (P-256 ECDH-ES) public keys.
 * - Push: a batch of outbox records in the station's monotonic sequence, signed by the station
 *   (compact JWS, EdDSA). The records' secret fields travel as ONE compact JWE per batch
 *   (ECDH-ES+A256KW / A256GCM, seq → secret; core/sync/batch-secrets.ts) to the server's
 *   encryption key, inside the signed payload and bound to the batch by its `jti` header.
 * - Ack: per record `applied`, `duplicate` or `rejected` (with the reason), signed by the server.
 * - Pull: the application registry and permission changes since a cursor, signed by the server.
 * - Every station request carries a fresh `jti` and `iat`: the server refuses a `jti` it has
 *   seen (a replayed batch) and an `iat` outside MAX_CLOCK_SKEW_S. A retry after a lost answer
 *   is a new signature over the same records, so it is answered `duplicate`, not refused.
 */
import { CompactSign, compactVerify, exportJWK, importJWK, type JWK } from 'jose';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;
/** Records per pushed batch: the server applies a batch in one transaction. */
export const MAX_BATCH_RECORDS = 500;
/** Audit links per batch: a long offline stretch is anchored over several batches. */
export const MAX_AUDIT_LINKS = 5000;
/** Request bodies above this are refused with 413 before parsing. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** How far a request's `iat` may be from the server's clock. */
export const MAX_CLOCK_SKEW_S = 300;

export const paths = {
  enrol: '/v1/enrol',
  batches: '/v1/batches',
  registry: '/v1/registry',
  health: '/healthz',
  metrics: '/metrics',
  openapi: '/openapi.json',
} as const;

/** `Authorization: OBF-JWS <compact JWS over a RequestClaims>` on station GET requests. */
export const AUTH_SCHEME = 'OBF-JWS';

/** The protected-header `typ` of each signed message: a signature for one is never another. */
export const JWS_TYP = {
  batch: 'obf-batch+jws',
  ack: 'obf-ack+jws',
  request: 'obf-request+jws',
  registry: 'obf-registry+jws',
} as const;

const hex = (bytes?: number) =>
  bytes === undefined
    ? z.string().regex(/^(?:[0-9a-f]{2})+$/, 'lowercase hex')
    : z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `${bytes} bytes of lowercase hex`);
const iso = z.iso.datetime({ offset: true });
const iccid = z.string().regex(/^89\d{16,18}$/, 'an ICCID: 18-20 digits starting 89');
const id = z.string().regex(/^[\w.:@-]{1,128}$/, '1-128 of letters, digits and . : @ _ -');
const compact = z.string().regex(/^[\w-]+(?:\.[\w-]*){2,4}$/, 'a compact JOSE serialization');

export const okpPublicJwk = z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string() });
export const ecPublicJwk = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string(),
  y: z.string(),
  kid: z.string().optional(),
});

// ── Enrolment ─────────────────────────────────────────────────────────────────────────────

export const enrolRequest = z
  .object({
    protocol: z.literal(PROTOCOL_VERSION),
    code: z.string().regex(/^[A-Z2-9]{4}(?:-[A-Z2-9]{4}){3}$/, 'an enrolment code: XXXX-XXXX-XXXX-XXXX'),
    /** The station's own id (its KMS stationId), name shown to admins, and signing key. */
    stationId: id,
    stationName: z.string().min(1).max(128),
    signingKey: okpPublicJwk,
  })
  .strict();
export type EnrolRequest = z.infer<typeof enrolRequest>;

export const enrolResponse = z.object({
  stationId: id,
  serverId: id,
  serverSigningKey: okpPublicJwk,
  serverEncryptionKey: ecPublicJwk,
  /** The next sequence number the server expects (1 for a new station; re-enrolment keeps it). */
  nextSeq: z.number().int().min(1),
});
export type EnrolResponse = z.infer<typeof enrolResponse>;

// ── Records ───────────────────────────────────────────────────────────────────────────────

/** A personalised and proven card (clause 7.1.2: device identity and credentials). */
export const cardPersonalisedData = z
  .object({
    batchId: id,
    iccid,
    imsi: z.string().regex(/^\d{6,15}$/),
    impi: z.string().min(1).max(256),
    profile: z.string().min(1).max(64),
    kcvs: z.record(z.string(), z.string()),
    verifiedAt: iso,
  })
  .strict();
export type CardPersonalisedData = z.infer<typeof cardPersonalisedData>;

/** The JWE plaintext of a card record: the card's keys, hex. */
export const cardSecret = z
  .object({
    iccid,
    k: hex(16),
    opc: hex(16),
    appKeys: z.record(z.string().regex(/^\d{1,3}$/), hex(16)),
  })
  .strict();
export type CardSecret = z.infer<typeof cardSecret>;

/**
 * A custody event (clause 3.2.4). `bind` starts a binding; `correct` and `transfer` supersede
 * the device's active binding (named in `supersedes`); `withdraw` ends it on withdrawal of
 * consent; `erase` removes its personal data at retention end. The device identifiers are clear
 * (the server looks devices up by them); the custodian's personal data and the consent travel
 * only in the JWE.
 */
export const kycAction = z.enum(['bind', 'correct', 'transfer', 'withdraw', 'erase']);
export type KycAction = z.infer<typeof kycAction>;

export const kycEventData = z
  .object({
    action: kycAction,
    bindingId: id,
    supersedes: id.nullable(),
    device: z
      .object({
        iccid,
        eid: z
          .string()
          .regex(/^\d{32}$/)
          .optional(),
        imei: z
          .string()
          .regex(/^\d{14,16}$/)
          .optional(),
        vin: z.string().max(32).optional(),
        registration: z.string().max(32).optional(),
        make: z.string().max(64).optional(),
        model: z.string().max(64).optional(),
        trackerSerial: z.string().max(64).optional(),
      })
      .strict(),
    /** A station-local opaque id: the same custodian across bindings, without personal data. */
    custodianId: id,
    custodianKind: z.enum(['individual', 'organisation']),
    purpose: z.string().min(1).max(256),
    operator: id,
    reason: z.string().max(512).optional(),
    at: iso,
  })
  .strict();
export type KycEventData = z.infer<typeof kycEventData>;

/** The JWE plaintext of a custody event: personal data, consent, evidence digests. */
export const kycSecret = z.object({ bindingId: id }).catchall(z.unknown());
export type KycSecret = z.infer<typeof kycSecret>;

const recordBase = { seq: z.number().int().min(1), ref: z.string().min(1).max(128), createdAt: iso };

/**
 * A record's clear fields. Its secret fields (cardSecret, kycSecret) travel in the batch's one
 * `secrets` JWE under the record's seq (core/sync/batch-secrets.ts): one key agreement per batch.
 */
export const syncRecord = z.discriminatedUnion('kind', [
  z.object({ ...recordBase, kind: z.literal('card-personalised'), data: cardPersonalisedData }).strict(),
  z.object({ ...recordBase, kind: z.literal('kyc-event'), data: kycEventData }).strict(),
]);
export type SyncRecord = z.infer<typeof syncRecord>;
export type SyncRecordKind = SyncRecord['kind'];

/** One audit row's link: the server checks each follows the last and that they reach the head. */
/** Row 0 is the station's genesis row (prev = 64 zeros): the first batch starts the chain there. */
export const auditLink = z.object({ seq: z.number().int().min(0), prev: hex(32), hash: hex(32) }).strict();
export type AuditLink = z.infer<typeof auditLink>;

// ── Push ──────────────────────────────────────────────────────────────────────────────────

/** The JWS payload of a pushed batch. */
export const batchPayload = z
  .object({
    protocol: z.literal(PROTOCOL_VERSION),
    stationId: id,
    jti: z.string().regex(/^[0-9a-f]{32}$/),
    iat: z.number().int(),
    records: z.array(syncRecord).max(MAX_BATCH_RECORDS),
    /**
     * The audit rows since the server's anchor (the ack's `anchor`), oldest first, at most
     * MAX_AUDIT_LINKS; empty when there is nothing new. The last link is the new anchor.
     */
    audit: z.array(auditLink).max(MAX_AUDIT_LINKS),
    /**
     * Every record's secret fields as one compact JWE (ECDH-ES+A256KW / A256GCM) to the
     * server's encryption key, whose plaintext maps each record's seq to its secret object and
     * whose protected header names this batch's jti; null when the batch has no records.
     */
    secrets: compact.nullable(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.records.length > 0 !== (b.secrets !== null))
      ctx.addIssue({
        code: 'custom',
        path: ['secrets'],
        message: 'a batch with records carries their secrets, an empty batch none',
      });
    b.records.forEach((r, i) => {
      if (i > 0 && r.seq !== b.records[i - 1]!.seq + 1)
        ctx.addIssue({ code: 'custom', path: ['records', i, 'seq'], message: 'records must be consecutive' });
    });
  });
export type BatchPayload = z.infer<typeof batchPayload>;

/** The request body of POST /v1/batches. */
export const pushRequest = z.object({ jws: compact }).strict();

export const ackStatus = z.enum(['applied', 'duplicate', 'rejected']);
export type AckStatus = z.infer<typeof ackStatus>;

export const recordAck = z
  .object({ seq: z.number().int().min(1), status: ackStatus, reason: z.string().optional() })
  .strict();
export type RecordAck = z.infer<typeof recordAck>;

/** The JWS payload of the server's answer to a batch. */
export const ackPayload = z
  .object({
    protocol: z.literal(PROTOCOL_VERSION),
    stationId: id,
    /** The batch this answers (its jti). */
    jti: z.string(),
    acks: z.array(recordAck),
    /** The next sequence number the server expects from this station. */
    nextSeq: z.number().int().min(1),
    /** The station's audit head as the server now holds it (null before the first). */
    anchor: z.object({ seq: z.number().int(), hash: hex(32) }).nullable(),
    at: iso,
  })
  .strict();
export type AckPayload = z.infer<typeof ackPayload>;
export const pushResponse = z.object({ jws: compact }).strict();

// ── Pull ──────────────────────────────────────────────────────────────────────────────────

/** The claims of a station's signed GET (the Authorization header). */
export const requestClaims = z
  .object({
    stationId: id,
    method: z.enum(['GET']),
    path: z.string().startsWith('/'),
    jti: z.string().regex(/^[0-9a-f]{32}$/),
    iat: z.number().int(),
  })
  .strict();
export type RequestClaims = z.infer<typeof requestClaims>;

/** A third-party application a device may use (clause 9.2.2). */
export const application = z.object({
  appId: id,
  name: z.string().min(1).max(128),
  provider: z.string().max(128),
  state: z.enum(['active', 'suspended', 'retired']),
  updatedAt: iso,
});
export type Application = z.infer<typeof application>;

export const permission = z.object({
  iccid,
  appId: id,
  granted: z.boolean(),
  updatedAt: iso,
});
export type Permission = z.infer<typeof permission>;

/** The JWS payload of GET /v1/registry?since=CURSOR: changes after the cursor, oldest first. */
export const registryPayload = z
  .object({
    protocol: z.literal(PROTOCOL_VERSION),
    stationId: id,
    applications: z.array(application),
    permissions: z.array(permission),
    /** Pass as `since` next time; equal to the request's when nothing changed. */
    cursor: z.string(),
    more: z.boolean(),
  })
  .strict();
export type RegistryPayload = z.infer<typeof registryPayload>;

// ── Errors ────────────────────────────────────────────────────────────────────────────────

export const protocolErrorCodes = [
  'BAD_REQUEST',
  'BAD_SIGNATURE',
  'UNKNOWN_STATION',
  'STATION_REVOKED',
  'STATION_EXISTS',
  'REPLAYED',
  'STALE',
  'SEQ_GAP',
  'AUDIT_FORK',
  'CODE_UNKNOWN',
  'CODE_USED',
  'CODE_EXPIRED',
  'TOO_LARGE',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export type ProtocolErrorCode = (typeof protocolErrorCodes)[number];

/** Every non-2xx answer: `{ "error": { code, message, expectedSeq? } }`. */
export const problem = z.object({
  error: z.object({
    code: z.enum(protocolErrorCodes),
    message: z.string(),
    /** SEQ_GAP: the sequence number the server expects next. */
    expectedSeq: z.number().int().optional(),
  }),
});
export type Problem = z.infer<typeof problem>;

// ── JOSE helpers (jose does the cryptography) ─────────────────────────────────────────────

/** Signs a payload as compact JWS (EdDSA, Ed25519). */
export async function signJws(payload: unknown, key: KeyObject, typ: string): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', typ })
    .sign(key);
}

/**
 * Verifies a compact JWS against an Ed25519 public JWK and the expected `typ`, then parses its
 * payload with `schema`. Throws ProtocolError BAD_SIGNATURE or BAD_REQUEST, naming the fault.
 */
export async function verifyJws<T>(
  jws: string,
  publicJwk: JWK,
  typ: string,
  schema: z.ZodType<T>,
): Promise<T> {
  let payload: Uint8Array;
  try {
    const key = await importJWK({ ...publicJwk, alg: 'EdDSA' }, 'EdDSA');
    const verified = await compactVerify(jws, key, { algorithms: ['EdDSA'] });
    if (verified.protectedHeader.typ !== typ)
      throw new ProtocolError(
        'BAD_SIGNATURE',
        `expected a ${typ} JWS, got ${verified.protectedHeader.typ ?? 'none'}`,
      );
    payload = verified.payload;
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    throw new ProtocolError('BAD_SIGNATURE', `the signature does not verify (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    throw new ProtocolError('BAD_REQUEST', 'the signed payload is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ProtocolError('BAD_REQUEST', describeIssues(parsed.error));
  return parsed.data;
}

/** Reads a JWS payload without verifying it (to find which station's key verifies it). */
export function peekJwsPayload(jws: string): unknown {
  const part = jws.split('.')[1];
  if (part === undefined) throw new ProtocolError('BAD_REQUEST', 'not a compact JWS');
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
  } catch {
    throw new ProtocolError('BAD_REQUEST', 'the JWS payload is not JSON');
  }
}

export const SECRET_ALG = 'ECDH-ES+A256KW';
export const SECRET_ENC = 'A256GCM';

/** The public JWK of an Ed25519 or P-256 key object (private keys give their public half). */
export async function publicJwk(key: KeyObject): Promise<JWK> {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return exportJWK(pub);
}

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    readonly expectedSeq?: number,
  ) {
    super(message);
  }
}

/** zod issues as one line: `records.3.data.iccid: an ICCID: …; …`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}
