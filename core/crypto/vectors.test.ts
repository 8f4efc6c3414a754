import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.js';
import { aesCmac } from './aes-cmac.js';
import { kdf3, diversifyKeySet } from './kdf3.js';
import { aesKeyUnwrap, aesKeyWrap } from './key-wrap.js';
import { kcvAes, kcvDes3 } from './kcv.js';
import { computeOpc, milenage } from './milenage.js';
import { cryptogram, deriveSessionKeys, pseudoRandomCardChallenge } from './scp03-kdf.js';

// Published vectors, copied into fixtures/ with their sources (the project never reads ../shared).
const fixture = <T>(name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;

type MilenageSet = Record<
  'k' | 'rand' | 'sqn' | 'amf' | 'op' | 'opc' | 'f1' | 'f1star' | 'f2' | 'f3' | 'f4' | 'f5' | 'f5star',
  string
> & {
  set: number;
};

describe('Milenage, 3GPP TS 35.208 test sets', () => {
  const { sets } = fixture<{ sets: MilenageSet[] }>('milenage.json');
  it.each(sets.map((s) => [s.set, s] as const))('reproduces set %i: OPc and f1…f5*', (_n, s) => {
    const k = fromHex(s.k);
    const opc = computeOpc(k, fromHex(s.op));
    expect(toHex(opc)).toBe(s.opc);
    const out = milenage(k, opc, fromHex(s.rand), fromHex(s.sqn), fromHex(s.amf));
    expect({
      f1: toHex(out.f1),
      f1star: toHex(out.f1star),
      f2: toHex(out.f2),
      f3: toHex(out.f3),
      f4: toHex(out.f4),
      f5: toHex(out.f5),
      f5star: toHex(out.f5star),
    }).toEqual({ f1: s.f1, f1star: s.f1star, f2: s.f2, f3: s.f3, f4: s.f4, f5: s.f5, f5star: s.f5star });
  });

  it('refuses inputs of the wrong length, naming the parameter', () => {
    const z = (n: number) => new Uint8Array(n);
    expect(() => milenage(z(16), z(16), z(16), z(5), z(2))).toThrow('Milenage SQN must be 6 bytes, got 5');
    expect(() => computeOpc(z(15), z(16))).toThrow('Milenage K must be 16 bytes');
  });
});

describe('AES-CMAC, RFC 4493 §4', () => {
  const v = fixture<{ key: string; cases: { message: string; mac: string }[] }>('aes-cmac.json');
  it.each(v.cases.map((c) => [c.message.length / 2, c] as const))(
    'matches the example with a %i-byte message',
    (_n, c) => {
      expect(toHex(aesCmac(fromHex(v.key), fromHex(c.message)))).toBe(c.mac);
    },
  );
});

describe('AES key wrap, RFC 3394 §4', () => {
  const v = fixture<{ cases: { section: string; kek: string; key_data: string; ciphertext: string }[] }>(
    'rfc3394.json',
  );
  it.each(v.cases.map((c) => [c.section, c] as const))('wraps and unwraps §%s', (_s, c) => {
    const wrapped = aesKeyWrap(fromHex(c.kek), fromHex(c.key_data));
    expect(toHex(wrapped)).toBe(c.ciphertext);
    expect(toHex(aesKeyUnwrap(fromHex(c.kek), wrapped))).toBe(c.key_data);
  });

  it('detects a flipped bit on unwrap', () => {
    const c = v.cases[0]!;
    const wrapped = fromHex(c.ciphertext);
    wrapped[5]! ^= 0x01;
    expect(() => aesKeyUnwrap(fromHex(c.kek), wrapped)).toThrow('integrity check value mismatch');
  });
});

describe('GP SCP03 (Amendment D) vector', () => {
  const v = fixture<{
    static_keys: { enc: string; mac: string; dek: string };
    host_challenge: string;
    parsed_response: { card_challenge: string; card_cryptogram: string; sequence_counter: string };
    session_keys: { s_enc: string; s_mac: string; s_rmac: string };
    host_cryptogram: string;
  }>('scp03.json');
  const hc = fromHex(v.host_challenge);
  const cc = fromHex(v.parsed_response.card_challenge);
  const keys = { enc: fromHex(v.static_keys.enc), mac: fromHex(v.static_keys.mac) };

  it('derives S-ENC, S-MAC and S-RMAC', () => {
    const s = deriveSessionKeys(keys, hc, cc);
    expect([toHex(s.sEnc), toHex(s.sMac), toHex(s.sRmac)]).toEqual([
      v.session_keys.s_enc,
      v.session_keys.s_mac,
      v.session_keys.s_rmac,
    ]);
  });

  it('computes the card and host cryptograms', () => {
    const sMac = fromHex(v.session_keys.s_mac);
    expect(toHex(cryptogram(sMac, 'card', hc, cc))).toBe(v.parsed_response.card_cryptogram);
    expect(toHex(cryptogram(sMac, 'host', hc, cc))).toBe(v.host_cryptogram);
  });

  it('reproduces the pseudo-random card challenge from the sequence counter and the SD AID', () => {
    const aid = fromHex('a0000005591010ffffffff8900000100');
    expect(toHex(pseudoRandomCardChallenge(keys.enc, fromHex(v.parsed_response.sequence_counter), aid))).toBe(
      v.parsed_response.card_challenge,
    );
  });
});

describe('KDF3 diversification', () => {
  const v = fixture<{ master: string; kdd: string; enc: string }>('kdf3.json');
  it('reproduces GlobalPlatformPro’s published ENC key for an AES-256 master', () => {
    expect(toHex(kdf3(fromHex(v.master), fromHex(v.kdd), 'enc'))).toBe(v.enc);
  });

  it('gives three different keys of the master’s length, and different keys for different cards', () => {
    const master = fromHex('404142434445464748494a4b4c4d4e4f');
    const a = diversifyKeySet(master, fromHex('00010203040506070809'));
    const b = diversifyKeySet(master, fromHex('00010203040506070808'));
    expect(new Set([toHex(a.enc), toHex(a.mac), toHex(a.dek)]).size).toBe(3);
    expect(a.enc.length).toBe(16);
    expect(toHex(a.enc)).not.toBe(toHex(b.enc));
  });

  it('refuses key diversification data that is not 10 bytes', () => {
    expect(() => kdf3(new Uint8Array(16), new Uint8Array(8), 'mac')).toThrow(
      'key diversification data is 10 bytes, got 8',
    );
  });
});

describe('key check values', () => {
  it('AES: first 3 bytes of AES(K, 01×16) (GP Amd D)', () => {
    // GP default test key 404142…4F; checked independently with the openssl CLI (aes-128-ecb).
    expect(toHex(kcvAes(fromHex('404142434445464748494a4b4c4d4e4f')))).toBe('504a77');
  });

  it('3DES: first 3 bytes of E(K, 00×8) for two- and three-key 3DES', () => {
    // With K1 = K2 = K3, 3DES is single DES: DES(0123456789ABCDEF, 00×8) = D5D44FF720683D0D, the
    // classic DES test value (also checked with the openssl CLI, des-ede3).
    expect(toHex(kcvDes3(fromHex('0123456789abcdef0123456789abcdef')))).toBe('d5d44f');
    expect(toHex(kcvDes3(fromHex('0123456789abcdef0123456789abcdef0123456789abcdef')))).toBe('d5d44f');
    expect(toHex(kcvDes3(fromHex('0123456789abcdeffedcba9876543210')))).not.toBe('d5d44f');
  });
});
