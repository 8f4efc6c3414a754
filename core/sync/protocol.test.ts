import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { batchPayload, ProtocolError, publicJwk, signJws, verifyJws } from './protocol.js';

const station = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');

const batch = {
  protocol: 1,
  stationId: 'st-1',
  jti: randomBytes(16).toString('hex'),
  iat: 1_800_000_000,
  records: [],
  audit: [],
  secrets: null,
};

describe('sync protocol', () => {
  it('verifies a batch the station signed, and refuses another key, another typ and an edit', async () => {
    const jws = await signJws(batch, station.privateKey, 'obf-batch+jws');
    const jwk = await publicJwk(station.privateKey);
    await expect(verifyJws(jws, jwk, 'obf-batch+jws', batchPayload)).resolves.toEqual(batch);
    await expect(
      verifyJws(jws, await publicJwk(other.publicKey), 'obf-batch+jws', batchPayload),
    ).rejects.toMatchObject({
      code: 'BAD_SIGNATURE',
    });
    await expect(verifyJws(jws, jwk, 'obf-ack+jws', batchPayload)).rejects.toThrow(/expected a obf-ack\+jws/);
    const [h, , s] = jws.split('.');
    const edited = `${h}.${Buffer.from(JSON.stringify({ ...batch, stationId: 'st-2' })).toString('base64url')}.${s}`;
    await expect(verifyJws(edited, jwk, 'obf-batch+jws', batchPayload)).rejects.toBeInstanceOf(ProtocolError);
  });

  it('names the field of a signed payload that does not match the schema', async () => {
    const jws = await signJws(
      { ...batch, records: [{ kind: 'card-personalised', seq: 0 }] },
      station.privateKey,
      't',
    );
    await expect(verifyJws(jws, await publicJwk(station.publicKey), 't', batchPayload)).rejects.toThrow(
      /records\.0/,
    );
  });
});
