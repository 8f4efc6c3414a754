/**
 * The one definition of what the workstation exposes. The Electron preload, the web host's
 * WebSocket client and the CLI derive from it; every host validates inputs and outputs with
 * these schemas at its boundary.
 */
import { z } from 'zod';
import { keyTypes, keyUsages, roles } from '../kms/vocabulary.js';
import { credentials, done, empty, hex, passphrase, username } from './contract-common.js';
import { kycEvents, kycMethods } from './contract-kyc.js';
import { syncEvents, syncMethods } from './contract-sync.js';

export { credentials, passphrase, username } from './contract-common.js';
export * from './contract-kyc.js';
export * from './contract-sync.js';

export const readerSource = z.enum(['pcsc', 'sim']);
export type ReaderSource = z.infer<typeof readerSource>;

/** What a reader holds: nothing, a card (with its ATR), or a card the reader cannot power (mute). */
export const readerState = z.enum(['empty', 'present', 'mute']);
export type ReaderState = z.infer<typeof readerState>;

export const readerInfo = z.object({
  name: z.string().min(1),
  state: readerState,
  atr: hex.optional(),
  source: readerSource,
});
export type ReaderInfo = z.infer<typeof readerInfo>;

/**
 * The reader service as a whole: `up` (readers can be listed), `down` (pcscd not reachable;
 * the station retries), `unavailable` (no PC/SC binding on this machine), `starting`.
 */
export const serviceState = z.enum(['starting', 'up', 'down', 'unavailable']);
export type ServiceState = z.infer<typeof serviceState>;

export const readerService = z.object({
  source: readerSource,
  state: serviceState,
  message: z.string(),
});
export type ReaderService = z.infer<typeof readerService>;

export const readersSnapshot = z.object({
  service: readerService,
  readers: z.array(readerInfo),
});
export type ReadersSnapshot = z.infer<typeof readersSnapshot>;

export const readerChange = z.object({
  kind: z.enum(['reader-added', 'reader-removed', 'card-inserted', 'card-removed', 'service']),
  reader: z.string().optional(),
});
export type ReaderChange = z.infer<typeof readerChange>;

export const kmsStatus = z.object({
  /** unavailable: no data folder; uninitialised: the setup wizard runs next. */
  state: z.enum(['unavailable', 'uninitialised', 'locked', 'unlocked']),
  /** viaRecovery: M custodians unlocked with their shares; the session restores access and nothing else. */
  user: z.object({ username: z.string(), role: z.enum(roles), viaRecovery: z.boolean() }).nullable(),
  stationId: z.string().nullable(),
  path: z.string().nullable(),
});
export type KmsStatus = z.infer<typeof kmsStatus>;

export const keyRecord = z.object({
  id: z.string(),
  label: z.string(),
  type: z.enum(keyTypes),
  usage: z.enum(keyUsages),
  kcv: z.string(),
  state: z.enum(['active', 'retired', 'destroyed']),
  origin: z.enum(['generated', 'components', 'derived', 'imported']),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type KeyRecordView = z.infer<typeof keyRecord>;

export const auditVerdict = z.object({
  ok: z.boolean(),
  rows: z.number().int(),
  firstBroken: z.number().int().nullable(),
  reason: z.string().optional(),
});

export const userRecord = z.object({
  username: z.string(),
  role: z.enum(roles),
  state: z.enum(['active', 'disabled']),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type UserRecordView = z.infer<typeof userRecord>;

const keyLabel = z.string().regex(/^[\w.:@/-]{1,128}$/, '1-128 of letters, digits and . : @ / _ -');
const recoveryShares = z.array(
  z.object({ index: z.number().int(), share: z.string(), checksum: z.string() }),
);
const recoverySpec = { threshold: z.number().int().min(2).max(16), shares: z.number().int().min(2).max(16) };
const componentProgress = z.object({
  ceremonyId: z.string(),
  accepted: z.number().int(),
  count: z.number().int(),
});

/** The signed audit chain an auditor takes away; the file verifies away from the station. */
export const auditExport = z.object({
  record: z.object({
    version: z.literal(1),
    kind: z.literal('obf-audit-export'),
    stationId: z.string(),
    exportedAt: z.string(),
    approvedBy: z.array(z.string()),
    rows: z.array(
      z.object({
        seq: z.number().int().nonnegative(),
        at: z.string(),
        actor: z.string(),
        event: z.string(),
        prev_hash: z.string(),
        hash: z.string(),
      }),
    ),
  }),
  sha256: z.string(),
  signature: z.string(),
  publicKey: z.string(),
});
export type AuditExportFile = z.infer<typeof auditExport>;

const cardStateEnum = z.enum(['assigned', 'issuer-keys', 'secured', 'verified', 'rejected']);

export const batchSummary = z.object({
  id: z.string(),
  customer: z.string(),
  cardCount: z.number().int(),
  assigned: z.number().int(),
  state: z.enum(['open', 'paused', 'aborted', 'done']),
  counts: z.record(cardStateEnum, z.number().int()),
  iccidFirst: z.string(),
  iccidLast: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type BatchSummaryView = z.infer<typeof batchSummary>;

/** A card as the UI sees it: identities, state, steps and timings, KCVs only. */
export const cardRecord = z.object({
  batchId: z.string(),
  index: z.number().int(),
  iccid: z.string(),
  imsi: z.string(),
  impi: z.string(),
  cardId: z.string(),
  state: cardStateEnum,
  kcvs: z.record(z.string(), z.string()),
  nextSqn: z.string(),
  reader: z.string().nullable(),
  attempts: z.number().int(),
  failureClass: z.enum(['transient', 'wrong-card', 'crypto']).nullable(),
  lastError: z.string().nullable(),
  steps: z.array(z.object({ step: z.string(), ms: z.number(), at: z.string() })),
  assignedAt: z.string(),
  updatedAt: z.string(),
  verifiedAt: z.string().nullable(),
});
export type CardRecordView = z.infer<typeof cardRecord>;

export const batchProgress = z.object({
  batchId: z.string(),
  state: z.enum(['running', 'paused', 'aborted', 'done', 'stopped']),
  summary: batchSummary,
  lanes: z.array(
    z.object({
      reader: z.string(),
      state: z.enum(['waiting-card', 'working', 'remove-card', 'paused', 'stopped']),
      iccid: z.string().nullable(),
      step: z.string().nullable(),
      lastError: z.string().nullable(),
      done: z.number().int(),
      failed: z.number().int(),
    }),
  ),
  startedAt: z.string(),
  ratePerMinute: z.number(),
  etaSeconds: z.number().nullable(),
});
export type BatchProgressView = z.infer<typeof batchProgress>;

const writtenFile = z.object({ path: z.string(), sha256: z.string(), records: z.number().int() });

export const hostKind = z.enum(['electron', 'web', 'cli']);
export type HostKind = z.infer<typeof hostKind>;

export const methods = {
  'app.info': {
    input: empty,
    output: z.object({
      name: z.string(),
      version: z.string(),
      host: hostKind,
      readerSource: readerSource,
    }),
  },
  'readers.list': {
    input: empty,
    output: readersSnapshot,
  },
  /** Demo and test only: insert or remove the card of a simulated reader. */
  'readers.simulate': {
    input: z.object({ reader: z.string().min(1).max(200), action: z.enum(['insert', 'remove']) }).strict(),
    output: readersSnapshot,
  },
  'kms.status': { input: empty, output: kmsStatus },
  /** First run: users, roles, M-of-N. The shares come back once and are stored nowhere. */
  'kms.initialize': {
    input: z
      .object({
        users: z
          .array(z.object({ username, role: z.enum(roles), passphrase }).strict())
          .min(2)
          .max(32),
        recovery: z.object(recoverySpec).strict(),
      })
      .strict(),
    output: z.object({ status: kmsStatus, shares: recoveryShares, transcriptSha256: z.string() }),
  },
  /** Recovery unlock: any M of the N shares, typed one per custodian. */
  'kms.recover': {
    input: z
      .object({
        shares: z
          .array(z.string().regex(/^[0-9a-fA-F\s]{2,400}$/, 'a share is hex'))
          .min(2)
          .max(16),
      })
      .strict(),
    output: kmsStatus,
  },
  'kms.unlock': {
    input: z.object({ username, passphrase: z.string().min(1).max(1024) }).strict(),
    output: kmsStatus,
  },
  'kms.lock': { input: empty, output: kmsStatus },
  'kms.keys': { input: empty, output: z.array(keyRecord) },
  /** Dual control: the logged-in security officer and a second one, who authenticates here. */
  'kms.generateKey': {
    input: z
      .object({ label: keyLabel, type: z.enum(keyTypes), usage: z.enum(keyUsages), second: credentials })
      .strict(),
    output: z.object({ key: keyRecord, transcriptSha256: z.string() }),
  },
  /** The KCV of a component being typed, so its custodian can compare it with their sheet. Nothing is kept. */
  'kms.componentKcv': {
    input: z.object({ type: z.enum(keyTypes), component: hex.max(64) }).strict(),
    output: z.object({ kcv: z.string() }),
  },
  /** Key import by components: begin, then each custodian authenticates and adds theirs, then finish. */
  'kms.beginComponentImport': {
    input: z
      .object({
        label: keyLabel,
        type: z.enum(keyTypes),
        usage: z.enum(keyUsages),
        components: z.number().int().min(2).max(3),
      })
      .strict(),
    output: componentProgress,
  },
  'kms.addComponent': {
    input: z
      .object({
        ceremonyId: z.string().max(64),
        custodian: credentials,
        component: hex.max(64),
        kcv: z.string().regex(/^[0-9a-fA-F]{6}$/, 'a KCV is 6 hex digits'),
      })
      .strict(),
    output: componentProgress,
  },
  'kms.finishComponentImport': {
    input: z
      .object({
        ceremonyId: z.string().max(64),
        expectedKcv: z.string().regex(/^[0-9a-fA-F]{6}$/, 'a KCV is 6 hex digits'),
      })
      .strict(),
    output: z.object({ key: keyRecord, transcriptSha256: z.string() }),
  },
  'kms.cancelComponentImport': { input: empty, output: done },
  /** Dual control: the key leaves only wrapped under an AES output-transport key. */
  'kms.exportKey': {
    input: z.object({ label: keyLabel, transportLabel: keyLabel, second: credentials }).strict(),
    output: z.object({
      export: z.object({
        label: z.string(),
        type: z.enum(keyTypes),
        usage: z.enum(keyUsages),
        kcv: z.string(),
        transportLabel: z.string(),
        transportKcv: z.string(),
        algorithm: z.literal('AES-KW (RFC 3394)'),
        wrapped: hex,
      }),
      transcriptSha256: z.string(),
    }),
  },
  'kms.users': { input: empty, output: z.array(userRecord) },
  /** User and role changes: dual control (`second`), or a recovery session alone. */
  'kms.addUser': {
    input: z.object({ username, role: z.enum(roles), passphrase, second: credentials.optional() }).strict(),
    output: userRecord,
  },
  'kms.setUserRole': {
    input: z.object({ username, role: z.enum(roles), second: credentials.optional() }).strict(),
    output: userRecord,
  },
  'kms.disableUser': {
    input: z.object({ username, second: credentials.optional() }).strict(),
    output: userRecord,
  },
  'kms.resetPassphrase': {
    input: z.object({ username, passphrase, second: credentials.optional() }).strict(),
    output: done,
  },
  'kms.changePassphrase': {
    input: z.object({ current: z.string().min(1).max(1024), next: passphrase }).strict(),
    output: done,
  },
  /** New M-of-N: fresh shares (shown once); every earlier share stops working. */
  'kms.changeRecovery': {
    input: z.object({ ...recoverySpec, second: credentials.optional() }).strict(),
    output: z.object({ shares: recoveryShares, transcriptSha256: z.string() }),
  },
  /** An order file's text (manifest JSON, and the rows CSV it names, if any) becomes a batch. */
  'perso.importOrder': {
    input: z
      .object({ manifest: z.string().min(2).max(1_000_000), rowsCsv: z.string().max(100_000_000).optional() })
      .strict(),
    output: batchSummary,
  },
  'perso.batches': { input: empty, output: z.array(batchSummary) },
  'perso.cards': {
    input: z
      .object({
        batchId: z.string().max(64),
        state: cardStateEnum.optional(),
        limit: z.number().int().min(1).max(10_000),
      })
      .strict(),
    output: z.array(cardRecord),
  },
  /** Runs a batch on readers (all, or named); progress arrives as `perso` events. */
  'perso.start': {
    input: z
      .object({
        batchId: z.string().max(64),
        readers: z.union([z.literal('all'), z.array(z.string().min(1).max(200)).min(1).max(64)]),
        handler: z.enum(['manual', 'auto']),
      })
      .strict(),
    output: batchProgress,
  },
  'perso.pause': { input: empty, output: batchProgress },
  'perso.resume': { input: empty, output: batchProgress },
  'perso.abort': { input: empty, output: batchProgress },
  'perso.progress': { input: empty, output: batchProgress.nullable() },
  /** The JWE to the customer and the pySim CSV, from the verified cards; hashes go to the audit. */
  'perso.writeOutputs': {
    input: z.object({ batchId: z.string().max(64) }).strict(),
    output: z.object({ jwe: writtenFile.nullable(), csv: writtenFile }),
  },
  'audit.verify': { input: empty, output: auditVerdict },
  /** Dual control: the whole chain, signed by the station. */
  'audit.export': { input: z.object({ second: credentials }).strict(), output: auditExport },
  'audit.recent': {
    input: z.object({ limit: z.number().int().min(1).max(500) }).strict(),
    output: z.array(
      z.object({
        seq: z.number().int(),
        at: z.string(),
        actor: z.string(),
        event: z.record(z.string(), z.unknown()),
      }),
    ),
  },
  ...kycMethods,
  ...syncMethods,
} as const;

export const events = {
  readers: z.object({ change: readerChange, snapshot: readersSnapshot }),
  kms: kmsStatus,
  perso: batchProgress,
  ...kycEvents,
  ...syncEvents,
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export const methodNames = Object.keys(methods) as MethodName[];
export const eventNames = Object.keys(events) as EventName[];

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(events, name);
}

/** The error shape every host answers with. */
export const apiError = z.object({ code: z.string(), message: z.string() });
export type ApiError = z.infer<typeof apiError>;

/** The outcome of one call as it crosses a host boundary (IPC, WebSocket). */
export type DispatchResult = { ok: true; output: unknown } | { ok: false; error: ApiError };

/**
 * What `window.obf` is, in Electron (preload) and in the browser (WebSocket client) alike: a
 * plain forwarder. Errors travel as values because Electron's context bridge keeps only the
 * message of a thrown error; the renderer wraps the bridge into the typed `ObfApi`.
 */
export interface ObfBridge {
  invoke(method: string, input: unknown): Promise<DispatchResult>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

/** The typed API the UI programs against, derived from `methods` and `events`. */
export interface ObfApi {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** A failed call as the clients raise it: the host's typed error, rebuilt. */
export class ApiCallError extends Error {
  override readonly name = 'ApiCallError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
