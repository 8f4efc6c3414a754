/**
 * Column encryption of card key CSV files, as pySim's card key provider does it citing GSMA
 * FS.28: each secret column is AES-CBC under a transport key (one per column or column group),
 * with a fixed IV of sixteen 0x23 bytes and no padding, and the CSV carries hex.
 *
 * A fixed IV and no MAC: equal values encrypt to equal ciphertexts and nothing detects
 * tampering. The format exists for interoperability with pySim only; the station's own output
 * file is the JWE one (RFC 7516). Key length chooses AES-128, -192 or -256 (aes.ts refuses others).
 */
import { ObfError } from '../errors.js';
import { toHex, fromHex } from '../bytes.js';
import { AES_BLOCK, aesCbcDecrypt, aesCbcEncrypt } from './aes.js';

/** The IV pySim's CardKeyFieldCryptor uses for every field. */
const FS28_IV = 0x23;

function iv(): Uint8Array {
  return new Uint8Array(AES_BLOCK).fill(FS28_IV);
}

/**
 * Checks a field before it reaches the cipher, naming the column but never echoing the value
 * (it is key material in clear, or its ciphertext).
 */
function fieldBytes(hex: string, what: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex))
    throw new ObfError('VALIDATION', `${what}: not an even-length hex string`);
  const bytes = fromHex(hex);
  if (bytes.length === 0 || bytes.length % AES_BLOCK !== 0)
    throw new ObfError(
      'VALIDATION',
      `${what}: ${bytes.length} bytes is not a whole number of 16-byte AES blocks (FS.28 CSV fields are not padded)`,
    );
  return bytes;
}

function checkKey(key: Uint8Array, what: string): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32)
    throw new ObfError('VALIDATION', `${what}: a transport key is 16, 24 or 32 bytes, got ${key.length}`);
}

/** Encrypts one hex field under `transportKey`; `column` only names the field in errors. */
export function fs28EncryptField(transportKey: Uint8Array, plaintextHex: string, column = 'field'): string {
  checkKey(transportKey, `CSV column ${column}`);
  return toHex(aesCbcEncrypt(transportKey, iv(), fieldBytes(plaintextHex, `CSV column ${column}`)));
}

/**
 * Decrypts one hex field. Without a MAC a wrong key cannot be detected here: it yields other
 * bytes, so callers verify what they decrypt (a KCV, a card authentication).
 */
export function fs28DecryptField(transportKey: Uint8Array, ciphertextHex: string, column = 'field'): string {
  checkKey(transportKey, `CSV column ${column}`);
  return toHex(aesCbcDecrypt(transportKey, iv(), fieldBytes(ciphertextHex, `CSV column ${column}`)));
}
