/** The KMS's words, shared by the store and the API contract (no imports: the renderer's types see it). */
export const roles = ['security_officer', 'supervisor', 'operator'] as const;
export type Role = (typeof roles)[number];
export const keyTypes = ['AES-128', 'AES-192', 'AES-256', '3DES', 'P-256', 'Ed25519'] as const;
export type KeyType = (typeof keyTypes)[number];
export const keyUsages = [
  'vendor-transport',
  'isd-master',
  'op',
  'obf-k',
  'opc',
  'application-key',
  'output-transport',
  'station-signing',
] as const;
export type KeyUsage = (typeof keyUsages)[number];
export const USERNAME_PATTERN = /^[a-z][a-z0-9._-]{1,31}$/;
export const MIN_PASSPHRASE = 12;
