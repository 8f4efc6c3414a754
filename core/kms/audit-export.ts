/**
 * A signed copy of the whole audit chain for an auditor: every row as stored (so the chain can
 * be re-verified away from the station), the chain verdict at export time, who approved the
 * export, all signed by the station key. The export itself is an audited event.
 */
import { auditExport, type AuditExportFile } from '../api/contract.js';
import { signCanonical, verifyCanonical, type CanonicalSignature } from '../ceremony/index.js';
import { verifyAuditRows, type AuditRow, type AuditVerdict } from './audit.js';

export type AuditExport = AuditExportFile;

export function buildAuditExport(
  input: { stationId: string; exportedAt: string; approvedBy: string[]; rows: AuditRow[] },
  stationKeyPkcs8: Uint8Array,
): AuditExport {
  const record = { version: 1 as const, kind: 'obf-audit-export' as const, ...input };
  return { record, ...signCanonical(record, stationKeyPkcs8) };
}

/**
 * Checks an export file: its shape, the station signature over it, and the chain inside it.
 * `signature` false means the file was changed after export; a broken chain means the station's
 * log had been tampered with before.
 */
export function verifyAuditExport(raw: unknown): { signature: boolean; chain: AuditVerdict } {
  const parsed = auditExport.safeParse(raw);
  if (!parsed.success) {
    return {
      signature: false,
      chain: { ok: false, rows: 0, firstBroken: null, reason: 'not an audit export file' },
    };
  }
  const { record, ...signature } = parsed.data;
  return {
    signature: verifyCanonical(record, signature satisfies CanonicalSignature),
    chain: verifyAuditRows(record.rows),
  };
}
