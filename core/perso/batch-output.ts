/**
 * A batch's output files, written from the verified cards: the JWE to the customer's public key
 * (when the order names one) and the pySim card-key CSV with FS.28 column encryption under the
 * order's output transport key. No clear key in either; each file's hash goes to the audit chain.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Kms } from '../kms/index.js';
import type { BatchStore } from './batch-store.js';
import { writeCardKeysCsv, writeCardKeysJwe, type CardKeyRecord, type WrittenFile } from './output-files.js';
import { resolvePersoKeyLabels } from './perso-keys.js';

export async function writeBatchOutputs(
  kms: Kms,
  store: BatchStore,
  batchId: string,
  dir: string,
  actor: string,
): Promise<{ jwe: WrittenFile | null; csv: WrittenFile }> {
  const order = store.order(batchId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const records = function* (): Generator<CardKeyRecord> {
    for (const card of store.verifiedWithSecrets(batchId)) {
      yield {
        iccid: card.iccid,
        imsi: card.imsi,
        impi: card.impi,
        k: card.secrets.k,
        opc: card.secrets.opc,
        appKeys: Object.fromEntries(card.secrets.appKeys),
      };
    }
  };
  let jwe: WrittenFile | null = null;
  if (order.customer.publicKeyJwk) {
    jwe = await writeCardKeysJwe(join(dir, `${batchId}.jwe`), records(), {
      batchId,
      recipient: order.customer.publicKeyJwk,
    });
    store.recordOutputFile(batchId, 'jwe', jwe.sha256, jwe.records, actor);
  }
  const transportLabel = resolvePersoKeyLabels(kms, order).transport.label;
  const transport = kms.getKey(transportLabel);
  try {
    const csv = await writeCardKeysCsv(join(dir, `${batchId}.csv`), records(), {
      transportKey: transport.expose(),
      appKeySlots: order.appKeySlots,
    });
    store.recordOutputFile(batchId, 'csv', csv.sha256, csv.records, actor);
    return { jwe, csv };
  } finally {
    transport.zero();
  }
}
