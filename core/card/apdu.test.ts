import { describe, it, expect } from 'vitest';
import { fromHex, toHex } from '../bytes.js';
import { isObfError } from '../errors.js';
import {
  decodeCommand,
  decodeResponse,
  encodeCommand,
  encodeResponse,
  swHex,
  withLogicalChannel,
  logicalChannelOf,
  type CommandApdu,
} from './apdu.js';

function expectObfError(fn: () => unknown, code: string, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isObfError(caught)).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
  if (message) expect((caught as Error).message).toMatch(message);
}

describe('encodeCommand and decodeCommand', () => {
  it('encode case 1 as the four header bytes only', () => {
    const apdu = encodeCommand({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: new Uint8Array(0) });
    expect(toHex(apdu)).toBe('00a40400');
    const decoded = decodeCommand(apdu);
    expect(decoded).toEqual({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: new Uint8Array(0) });
    expect(decoded.le).toBeUndefined();
  });

  it('encode case 2 with Le as a fifth byte', () => {
    const apdu = encodeCommand({
      cla: 0x80,
      ins: 0xca,
      p1: 0x9f,
      p2: 0x7f,
      data: new Uint8Array(0),
      le: 0x2d,
    });
    expect(toHex(apdu)).toBe('80ca9f7f2d');
    expect(decodeCommand(apdu)).toEqual({
      cla: 0x80,
      ins: 0xca,
      p1: 0x9f,
      p2: 0x7f,
      data: new Uint8Array(0),
      le: 0x2d,
    });
  });

  it('encode Le=256 as 00 and decode 00 back as 256', () => {
    const apdu = encodeCommand({ cla: 0, ins: 0xca, p1: 0, p2: 0x45, data: new Uint8Array(0), le: 256 });
    expect(toHex(apdu)).toBe('00ca004500');
    expect(decodeCommand(apdu).le).toBe(256);
  });

  it('encode case 3 as header, Lc and data, with no Le', () => {
    const aid = fromHex('a000000151000000');
    const apdu = encodeCommand({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: aid });
    expect(toHex(apdu)).toBe('00a4040008a000000151000000');
    const decoded = decodeCommand(apdu);
    expect(toHex(decoded.data)).toBe('a000000151000000');
    expect(decoded.le).toBeUndefined();
  });

  it('encode case 4 as header, Lc, data and Le', () => {
    const apdu = encodeCommand({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: fromHex('f04f4246434c01'), le: 256 });
    expect(toHex(apdu)).toBe('00a4040007f04f4246434c0100');
    const decoded = decodeCommand(apdu);
    expect(toHex(decoded.data)).toBe('f04f4246434c01');
    expect(decoded.le).toBe(256);
  });

  it('round-trip 255 bytes of data, the short-length maximum', () => {
    const data = new Uint8Array(255).map((_, i) => i);
    const command: CommandApdu = { cla: 0x84, ins: 0xe2, p1: 0x80, p2: 0x00, data, le: 1 };
    const apdu = encodeCommand(command);
    expect(apdu.length).toBe(4 + 1 + 255 + 1);
    expect(decodeCommand(apdu)).toEqual(command);
  });

  it('decodeCommand copies the data out of the input buffer', () => {
    const apdu = fromHex('00a4040002aabb');
    const decoded = decodeCommand(apdu);
    apdu[5] = 0x00;
    expect(toHex(decoded.data)).toBe('aabb');
  });
});

describe('decodeCommand refuses malformed APDUs', () => {
  it('refuses fewer than four bytes with VALIDATION', () => {
    expectObfError(() => decodeCommand(fromHex('00a404')), 'VALIDATION', /too short/);
    expectObfError(() => decodeCommand(new Uint8Array(0)), 'VALIDATION');
  });

  it('refuses an Lc that does not match the bytes that follow', () => {
    expectObfError(() => decodeCommand(fromHex('00a4040005aabb')), 'VALIDATION', /Lc=5/);
    expectObfError(() => decodeCommand(fromHex('00a4040001aabbccdd')), 'VALIDATION', /Lc=1/);
  });

  it('decodes extended length: case 3E and 4E, and refuses an extended Lc that does not match', () => {
    expect(decodeCommand(fromHex('00a40400000002aabb'))).toMatchObject({
      data: fromHex('aabb'),
      extended: true,
    });
    expect(decodeCommand(fromHex('00a40400000002aabb0000'))).toMatchObject({
      data: fromHex('aabb'),
      le: 65536,
    });
    expectObfError(() => decodeCommand(fromHex('00a40400000003aabb')), 'VALIDATION', /extended Lc=3/);
    expectObfError(() => decodeCommand(fromHex('00a404000000')), 'VALIDATION', /extended/);
  });
});

describe('extended length (ISO 7816-4 §5.1)', () => {
  it('switches to extended fields for more than 255 bytes of data or Le above 256, and round-trips', () => {
    const big: CommandApdu = {
      cla: 0x80,
      ins: 0xe2,
      p1: 0x80,
      p2: 0,
      data: new Uint8Array(300).fill(7),
      le: 1000,
    };
    const bytes = encodeCommand(big);
    expect(Array.from(bytes.subarray(4, 7))).toEqual([0x00, 0x01, 0x2c]);
    expect(Array.from(bytes.subarray(-2))).toEqual([0x03, 0xe8]);
    expect(decodeCommand(bytes)).toEqual({ ...big, extended: true });
    expect(
      toHex(encodeCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, data: new Uint8Array(0), le: 65536 })),
    ).toBe('00b00000000000');
  });
});

describe('logical channels (ISO 7816-4 §5.4.1)', () => {
  it('codes channels 0-3 in the first interindustry class and 4-19 in the further one, keeping SM and b8', () => {
    expect(withLogicalChannel(0x00, 2)).toBe(0x02);
    expect(withLogicalChannel(0x84, 3)).toBe(0x87);
    expect(withLogicalChannel(0x00, 4)).toBe(0x40);
    expect(withLogicalChannel(0x0c, 19)).toBe(0x6f);
    for (let ch = 0; ch <= 19; ch++) expect(logicalChannelOf(withLogicalChannel(0x80, ch))).toBe(ch);
    expect(() => withLogicalChannel(0, 20)).toThrow(RangeError);
  });
});

describe('encodeCommand refuses what no APDU can carry', () => {
  const base: CommandApdu = { cla: 0, ins: 0xa4, p1: 4, p2: 0, data: new Uint8Array(0) };

  it('throws RangeError for more than 65535 bytes of data', () => {
    expect(() => encodeCommand({ ...base, data: new Uint8Array(65536) })).toThrow(RangeError);
  });

  it('throws RangeError for a header field that is not a byte', () => {
    expect(() => encodeCommand({ ...base, cla: 0x100 })).toThrow(RangeError);
    expect(() => encodeCommand({ ...base, ins: -1 })).toThrow(/INS/);
    expect(() => encodeCommand({ ...base, p1: 1.5 })).toThrow(RangeError);
    expect(() => encodeCommand({ ...base, p2: Number.NaN })).toThrow(/P2/);
  });

  it('throws RangeError for Le outside 1..65536', () => {
    expect(() => encodeCommand({ ...base, le: 0 })).toThrow(RangeError);
    expect(() => encodeCommand({ ...base, le: 65537 })).toThrow(RangeError);
  });
});

describe('response APDUs', () => {
  it('split the data from the status word', () => {
    const response = decodeResponse(fromHex('6f0a9000'));
    expect(toHex(response.data)).toBe('6f0a');
    expect(response.sw).toBe(0x9000);
  });

  it('decode a bare status word as empty data', () => {
    const response = decodeResponse(fromHex('6a82'));
    expect(response.data.length).toBe(0);
    expect(response.sw).toBe(0x6a82);
  });

  it('round-trip through encodeResponse', () => {
    const data = fromHex('9f7f2a0102');
    const bytes = encodeResponse(data, 0x6310);
    expect(toHex(bytes)).toBe('9f7f2a01026310');
    const back = decodeResponse(bytes);
    expect(toHex(back.data)).toBe(toHex(data));
    expect(back.sw).toBe(0x6310);
  });

  it('refuse fewer than two bytes with BAD_RESPONSE', () => {
    expectObfError(() => decodeResponse(fromHex('90')), 'BAD_RESPONSE');
    expectObfError(() => decodeResponse(new Uint8Array(0)), 'BAD_RESPONSE');
  });
});

describe('swHex', () => {
  it('formats a status word as four uppercase hex digits', () => {
    expect(swHex(0x9000)).toBe('9000');
    expect(swHex(0x6a82)).toBe('6A82');
    expect(swHex(0x0061)).toBe('0061');
  });
});
