import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encryptBatchSecrets } from '../core/sync/batch-secrets.js';
import { publicJwk, type BatchPayload, type SyncRecord } from '../core/sync/protocol.js';
import { bindingAad, deviceAad, openBatchSecrets, openRecordSecret } from './secrets.js';

const ICCID = (n: number) => `894400000000000000${n}`;
const server = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keys = { encryption: server.privateKey, records: randomBytes(32) };
const hex = (b: number) => b.toString(16).padStart(2, '0').repeat(16);

const card = (seq: number, n: number): SyncRecord => ({
  seq,
  ref: `card:${n}`,
  createdAt: '2026-01-01T00:00:00Z',
  kind: 'card-personalised',
  data: {
    batchId: 'b',
    iccid: ICCID(n),
    imsi: '208010000000001',
    impi: 'i',
    profile: 'p',
    kcvs: {},
    verifiedAt: '2026-01-01T00:00:00Z',
  },
});
const kyc = (seq: number, action: 'bind' | 'withdraw', bindingId: string): SyncRecord => ({
  seq,
  ref: `kyc:${seq}`,
  createdAt: '2026-01-01T00:00:00Z',
  kind: 'kyc-event',
  data: {
    action,
    bindingId,
    supersedes: null,
    device: { iccid: ICCID(1) },
    custodianId: 'c',
    custodianKind: 'organisation',
    purpose: 'p',
    operator: 'op',
    at: '2026-01-01T00:00:00Z',
  },
});
const cardSecret = (n: number) => ({
  iccid: ICCID(n),
  k: hex(n),
  opc: hex(n + 1),
  appKeys: { '1': hex(n + 2) },
});

async function batch(
  records: SyncRecord[],
  secrets: Map<number, unknown>,
  over: { jti?: string; to?: typeof server.publicKey } = {},
): Promise<BatchPayload> {
  const jti = 'jti-1';
  const json = new Map([...secrets].map(([seq, s]) => [seq, Buffer.from(JSON.stringify(s))]));
  const jwk = await publicJwk(over.to ?? server.publicKey);
  return {
    protocol: 1,
    stationId: 'st-a',
    jti,
    iat: 0,
    records,
    audit: [],
    secrets: await encryptBatchSecrets(json, jwk, over.jti ?? jti),
  };
}

describe('openBatchSecrets', () => {
  it('checks each record against its secret and seals what passes, bound to its row', async () => {
    const b = await batch(
      [card(1, 1), card(2, 2), card(3, 3), kyc(4, 'bind', 'b1'), kyc(5, 'withdraw', 'b1')],
      new Map<number, unknown>([
        [1, cardSecret(1)],
        [2, cardSecret(9)],
        [4, { bindingId: 'b1', name: 'Ada' }],
        [5, { bindingId: 'b1' }],
      ]),
    );
    const out = await openBatchSecrets(b, 1, keys);
    expect([...out.errors]).toEqual([
      [2, `record 2 (card:2): the secret is for ICCID ${ICCID(9)}, the record for ${ICCID(2)}`],
      [3, "record 3 (card:3): no secret for record 3 in the batch's secrets"],
    ]);
    // A withdraw stores no personal data: nothing sealed for it.
    expect([...out.sealed.keys()]).toEqual([1, 4]);
    expect(openRecordSecret(keys.records, out.sealed.get(1)!, deviceAad(ICCID(1)))).toEqual(cardSecret(1));
    expect(openRecordSecret(keys.records, out.sealed.get(4)!, bindingAad('b1'))).toEqual({
      bindingId: 'b1',
      name: 'Ada',
    });
    expect(() => openRecordSecret(keys.records, out.sealed.get(1)!, deviceAad(ICCID(2)))).toThrow(
      `the sealed secret of device:${ICCID(2)} does not open with this server's master key`,
    );
  });

  it('skips the checks of records before fromSeq (duplicates) but still accounts for their seq', async () => {
    const b = await batch([card(1, 1), card(2, 2)], new Map([[2, cardSecret(2)]]));
    const out = await openBatchSecrets(b, 2, keys);
    expect(out.errors.size).toBe(0);
    expect([...out.sealed.keys()]).toEqual([2]);
  });

  it('refuses the batch: a stray seq, another batch jti, another server key', async () => {
    const stray = await batch(
      [card(1, 1)],
      new Map([
        [1, cardSecret(1)],
        [8, cardSecret(1)],
      ]),
    );
    await expect(openBatchSecrets(stray, 1, keys)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'secrets: seq 8 names no record of this batch',
    });
    const moved = await batch([card(1, 1)], new Map([[1, cardSecret(1)]]), { jti: 'jti-2' });
    await expect(openBatchSecrets(moved, 1, keys)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'secrets: made for another batch',
    });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const elsewhere = await batch([card(1, 1)], new Map([[1, cardSecret(1)]]), { to: other });
    await expect(openBatchSecrets(elsewhere, 1, keys)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^secrets: do not decrypt with this server's key/) as string,
    });
  });
});
