import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../bytes.js';
import { encodeCommand } from '../apdu.js';
import { parseInitializeUpdateResponse, scp03Handshake, Scp03Wrapper } from './scp03.js';

const v = JSON.parse(readFileSync(new URL('../../crypto/fixtures/scp03.json', import.meta.url), 'utf8')) as {
  static_keys: { enc: string; mac: string };
  host_challenge: string;
  initialize_update_response: string;
  parsed_response: Record<string, string>;
  external_authenticate_command: string;
};

describe('SCP03 handshake on the GP Amendment D vector', () => {
  const keys = { enc: fromHex(v.static_keys.enc), mac: fromHex(v.static_keys.mac) };

  it('parses the INITIALIZE UPDATE response field by field', () => {
    const r = parseInitializeUpdateResponse(fromHex(v.initialize_update_response));
    expect(toHex(r.kdd)).toBe(v.parsed_response.key_diversification_data);
    expect(toHex(Uint8Array.of(r.kvn, r.scpId, r.iParam))).toBe(v.parsed_response.key_information);
    expect(toHex(r.cardChallenge)).toBe(v.parsed_response.card_challenge);
    expect(toHex(r.cardCryptogram)).toBe(v.parsed_response.card_cryptogram);
    expect(toHex(r.sequenceCounter!)).toBe(v.parsed_response.sequence_counter);
  });

  it('reproduces the EXTERNAL AUTHENTICATE command exactly, C-MAC included', () => {
    const r = parseInitializeUpdateResponse(fromHex(v.initialize_update_response));
    const h = scp03Handshake(keys, fromHex(v.host_challenge), r, 0x11);
    expect(h.cardCryptogramValid).toBe(true);
    expect(toHex(encodeCommand(h.externalAuthenticate))).toBe(v.external_authenticate_command);
  });

  it('flags a card cryptogram made with other keys', () => {
    const r = parseInitializeUpdateResponse(fromHex(v.initialize_update_response));
    const h = scp03Handshake({ ...keys, mac: fromHex('00'.repeat(16)) }, fromHex(v.host_challenge), r, 0x01);
    expect(h.cardCryptogramValid).toBe(false);
  });

  it.each([
    ['a short response', '00'.repeat(28), 'must be 29 or 32 bytes'],
    ['SCP02 key information', '00'.repeat(10) + '300270' + '00'.repeat(19), 'not SCP03'],
    ['a counter the i parameter does not announce', '00'.repeat(10) + '300360' + '00'.repeat(19), 'disagree'],
  ])('refuses %s with a typed error', (_what, hex, message) => {
    expect(() => parseInitializeUpdateResponse(fromHex(hex))).toThrow(message);
  });

  it('refuses a security level Amendment D does not define', () => {
    const r = parseInitializeUpdateResponse(fromHex(v.initialize_update_response));
    expect(() => scp03Handshake(keys, fromHex(v.host_challenge), r, 0x21)).toThrow(
      'security level must be one of',
    );
  });
});

describe('SCP03 secure messaging', () => {
  const sessionKeys = {
    sEnc: fromHex('11'.repeat(16)),
    sMac: fromHex('22'.repeat(16)),
    sRmac: fromHex('33'.repeat(16)),
  };
  const command = { cla: 0x80, ins: 0xe2, p1: 0x80, p2: 0x00, data: fromHex('0101020304') };

  it('changes the MAC of an identical command as the chaining value advances', () => {
    const w = new Scp03Wrapper(sessionKeys, 0x01);
    const a = w.wrap(command);
    const b = w.wrap(command);
    expect(a.cla).toBe(0x84);
    expect(toHex(a.data.slice(0, 5))).toBe('0101020304');
    expect(toHex(a.data)).not.toBe(toHex(b.data));
  });

  it('encrypts command data under C-DECRYPTION and changes the ciphertext with the counter', () => {
    const w = new Scp03Wrapper(sessionKeys, 0x03);
    const a = w.wrap(command);
    const b = w.wrap(command);
    expect(a.data.length).toBe(16 + 8);
    expect(toHex(a.data.slice(0, 16))).not.toBe(toHex(b.data.slice(0, 16)));
  });

  it('detects a flipped bit in an R-MAC protected response', () => {
    const w = new Scp03Wrapper(sessionKeys, 0x11);
    w.wrap(command);
    expect(() => w.unwrap({ data: fromHex('00'.repeat(8)), sw: 0x9000 })).toThrow(
      'R-MAC verification failed',
    );
  });
});
