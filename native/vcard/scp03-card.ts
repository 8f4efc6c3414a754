/**
 * The card side of SCP03 (GP Amendment D): checks the host's C-MAC and decrypts C-DECRYPTION
 * data, then protects responses with R-ENCRYPTION and R-MAC — the mirror of core/card/gp's
 * host wrapper, so the two can only agree if both follow the amendment.
 */
import { bytesEqual, concatBytes } from '../../core/bytes.js';
import type { CommandApdu } from '../../core/card/index.js';
import { incrementCounter } from '../../core/card/gp/index.js';
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCmac,
  aesEcbEncrypt,
  pad80,
  unpad80,
  type Scp03SessionKeys,
} from '../../core/crypto/index.js';

export class CardSecureChannel {
  private chaining: Uint8Array = new Uint8Array(16);
  private readonly counter = new Uint8Array(16);
  level = 0x01;
  authenticated = false;

  constructor(readonly keys: Scp03SessionKeys) {}

  /** Verifies the C-MAC and removes it; decrypts the data under C-DECRYPTION. Null: reject (6982). */
  unwrap(command: CommandApdu): CommandApdu | null {
    if ((command.cla & 0x04) === 0 || command.data.length < 8) return null;
    const payload = command.data.subarray(0, command.data.length - 8);
    const mac = command.data.subarray(command.data.length - 8);
    const header = Uint8Array.of(command.cla, command.ins, command.p1, command.p2, command.data.length);
    const full = aesCmac(this.keys.sMac, concatBytes(this.chaining, header, payload));
    if (!bytesEqual(full.slice(0, 8), mac)) return null;
    this.chaining = full;
    let data: Uint8Array = payload.slice();
    if (this.authenticated && this.level & 0x02) {
      incrementCounter(this.counter);
      if (data.length > 0) {
        if (data.length % 16 !== 0) return null;
        try {
          data = unpad80(aesCbcDecrypt(this.keys.sEnc, aesEcbEncrypt(this.keys.sEnc, this.counter), data));
        } catch {
          return null;
        }
      }
    }
    const plain: CommandApdu = {
      cla: command.cla & ~0x04,
      ins: command.ins,
      p1: command.p1,
      p2: command.p2,
      data,
    };
    if (command.le !== undefined) plain.le = command.le;
    return plain;
  }

  /** R-ENCRYPTION then R-MAC; error statuses (6xxx) go back bare, as the amendment allows. */
  wrap(data: Uint8Array, sw: number): { data: Uint8Array; sw: number } {
    if ((sw & 0xf000) === 0x6000) return { data: new Uint8Array(0), sw };
    let out = data;
    if (this.level & 0x20 && out.length > 0) {
      const c = this.counter.slice();
      c[0] = 0x80;
      out = aesCbcEncrypt(this.keys.sEnc, aesEcbEncrypt(this.keys.sEnc, c), pad80(out));
    }
    if (this.level & 0x10) {
      const mac = aesCmac(
        this.keys.sRmac,
        concatBytes(this.chaining, out, Uint8Array.of(sw >> 8, sw & 0xff)),
      );
      out = concatBytes(out, mac.slice(0, 8));
    }
    return { data: out, sw };
  }
}
