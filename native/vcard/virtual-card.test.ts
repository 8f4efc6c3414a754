import { describe, it, expect } from 'vitest';
import { decodeResponse, encodeCommand } from '../../core/card/index.js';
import { fromHex, toHex } from '../../core/index.js';
import { ISD_AID, OBF_APPLET_AID, VIRTUAL_ATR, VirtualCard } from './virtual-card.js';

function send(card: VirtualCard, hex: string) {
  const { data, sw } = decodeResponse(card.process(fromHex(hex)));
  return { data: toHex(data), sw: sw.toString(16).padStart(4, '0') };
}

const select = (aid: Uint8Array) =>
  toHex(encodeCommand({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: aid, le: 256 }));

describe('VIRTUAL_ATR', () => {
  it('starts with TS=3B (direct convention)', () => {
    expect(VIRTUAL_ATR[0]).toBe(0x3b);
  });

  it('ends with a TCK equal to the XOR of every byte after TS (ISO 7816-3)', () => {
    const body = VIRTUAL_ATR.subarray(1, -1);
    const xor = body.reduce((x, b) => x ^ b, 0);
    expect(VIRTUAL_ATR.at(-1)).toBe(xor);
    // Checked another way: T0..TCK together XOR to zero.
    expect(VIRTUAL_ATR.subarray(1).reduce((x, b) => x ^ b, 0)).toBe(0);
  });

  it('declares in T0 as many historical bytes as it carries, and they read OBF-VSE-v1', () => {
    const k = VIRTUAL_ATR[1]! & 0x0f;
    // TS, T0, TD1, TD2, historical bytes, TCK
    expect(VIRTUAL_ATR.length).toBe(4 + k + 1);
    expect(Buffer.from(VIRTUAL_ATR.subarray(4, 4 + k)).toString('ascii')).toBe('OBF-VSE-v1');
  });

  it('is the ATR every virtual card reports', () => {
    expect(new VirtualCard({ serial: 1 }).atr).toBe(VIRTUAL_ATR);
  });
});

describe('VirtualCard SELECT', () => {
  it('selects the ISD by AID with 9000 and an FCI naming the AID', () => {
    const r = send(new VirtualCard({ serial: 1 }), select(ISD_AID));
    expect(r.sw).toBe('9000');
    expect(r.data.startsWith('6f')).toBe(true);
    expect(r.data).toContain('8408' + 'a000000151000000');
  });

  it('selects the ISD when the AID is empty', () => {
    const r = send(new VirtualCard({ serial: 1 }), '00a4040000');
    expect(r.sw).toBe('9000');
    expect(r.data).toContain('a000000151000000');
  });

  it('selects the OBF applet with 9000 and an FCI naming its AID', () => {
    const r = send(new VirtualCard({ serial: 1 }), '00a4040007f04f4246434c01');
    expect(r.sw).toBe('9000');
    expect(r.data).toBe('6f09' + '8407' + toHex(OBF_APPLET_AID));
  });

  it('answers 6A82 for an unknown AID', () => {
    expect(send(new VirtualCard({ serial: 1 }), '00a4040005a000000999').sw).toBe('6a82');
  });

  it('answers 6A86 when P1 is not 04 (select by DF name)', () => {
    expect(send(new VirtualCard({ serial: 1 }), '00a4000008a000000151000000').sw).toBe('6a86');
    expect(send(new VirtualCard({ serial: 1 }), '00a4080002aabb').sw).toBe('6a86');
  });

  it('answers 6A86 when P2 asks for the next occurrence, and accepts any FCI/FCP option in P2', () => {
    expect(send(new VirtualCard({ serial: 1 }), '00a4040208a000000151000000').sw).toBe('6a86');
    expect(send(new VirtualCard({ serial: 1 }), '00a4040c08a000000151000000').sw).toBe('9000');
  });
});

describe('VirtualCard GET DATA', () => {
  it('returns the CPLC as tag 9F7F with 42 bytes of value', () => {
    const r = send(new VirtualCard({ serial: 0x1234 }), '80ca9f7f00');
    expect(r.sw).toBe('9000');
    expect(r.data.slice(0, 6)).toBe('9f7f2a');
    expect(r.data.length / 2).toBe(3 + 42);
    // The IC serial number sits at offset 12 of the CPLC.
    expect(r.data.slice(6 + 24, 6 + 32)).toBe('00001234');
  });

  it('gives two cards with different serials different CINs', () => {
    const a = send(new VirtualCard({ serial: 0x1000 }), '80ca004500');
    const b = send(new VirtualCard({ serial: 0x1001 }), '80ca004500');
    expect(a.sw).toBe('9000');
    expect(b.sw).toBe('9000');
    expect(a.data.slice(0, 2)).toBe('45');
    expect(a.data).not.toBe(b.data);
  });

  it('gives the same CIN for the same serial', () => {
    expect(send(new VirtualCard({ serial: 7 }), '80ca004500').data).toBe(
      send(new VirtualCard({ serial: 7 }), '80ca004500').data,
    );
  });

  it('returns the IIN and the key information template', () => {
    const card = new VirtualCard({ serial: 1 });
    expect(send(card, '80ca004200')).toEqual({ data: '42034f4246', sw: '9000' });
    const keys = send(card, '80ca00e000');
    expect(keys.sw).toBe('9000');
    expect(keys.data).toBe('e012' + 'c00401308810' + 'c00402308810' + 'c00403308810');
  });

  it('answers 6A88 for an unknown tag', () => {
    expect(send(new VirtualCard({ serial: 1 }), '80ca123400').sw).toBe('6a88');
  });

  it('answers 6A88 for ISD data objects while the OBF applet is selected, and works again after reset', () => {
    const card = new VirtualCard({ serial: 1 });
    expect(send(card, '00a4040007f04f4246434c01').sw).toBe('9000');
    expect(send(card, '80ca9f7f00').sw).toBe('6a88');
    card.reset();
    expect(send(card, '80ca9f7f00').sw).toBe('9000');
  });

  it('works again once the ISD is selected after the OBF applet', () => {
    const card = new VirtualCard({ serial: 1 });
    send(card, '00a4040007f04f4246434c01');
    expect(send(card, select(ISD_AID)).sw).toBe('9000');
    expect(send(card, '80ca004500').sw).toBe('9000');
  });
});

describe('VirtualCard command checks', () => {
  it('answers 6E00 for a class byte it does not support', () => {
    expect(send(new VirtualCard({ serial: 1 }), '20a4040000').sw).toBe('6e00');
    expect(send(new VirtualCard({ serial: 1 }), 'a0ca9f7f00').sw).toBe('6e00');
  });

  it('accepts class bytes with logical channel bits and the proprietary 80 class', () => {
    expect(send(new VirtualCard({ serial: 1 }), '01a4040000').sw).toBe('9000');
    expect(send(new VirtualCard({ serial: 1 }), '81ca9f7f00').sw).toBe('9000');
  });

  it('answers 6D00 for an instruction it does not support', () => {
    expect(send(new VirtualCard({ serial: 1 }), '00b0000000').sw).toBe('6d00');
  });

  it('answers 6700 for a malformed APDU whose Lc does not match its data', () => {
    expect(send(new VirtualCard({ serial: 1 }), '00a4040008a0000001').sw).toBe('6700');
  });

  it('answers 6700 for an APDU shorter than its header', () => {
    const response = new VirtualCard({ serial: 1 }).process(fromHex('00a4'));
    expect(toHex(response)).toBe('6700');
  });
});
