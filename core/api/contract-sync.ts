/** The Resource Server sync part of the contract (DESIGN.md §6): methods `sync.*` and the `sync` event. */
import { z } from 'zod';
import { credentials, empty } from './contract-common.js';

/**
 * Where sync stands: `not-enrolled` (no server yet), `locked` (the station must be unlocked:
 * secrets and the signing key live in the KMS), `offline` (the server cannot be reached — a
 * normal state, retried with backoff), `online` (last exchange worked), `syncing`, `error`
 * (the server refused us, or our data does not add up: someone must look; retried slowly).
 */
export const syncState = z.enum(['not-enrolled', 'locked', 'offline', 'online', 'syncing', 'error']);
export type SyncState = z.infer<typeof syncState>;

export const syncStatus = z.object({
  state: syncState,
  /** One sentence for people: what is happening and what happens next. */
  message: z.string(),
  enrolment: z
    .object({
      serverUrl: z.string(),
      serverId: z.string(),
      stationId: z.string(),
      stationName: z.string(),
      enrolledAt: z.string(),
      enrolledBy: z.string(),
    })
    .nullable(),
  /** Records waiting to be sent; null while the station is locked (the outbox is encrypted). */
  queue: z.number().int().nullable(),
  quarantined: z.number().int().nullable(),
  acknowledged: z.number().int().nullable(),
  lastSyncAt: z.string().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
});
export type SyncStatus = z.infer<typeof syncStatus>;

export const syncRunResult = z.object({
  applied: z.number().int(),
  duplicate: z.number().int(),
  rejected: z.number().int(),
  batches: z.number().int(),
  /** Records still pending after the run (0 when the queue drained). */
  queue: z.number().int(),
  registry: z.object({ applications: z.number().int(), permissions: z.number().int() }),
});
export type SyncRunResult = z.infer<typeof syncRunResult>;

export const quarantinedRecord = z.object({
  seq: z.number().int(),
  kind: z.string(),
  ref: z.string(),
  reason: z.string(),
  createdAt: z.string(),
  rejectedAt: z.string(),
});

const serverUrl = z
  .string()
  .min(8)
  .max(2048)
  .regex(/^https?:\/\//, 'a server URL starts with https:// (or http:// to this machine)');

export const syncMethods = {
  'sync.status': { input: empty, output: syncStatus },
  /**
   * Binds the station to a Resource Server with a one-time code from its administrator. Every
   * card key the station makes from then on goes to that server, so it is dual control: the
   * logged-in security officer and a second one (`second`), like a key export (DESIGN.md §10).
   */
  'sync.enrol': {
    input: z
      .object({
        serverUrl,
        code: z
          .string()
          .trim()
          .toUpperCase()
          .regex(/^[A-Z2-9]{4}(?:-[A-Z2-9]{4}){3}$/, 'an enrolment code: XXXX-XXXX-XXXX-XXXX'),
        stationName: z.string().min(1).max(128).optional(),
        second: credentials,
      })
      .strict(),
    output: syncStatus,
  },
  /** Pushes now (resetting the backoff) and pulls the registry; answers how it went. */
  'sync.now': { input: empty, output: z.object({ status: syncStatus, run: syncRunResult.nullable() }) },
  'sync.quarantine': {
    input: z.object({ limit: z.number().int().min(1).max(1000) }).strict(),
    output: z.array(quarantinedRecord),
  },
  /** The application registry and permissions pulled from the server (clause 9.2.2). */
  'sync.registry': {
    input: z.object({ limit: z.number().int().min(1).max(1000) }).strict(),
    output: z.object({
      applications: z.array(
        z.object({
          appId: z.string(),
          name: z.string(),
          provider: z.string(),
          state: z.enum(['active', 'suspended', 'retired']),
          updatedAt: z.string(),
        }),
      ),
      permissions: z.array(
        z.object({ iccid: z.string(), appId: z.string(), granted: z.boolean(), updatedAt: z.string() }),
      ),
    }),
  },
} as const;

export const syncEvents = {
  sync: syncStatus,
} as const;
