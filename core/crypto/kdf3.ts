/**
 * "KDF3" diversification of a master key set with the card's key diversification data (KDD),
 * the scheme GlobalPlatformPro calls kdf3, so keys agree with what its users already run:
 * for key type t (ENC = 1, MAC = 2, DEK = 3) the card key is the SP 800-108 counter-mode
 * output AES-CMAC(master, i ‖ 00 00 00 ‖ t ‖ 00 ‖ KDD), i = 1, 2, … up to the master's length.
 */
import { concatBytes } from '../bytes.js';
import { counterModeKdf } from './scp03-kdf.js';

export const keyTypes = { enc: 1, mac: 2, dek: 3 } as const;
export type KeyType = keyof typeof keyTypes;

export function kdf3(master: Uint8Array, kdd: Uint8Array, type: KeyType): Uint8Array {
  if (![16, 24, 32].includes(master.length))
    throw new RangeError(`an AES master key is 16, 24 or 32 bytes, got ${master.length}`);
  if (kdd.length !== 10) throw new RangeError(`key diversification data is 10 bytes, got ${kdd.length}`);
  const suffix = concatBytes(Uint8Array.of(0, 0, 0, keyTypes[type], 0), kdd);
  return counterModeKdf(master, new Uint8Array(0), suffix, master.length);
}

export function diversifyKeySet(
  master: Uint8Array,
  kdd: Uint8Array,
): { enc: Uint8Array; mac: Uint8Array; dek: Uint8Array } {
  return { enc: kdf3(master, kdd, 'enc'), mac: kdf3(master, kdd, 'mac'), dek: kdf3(master, kdd, 'dek') };
}
