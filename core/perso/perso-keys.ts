/**
 * The three masters a batch runs on, opened from the KMS for the run and zeroed after it: the
 * card vendor's transport master, the issuer's ISD master (both KDF3-diversified per card), and
 * the operator's OP (each card's OPc = AES_K(OP) ⊕ OP, TS 35.206 §4.1).
 */
import { ObfError } from '../errors.js';
import type { Kms, KeyRecord, KeyUsage } from '../kms/index.js';
import type { PersoKeys } from './card-job.js';
import type { Order } from './order.js';

/** The key a label names, checked for its usage; without a label, the station's one active key of that usage. */
function pick(keys: KeyRecord[], usage: KeyUsage, label: string | undefined, field: string): KeyRecord {
  const active = keys.filter((k) => k.state === 'active');
  if (label !== undefined) {
    const key = active.find((k) => k.label === label);
    if (!key) throw new ObfError('KEY_NOT_FOUND', `order.${field}: no active key labelled "${label}"`);
    if (key.usage !== usage)
      throw new ObfError('VALIDATION', `order.${field}: "${label}" is a ${key.usage} key, not ${usage}`);
    return key;
  }
  const candidates = active.filter((k) => k.usage === usage);
  if (candidates.length !== 1)
    throw new ObfError(
      'KEY_NOT_FOUND',
      `order.${field}: the station has ${candidates.length} active ${usage} keys; name one in the order`,
    );
  return candidates[0]!;
}

export function resolvePersoKeyLabels(kms: Kms, order: Order) {
  const keys = kms.listKeys();
  const op = pick(keys, 'op', order.opKeyLabel, 'opKeyLabel');
  const issuer = pick(keys, 'isd-master', order.issuerMasterKeyLabel, 'issuerMasterKeyLabel');
  const vendor = pick(keys, 'vendor-transport', order.vendorTransportKeyLabel, 'vendorTransportKeyLabel');
  const transport = pick(keys, 'output-transport', order.outputTransportKeyLabel, 'outputTransportKeyLabel');
  for (const k of [op, issuer, vendor, transport]) {
    if (!k.type.startsWith('AES-'))
      throw new ObfError('VALIDATION', `key "${k.label}" is ${k.type}, not AES`);
  }
  if (op.type !== 'AES-128') throw new ObfError('VALIDATION', `OP "${op.label}" must be AES-128 (TS 35.206)`);
  return { op, issuer, vendor, transport };
}

export function openPersoKeys(kms: Kms, order: Order): PersoKeys {
  const labels = resolvePersoKeyLabels(kms, order);
  const open = (label: string) => {
    const key = kms.getKey(label);
    const bytes = key.expose().slice();
    key.zero();
    return bytes;
  };
  return {
    op: open(labels.op.label),
    issuerMaster: open(labels.issuer.label),
    vendorTransportMaster: open(labels.vendor.label),
  };
}

export function zeroPersoKeys(keys: PersoKeys): void {
  keys.op.fill(0);
  keys.issuerMaster.fill(0);
  keys.vendorTransportMaster.fill(0);
}
