/**
 * AES-CMAC, RFC 4493 (NIST SP 800-38B), composed from node:crypto's AES: node exposes no CMAC.
 */
import { AES_BLOCK, aesEcbBlockEncryptor, xor } from './aes.js';

// RFC 4493 §2.3: doubling in GF(2^128) with the constant Rb = 0x87.
function double(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(AES_BLOCK);
  for (let i = 0; i < AES_BLOCK; i++) out[i] = ((block[i]! << 1) | ((block[i + 1] ?? 0) >> 7)) & 0xff;
  if (block[0]! & 0x80) out[AES_BLOCK - 1]! ^= 0x87;
  return out;
}

export function aesCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  // One key schedule for the subkeys, the chain and the last block (SCP03 MACs every APDU).
  const encrypt = aesEcbBlockEncryptor(key);
  const l = encrypt(new Uint8Array(AES_BLOCK));
  const k1 = double(l);
  const k2 = double(k1);
  const blocks = Math.max(1, Math.ceil(message.length / AES_BLOCK));
  const complete = message.length > 0 && message.length % AES_BLOCK === 0;
  // RFC 4493 §2.4 steps 3-4: the last block is XORed with K1 if complete, else padded (10*) and XORed with K2.
  const last = new Uint8Array(AES_BLOCK);
  const tail = message.subarray((blocks - 1) * AES_BLOCK);
  last.set(tail);
  if (!complete) last[tail.length] = 0x80;
  const lastBlock = xor(last, complete ? k1 : k2);
  // Steps 5-6: the CBC-MAC chain.
  let x: Uint8Array = new Uint8Array(AES_BLOCK);
  for (let i = 0; i < blocks - 1; i++)
    x = encrypt(xor(x, message.subarray(i * AES_BLOCK, (i + 1) * AES_BLOCK)));
  return encrypt(xor(x, lastBlock));
}
