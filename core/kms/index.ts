export {
  Kms,
  keyringPath,
  STATION_SIGNING_LABEL,
  roles,
  keyTypes,
  keyUsages,
  type Role,
  type KeyType,
  type KeyUsage,
  type KeyRecord,
  type Principal,
  type KmsOptions,
  type InitOptions,
  type SetupUser,
  type RecoveryShare,
  type UserRecord,
  type KeyExport,
  type StationRecords,
} from './kms.js';
export { SecretKey } from './secret-key.js';
export { verifyAudit, appendAudit, type AuditVerdict, type AuditEvent } from './audit.js';
export { DEFAULT_SCRYPT, type ScryptParams } from './keyring.js';
export { LATEST_VERSION, migrate } from './migrations/index.js';
export { KmsService } from './kms-service.js';
export { verifyAuditExport, type AuditExport } from './audit-export.js';
