import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptBatchSecrets, encryptBatchSecrets } from './batch-secrets.js';
import { publicJwk } from './protocol.js';

const server = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('batch secrets (one JWE per batch)', () => {
  it('round-trips seq → secret, only for the server key and the batch it names', async () => {
    const jti = randomBytes(16).toString('hex');
    const jwk = { ...(await publicJwk(server.publicKey)), kid: 'enc-1' };
    const jwe = await encryptBatchSecrets(
      new Map([
        [7, json({ iccid: '8901', k: 'aa' })],
        [8, json({ bindingId: 'b-1', name: 'Asha' })],
      ]),
      jwk,
      jti,
    );
    expect(jwe).not.toMatch(/Asha|aa"/);
    const out = await decryptBatchSecrets(jwe, server.privateKey, jti);
    expect([...out]).toEqual([
      [7, { iccid: '8901', k: 'aa' }],
      [8, { bindingId: 'b-1', name: 'Asha' }],
    ]);
    await expect(decryptBatchSecrets(jwe, server.privateKey, 'f'.repeat(32))).rejects.toThrow(
      /another batch/,
    );
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expect(decryptBatchSecrets(jwe, other.privateKey, jti)).rejects.toThrow(/do not decrypt/);
    await expect(decryptBatchSecrets('x.y.z', server.privateKey, jti)).rejects.toThrow(/compact JWE/);
  });

  it('refuses a plaintext that is not seq → secret', async () => {
    const jwk = await publicJwk(server.publicKey);
    const bad = await encryptBatchSecrets(new Map([[0, json({})]]), jwk, 'j');
    await expect(decryptBatchSecrets(bad, server.privateKey, 'j')).rejects.toThrow(/not a sequence number/);
  });
});
