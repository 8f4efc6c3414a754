import { describe, it, expect } from 'vitest';
import { fromHex, toHex } from '../bytes.js';
import { isObfError } from '../errors.js';
import type { CommandApdu } from './apdu.js';
import { expectSw, getResponseCla, transmitApdu } from './transmit.js';
import type { CardChannel } from './transport.js';

/** A channel that answers from a script, in order, and records every command APDU it was sent. */
class ScriptedChannel implements CardChannel {
  readonly reader = 'Scripted Reader 00 00';
  readonly atr = fromHex('3b8a800101');
  readonly protocol = 'T=0' as const;
  readonly sent: string[] = [];
  private readonly replies: string[];

  constructor(...replies: string[]) {
    this.replies = replies;
  }

  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    this.sent.push(toHex(apdu));
    const reply = this.replies.shift();
    if (reply === undefined) return Promise.reject(new Error(`script exhausted at ${toHex(apdu)}`));
    return Promise.resolve(fromHex(reply));
  }

  disconnect(): Promise<void> {
    return Promise.resolve();
  }
}

const SELECT: CommandApdu = {
  cla: 0x00,
  ins: 0xa4,
  p1: 0x04,
  p2: 0x00,
  data: fromHex('a000000151000000'),
  le: 256,
};
const SELECT_HEX = '00a4040008a00000015100000000';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('transmitApdu', () => {
  it('sends the encoded command once and returns the decoded response', async () => {
    const channel = new ScriptedChannel('6f009000');
    const response = await transmitApdu(channel, SELECT);
    expect(channel.sent).toEqual([SELECT_HEX]);
    expect(response).toEqual({ data: fromHex('6f00'), sw: 0x9000 });
  });

  it('returns an error status word rather than throwing it', async () => {
    const channel = new ScriptedChannel('6a82');
    expect(await transmitApdu(channel, SELECT)).toEqual({ data: new Uint8Array(0), sw: 0x6a82 });
  });

  it('follows a 61XX chain of 3 rounds with GET RESPONSE and joins the data', async () => {
    const channel = new ScriptedChannel('6110', 'aaaa6108', 'bbbb6100', 'cccc9000');
    const response = await transmitApdu(channel, SELECT);
    expect(channel.sent).toEqual([SELECT_HEX, '00c0000010', '00c0000008', '00c0000000']);
    expect(response).toEqual({ data: fromHex('aaaabbbbcccc'), sw: 0x9000 });
  });

  it('keeps data that came with a 61XX response', async () => {
    const channel = new ScriptedChannel('01026102', '03049000');
    expect(await transmitApdu(channel, SELECT)).toEqual({ data: fromHex('01020304'), sw: 0x9000 });
  });

  it('ends the chain on the first status other than 61XX, even an error', async () => {
    const channel = new ScriptedChannel('6104', 'aabb6f00');
    expect(await transmitApdu(channel, SELECT)).toEqual({ data: fromHex('aabb'), sw: 0x6f00 });
  });

  it('sends GET RESPONSE on the logical channel of the command, without secure messaging', async () => {
    const channel = new ScriptedChannel('6102', 'aabb9000');
    await transmitApdu(channel, {
      cla: 0x87,
      ins: 0xca,
      p1: 0x00,
      p2: 0x66,
      data: new Uint8Array(0),
      le: 256,
    });
    expect(channel.sent[1]).toBe('03c0000002');
  });

  it('fails with BAD_RESPONSE when the card answers 61XX past maxGetResponse rounds', async () => {
    const channel = new ScriptedChannel('6101', '016101', '026101', '036101');
    const err = await rejection(transmitApdu(channel, SELECT, { maxGetResponse: 2 }));
    expect(isObfError(err, 'BAD_RESPONSE')).toBe(true);
    expect(err.message).toBe('command 00A40400: the card still answered 6101 after 2 GET RESPONSE rounds');
    expect(channel.sent).toHaveLength(3);
  });

  it('allows 32 GET RESPONSE rounds by default and not a 33rd', async () => {
    const endless = Array.from({ length: 40 }, () => '006101');
    const channel = new ScriptedChannel('6101', ...endless);
    const err = await rejection(transmitApdu(channel, SELECT));
    expect(isObfError(err, 'BAD_RESPONSE')).toBe(true);
    expect(channel.sent).toHaveLength(33);

    const enough = new ScriptedChannel('6101', ...Array.from({ length: 31 }, () => '006101'), '009000');
    expect((await transmitApdu(enough, SELECT)).data).toEqual(new Uint8Array(32));
  });

  it('does not follow 61XX at all with maxGetResponse 0', async () => {
    const channel = new ScriptedChannel('6110');
    expect(
      isObfError(await rejection(transmitApdu(channel, SELECT, { maxGetResponse: 0 })), 'BAD_RESPONSE'),
    ).toBe(true);
    expect(channel.sent).toEqual([SELECT_HEX]);
  });

  it('re-issues the same command with Le = SW2 on 6CXX', async () => {
    const channel = new ScriptedChannel('6c2a', '0102039000');
    const getData = { cla: 0x80, ins: 0xca, p1: 0x9f, p2: 0x7f, data: new Uint8Array(0), le: 256 };
    const response = await transmitApdu(channel, getData);
    expect(channel.sent).toEqual(['80ca9f7f00', '80ca9f7f2a']);
    expect(response).toEqual({ data: fromHex('010203'), sw: 0x9000 });
  });

  it('adds Le to a command that had none when the card answers 6CXX, and reads 6C00 as 256', async () => {
    const channel = new ScriptedChannel('6c00', '9000');
    await transmitApdu(channel, { cla: 0x00, ins: 0xb0, p1: 0, p2: 0, data: new Uint8Array(0) });
    expect(channel.sent).toEqual(['00b00000', '00b0000000']);
  });

  it('fails with BAD_RESPONSE on a second 6CXX', async () => {
    const channel = new ScriptedChannel('6c2a', '6c10');
    const err = await rejection(
      transmitApdu(channel, { cla: 0x80, ins: 0xca, p1: 0x9f, p2: 0x7f, data: new Uint8Array(0), le: 256 }),
    );
    expect(isObfError(err, 'BAD_RESPONSE')).toBe(true);
    expect(err.message).toBe('command 80CA9F7F: the card answered 6C10 to the re-issue with Le=42');
    expect(channel.sent).toHaveLength(2);
  });

  it('follows a 61XX chain that comes after a 6CXX re-issue', async () => {
    const channel = new ScriptedChannel('6c04', 'aabb6102', 'ccdd9000');
    const response = await transmitApdu(channel, SELECT);
    expect(channel.sent).toEqual([SELECT_HEX, '00a4040008a00000015100000004', '00c0000002']);
    expect(response).toEqual({ data: fromHex('aabbccdd'), sw: 0x9000 });
  });

  it('re-issues a GET RESPONSE that the card answers 6CXX', async () => {
    const channel = new ScriptedChannel('6100', '6c05', '01020304059000');
    const response = await transmitApdu(channel, SELECT);
    expect(channel.sent).toEqual([SELECT_HEX, '00c0000000', '00c0000005']);
    expect(response.data).toEqual(fromHex('0102030405'));
  });

  it('passes on a response too short to hold a status word as BAD_RESPONSE', async () => {
    const err = await rejection(transmitApdu(new ScriptedChannel('90'), SELECT));
    expect(isObfError(err, 'BAD_RESPONSE')).toBe(true);
  });

  it('refuses a negative or fractional maxGetResponse', async () => {
    await expect(transmitApdu(new ScriptedChannel('9000'), SELECT, { maxGetResponse: -1 })).rejects.toThrow(
      RangeError,
    );
    await expect(transmitApdu(new ScriptedChannel('9000'), SELECT, { maxGetResponse: 1.5 })).rejects.toThrow(
      RangeError,
    );
  });
});

describe('getResponseCla', () => {
  it('keeps the logical channel of a first interindustry or GP class and drops SM and chaining', () => {
    expect(getResponseCla(0x00)).toBe(0x00);
    expect(getResponseCla(0x0c)).toBe(0x00);
    expect(getResponseCla(0x13)).toBe(0x03);
    expect(getResponseCla(0x84)).toBe(0x00);
    expect(getResponseCla(0x81)).toBe(0x01);
  });

  it('keeps the channel of a further interindustry class (ISO 7816-4 §5.4.1)', () => {
    expect(getResponseCla(0x65)).toBe(0x45);
    expect(getResponseCla(0x5f)).toBe(0x4f);
  });

  it('maps the GP supplementary-channel classes C0–CF and E0–EF to the interindustry 40–4F', () => {
    expect(getResponseCla(0xc1)).toBe(0x41);
    expect(getResponseCla(0xe5)).toBe(0x45);
  });
});

describe('expectSw', () => {
  it('returns the data when the status word is 9000', () => {
    expect(expectSw({ data: fromHex('0102'), sw: 0x9000 }, 'SELECT')).toEqual(fromHex('0102'));
  });

  it('throws the SW_XXXX error with the context otherwise', () => {
    let caught: unknown;
    try {
      expectSw({ data: new Uint8Array(0), sw: 0x6a82 }, 'SELECT ISD');
    } catch (err) {
      caught = err;
    }
    expect(isObfError(caught, 'SW_6A82')).toBe(true);
    expect((caught as Error).message).toBe('SELECT ISD: 6A82 file or application not found');
  });

  it('accepts only the listed status words when some are given', () => {
    const warning = { data: fromHex('aa'), sw: 0x6310 };
    expect(expectSw(warning, 'GET STATUS', 0x9000, 0x6310)).toEqual(fromHex('aa'));
    expect(() => expectSw({ data: new Uint8Array(0), sw: 0x9000 }, 'GET STATUS', 0x6310)).toThrow(
      'GET STATUS: 9000 success',
    );
    expect(() => expectSw(warning, 'GET STATUS')).toThrow('GET STATUS: 6310 more data available');
  });
});
