/**
 * A station ready to personalise, for the perso tests and the bench: a real SQLCipher KMS with
 * the vendor transport master of the virtual cards imported by components (two officers), an
 * issuer ISD master, an OP and an output transport key generated under dual control, and an
 * order file for N cards with a customer key pair for the JWE.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { toHex } from '../../core/bytes.js';
import { kcvAes } from '../../core/crypto/index.js';
import { Kms } from '../../core/kms/index.js';
import { parseOrder, type Order } from '../../core/perso/index.js';
import { DEV_VENDOR_MASTER } from '../../native/vcard/index.js';

export const PASSPHRASES = {
  alice: 'alice correct horse',
  bob: 'bob battery staple',
  oscar: 'oscar operator pass',
} as const;

export interface PersoStation {
  dbPath: string;
  orderPath: string;
  order: Order;
  /** The customer's private key (JWK), to open the JWE output. */
  customerPrivateJwk: JWK;
}

export async function createPersoStation(
  dir: string,
  options: {
    cards: number;
    batchId?: string;
    iccidStart?: number;
    scrypt?: { N: number; r: number; p: number };
  },
): Promise<PersoStation> {
  const dbPath = join(dir, 'station.db');
  const { kms } = await Kms.initialize(dbPath, {
    users: [
      { username: 'alice', role: 'security_officer', passphrase: PASSPHRASES.alice },
      { username: 'bob', role: 'security_officer', passphrase: PASSPHRASES.bob },
      { username: 'oscar', role: 'operator', passphrase: PASSPHRASES.oscar },
    ],
    recovery: { threshold: 2, shares: 2 },
    scrypt: options.scrypt ?? { N: 1024, r: 8, p: 1 },
  });
  const alice = kms.authenticate('alice', PASSPHRASES.alice);
  const bob = kms.authenticate('bob', PASSPHRASES.bob);
  const c1 = new Uint8Array(randomBytes(16));
  const c2 = DEV_VENDOR_MASTER.map((b, i) => b ^ c1[i]!);
  kms.importFromComponents(
    {
      label: 'vendor/virtual-cards',
      type: 'AES-128',
      usage: 'vendor-transport',
      expectedKcv: toHex(kcvAes(DEV_VENDOR_MASTER)),
    },
    [
      { custodian: alice, component: c1, kcv: toHex(kcvAes(c1)) },
      { custodian: bob, component: c2, kcv: toHex(kcvAes(c2)) },
    ],
  );
  kms.generateKey({ label: 'issuer/isd-master', type: 'AES-128', usage: 'isd-master' }, [alice, bob]);
  kms.generateKey({ label: 'op/test-operator', type: 'AES-128', usage: 'op' }, [alice, bob]);
  kms.generateKey({ label: 'output/test-customer', type: 'AES-128', usage: 'output-transport' }, [
    alice,
    bob,
  ]);
  kms.lock();
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const manifest = {
    batchId: options.batchId ?? 'TEST-0001',
    customer: { name: 'Test Fleet', publicKeyJwk: { ...publicKey.export({ format: 'jwk' }), use: 'enc' } },
    profile: 'obf-v1',
    iccid: { issuerPrefix: '8949001', start: String(options.iccidStart ?? 1), count: options.cards },
    imsi: { mcc: '001', mnc: '01', msinStart: String(options.iccidStart ?? 1) },
    impiTemplate: '{imsi}@ims.mnc{mnc}.mcc{mcc}.3gppnetwork.org',
    obfDomain: 'obf.test',
    amf: '8000',
    initialSqn: '000000000000',
    appKeySlots: [1, 2],
    opKeyLabel: 'op/test-operator',
    outputTransportKeyLabel: 'output/test-customer',
  };
  const orderPath = join(dir, `${manifest.batchId}.json`);
  writeFileSync(orderPath, JSON.stringify(manifest, null, 2));
  return {
    dbPath,
    orderPath,
    order: parseOrder(manifest),
    customerPrivateJwk: privateKey.export({ format: 'jwk' }),
  };
}
