/**
 * A virtual OBF secure element. At this stage it answers SELECT and GET DATA with a fixed
 * identity (ISD and OBF applet AIDs, CPLC, CIN, IIN, key information); the full OBF card
 * profile v1 (SCP03, PUT KEY, STORE DATA, AUTHENTICATE) is the card-stack issue.
 */
import { concatBytes, fromHex } from '../../core/bytes.js';
import { decodeCommand, encodeResponse } from '../../core/card/index.js';
import { isObfError } from '../../core/index.js';

export const ISD_AID = fromHex('a000000151000000');
export const OBF_APPLET_AID = fromHex('f04f4246434c01');

// ISO 7816-3 §8.2: TS=3B, T0=8A (TD1 follows, 10 historical bytes), TD1=80 (TD2 follows, T=0),
// TD2=01 (T=1); the historical bytes say "OBF-VSE-v1"; TCK is the XOR of T0..last byte.
function buildAtr(): Uint8Array {
  const body = Uint8Array.from([0x8a, 0x80, 0x01, ...new TextEncoder().encode('OBF-VSE-v1')]);
  const tck = body.reduce((x, b) => x ^ b, 0);
  return Uint8Array.from([0x3b, ...body, tck]);
}
export const VIRTUAL_ATR = buildAtr();

const SW = {
  OK: 0x9000,
  WRONG_LENGTH: 0x6700,
  FILE_NOT_FOUND: 0x6a82,
  WRONG_P1P2: 0x6a86,
  DATA_NOT_FOUND: 0x6a88,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
} as const;

function tlv(tag: number[], value: Uint8Array): Uint8Array {
  // Short-form lengths suffice for these fixed objects (all under 128 bytes).
  return Uint8Array.from([...tag, value.length, ...value]);
}

export interface VirtualCardIdentity {
  /** Distinguishes cards: goes into the CIN and the CPLC IC serial number. */
  serial: number;
}

export class VirtualCard {
  readonly atr = VIRTUAL_ATR;
  private selected: 'isd' | 'obf' = 'isd';

  constructor(private readonly identity: VirtualCardIdentity) {}

  /** Power-on or reset: the ISD is selected by default (GP Card Spec §11.9.2). */
  reset(): void {
    this.selected = 'isd';
  }

  process(apdu: Uint8Array): Uint8Array {
    let command;
    try {
      command = decodeCommand(apdu);
    } catch (err) {
      if (isObfError(err, 'VALIDATION')) return encodeResponse(new Uint8Array(0), SW.WRONG_LENGTH);
      throw err;
    }
    const { cla, ins, p1, p2, data } = command;
    if ((cla & 0xfc) !== 0x00 && (cla & 0xfc) !== 0x80) return this.sw(SW.CLA_NOT_SUPPORTED);
    switch (ins) {
      case 0xa4:
        return this.select(p1, p2, data);
      case 0xca:
        return this.getData((p1 << 8) | p2);
      default:
        return this.sw(SW.INS_NOT_SUPPORTED);
    }
  }

  private sw(sw: number): Uint8Array {
    return encodeResponse(new Uint8Array(0), sw);
  }

  // ISO 7816-4 §11.2.2 SELECT by DF name; GP §11.9: an empty AID selects the ISD.
  private select(p1: number, p2: number, aid: Uint8Array): Uint8Array {
    if (p1 !== 0x04 || (p2 & 0xf3) !== 0x00) return this.sw(SW.WRONG_P1P2);
    if (aid.length === 0 || Buffer.from(aid).equals(ISD_AID)) {
      this.selected = 'isd';
      const fci = tlv(
        [0x6f],
        concatBytes(tlv([0x84], ISD_AID), tlv([0xa5], tlv([0x9f, 0x65], Uint8Array.of(0xff)))),
      );
      return encodeResponse(fci, SW.OK);
    }
    if (Buffer.from(aid).equals(OBF_APPLET_AID)) {
      this.selected = 'obf';
      return encodeResponse(tlv([0x6f], tlv([0x84], OBF_APPLET_AID)), SW.OK);
    }
    return this.sw(SW.FILE_NOT_FOUND);
  }

  // GP Card Spec §11.3 GET DATA: CPLC (9F7F), CIN (0045), IIN (0042), key information (00E0).
  private getData(tag: number): Uint8Array {
    if (this.selected !== 'isd') return this.sw(SW.INS_NOT_SUPPORTED);
    const serial = Buffer.alloc(4);
    serial.writeUInt32BE(this.identity.serial >>> 0);
    switch (tag) {
      case 0x9f7f:
        return encodeResponse(tlv([0x9f, 0x7f], this.cplc(serial)), SW.OK);
      case 0x0045:
        return encodeResponse(tlv([0x45], concatBytes(fromHex('4f4246564345'), serial)), SW.OK);
      case 0x0042:
        return encodeResponse(tlv([0x42], fromHex('4f4246')), SW.OK);
      case 0x00e0: {
        // Key information template: the vendor transport key set, KVN 30, keys 1..3, AES-128.
        const keys = [1, 2, 3].map((id) => tlv([0xc0], Uint8Array.of(id, 0x30, 0x88, 0x10)));
        return encodeResponse(tlv([0xe0], concatBytes(...keys)), SW.OK);
      }
      default:
        return this.sw(SW.DATA_NOT_FOUND);
    }
  }

  private cplc(serial: Uint8Array): Uint8Array {
    // 42 bytes, GP Card Spec Table H-3; fabricator/type/OS fields fixed for the virtual SE.
    const cplc = new Uint8Array(42);
    cplc.set(fromHex('4f42' + '0001' + '4f42' + '6331' + '0100' + '6331'), 0);
    cplc.set(serial, 12);
    return cplc;
  }
}
