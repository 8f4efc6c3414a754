/**
 * The KMS's words as the forms offer them. The renderer may not import core's values, so the
 * lists are repeated here and checked against the contract's types: a role, key type or usage
 * added to core and missing here fails the renderer's type check.
 */
import type { KeyRecordView, UserRecordView } from '../../../../core/api/index.js';

type Role = UserRecordView['role'];
type KeyType = KeyRecordView['type'];
type KeyUsage = KeyRecordView['usage'];

export const roles = ['security_officer', 'supervisor', 'operator'] as const satisfies readonly Role[];
export const keyTypes = [
  'AES-128',
  'AES-192',
  'AES-256',
  '3DES',
  'P-256',
  'Ed25519',
] as const satisfies readonly KeyType[];
export const keyUsages = [
  'isd-master',
  'vendor-transport',
  'op',
  'obf-k',
  'opc',
  'output-transport',
  'application-key',
  'station-signing',
] as const satisfies readonly KeyUsage[];

/** Symmetric types, the ones imported by components and exported wrapped: hex digits per key. */
export const componentHexLengths: Partial<Record<KeyType, readonly number[]>> = {
  'AES-128': [32],
  'AES-192': [48],
  'AES-256': [64],
  '3DES': [32, 48],
};
export const symmetricTypes = keyTypes.filter((t) => componentHexLengths[t] !== undefined);

type Complete<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : false;
const complete: [
  Complete<Role, (typeof roles)[number]>,
  Complete<KeyType, (typeof keyTypes)[number]>,
  Complete<KeyUsage, (typeof keyUsages)[number]>,
] = [true, true, true];
void complete;

export function roleName(role: Role): string {
  return role.replace('_', ' ');
}

export type { KeyType, KeyUsage, Role };
