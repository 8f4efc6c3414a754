import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret, publicJwk } from '../core/sync/protocol.js';
import { SecretDecryptor } from './secret-decryptor.js';

const server = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

describe('SecretDecryptor', () => {
  it('opens what jose encrypted, on its own node:crypto path, to the same bytes as jose', async () => {
    const jwk = { ...(await publicJwk(server.publicKey)), kid: 'srv-enc-1' };
    const d = new SecretDecryptor(server.privateKey);
    for (const secret of [{ k: 'ab'.repeat(16) }, { bindingId: 'b1', name: 'Zoë ☃' }, {}]) {
      const jwe = await encryptSecret(secret, jwk, 'card:1');
      const fast = d.fast(jwe, 'card:1');
      expect(fast).not.toBeNull();
      expect(text(fast!)).toBe(text(await decryptSecret(jwe, server.privateKey, 'card:1')));
      expect(JSON.parse(text(await d.decrypt(jwe, 'card:1')))).toEqual(secret);
    }
  });

  it('leaves to jose, with its message, a secret for another record, another key, or altered', async () => {
    const jwk = await publicJwk(server.publicKey);
    const d = new SecretDecryptor(server.privateKey);
    const jwe = await encryptSecret({ k: 'aa' }, jwk, 'card:1');
    expect(d.fast(jwe, 'card:2')).toBeNull();
    await expect(d.decrypt(jwe, 'card:2')).rejects.toThrow(/made for another record/);
    const other = new SecretDecryptor(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    expect(other.fast(jwe, 'card:1')).toBeNull();
    await expect(other.decrypt(jwe, 'card:1')).rejects.toThrow(/does not decrypt/);
    const parts = jwe.split('.');
    for (const i of [1, 2, 3, 4]) {
      const bytes = Buffer.from(parts[i]!, 'base64url');
      bytes[0]! ^= 1;
      const altered = parts.map((p, j) => (j === i ? bytes.toString('base64url') : p)).join('.');
      expect(d.fast(altered, 'card:1')).toBeNull();
      await expect(d.decrypt(altered, 'card:1')).rejects.toThrow();
    }
    expect(d.fast('not.a.jwe', 'card:1')).toBeNull();
  });
});
