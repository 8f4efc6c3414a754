/**
 * GlobalPlatform SCP03 key derivation (Card Spec v2.3 Amendment D §6.2.1): NIST SP 800-108 KDF
 * in counter mode with AES-CMAC as PRF. Derivation data per iteration:
 *   label (11 × 00) ‖ derivation constant ‖ 00 (separation indicator) ‖ L (2 bytes, bits) ‖ i ‖ context
 */
import { concatBytes } from '../bytes.js';
import { aesCmac } from './aes-cmac.js';

/** Amd D Table 6-1: derivation constants. */
export const DerivationConstant = {
  cardCryptogram: 0x00,
  hostCryptogram: 0x01,
  cardChallenge: 0x02,
  sEnc: 0x04,
  sMac: 0x06,
  sRmac: 0x07,
} as const;

export function scp03Kdf(
  key: Uint8Array,
  constant: number,
  context: Uint8Array,
  lengthBits: number,
): Uint8Array {
  if (lengthBits % 8 !== 0 || lengthBits <= 0 || lengthBits > 0xffff)
    throw new RangeError(`bad KDF output length ${lengthBits}`);
  const prefix = Uint8Array.from([...new Uint8Array(11), constant, 0x00, lengthBits >> 8, lengthBits & 0xff]);
  return counterModeKdf(key, prefix, context, lengthBits / 8);
}

/** SP 800-108 counter mode with an 8-bit counter placed between `prefix` and `suffix`, i = 1, 2, … */
export function counterModeKdf(
  key: Uint8Array,
  prefix: Uint8Array,
  suffix: Uint8Array,
  bytes: number,
): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (let i = 1; blocks.length * 16 < bytes; i++) {
    if (i > 0xff) throw new RangeError('KDF output too long for an 8-bit counter');
    blocks.push(aesCmac(key, concatBytes(prefix, Uint8Array.of(i), suffix)));
  }
  return concatBytes(...blocks).slice(0, bytes);
}

export interface Scp03SessionKeys {
  sEnc: Uint8Array;
  sMac: Uint8Array;
  sRmac: Uint8Array;
}

/** Amd D §6.2.1: session keys from the static keys and both challenges (context = host ‖ card challenge). */
export function deriveSessionKeys(
  keys: { enc: Uint8Array; mac: Uint8Array },
  hostChallenge: Uint8Array,
  cardChallenge: Uint8Array,
): Scp03SessionKeys {
  const context = concatBytes(hostChallenge, cardChallenge);
  const bits = keys.enc.length * 8;
  return {
    sEnc: scp03Kdf(keys.enc, DerivationConstant.sEnc, context, bits),
    sMac: scp03Kdf(keys.mac, DerivationConstant.sMac, context, keys.mac.length * 8),
    sRmac: scp03Kdf(keys.mac, DerivationConstant.sRmac, context, keys.mac.length * 8),
  };
}

/** Amd D §6.2.2.2 / §6.2.2.3: card and host cryptograms, 64 bits from S-MAC. */
export function cryptogram(
  sMac: Uint8Array,
  which: 'card' | 'host',
  hostChallenge: Uint8Array,
  cardChallenge: Uint8Array,
) {
  const constant = which === 'card' ? DerivationConstant.cardCryptogram : DerivationConstant.hostCryptogram;
  return scp03Kdf(sMac, constant, concatBytes(hostChallenge, cardChallenge), 64);
}

/** Amd D §6.2.2.1: pseudo-random card challenge from the static ENC key, the sequence counter and the SD's AID. */
export function pseudoRandomCardChallenge(
  enc: Uint8Array,
  sequenceCounter: Uint8Array,
  aid: Uint8Array,
): Uint8Array {
  return scp03Kdf(enc, DerivationConstant.cardChallenge, concatBytes(sequenceCounter, aid), 64);
}
