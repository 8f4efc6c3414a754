export { SyncEngine, backoffDelay, type SyncEngineOptions } from './engine.js';
export { syncHandlers, type SyncMethodName } from './handlers.js';
export { SyncStore, type Enrolment, type QuarantinedRecord } from './sync-store.js';
export { decryptBatchSecrets, encryptBatchSecrets } from './batch-secrets.js';
export { SyncHttpError, checkServerUrl, parseRetryAfter } from './client.js';
export { enqueue, outboxAad, type OutboxEntry } from './outbox.js';
