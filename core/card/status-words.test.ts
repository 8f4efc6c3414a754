import { describe, it, expect } from 'vitest';
import { isObfError } from '../errors.js';
import { describeSw, isOk, swError } from './status-words.js';

describe('describeSw', () => {
  it('describes ISO 7816-4 values', () => {
    const cases: [number, string][] = [
      [0x9000, 'success'],
      [0x6281, 'warning: part of the returned data may be corrupted'],
      [0x6282, 'warning: end of file or record reached before reading Ne bytes'],
      [0x6285, 'warning: selected file in termination state'],
      [0x6400, 'execution error: no specific diagnosis (memory unchanged)'],
      [0x6581, 'memory failure'],
      [0x6700, 'wrong length'],
      [0x6881, 'logical channel not supported or not active'],
      [0x6882, 'secure messaging not supported'],
      [0x6982, 'security status not satisfied'],
      [0x6983, 'authentication method blocked'],
      [0x6984, 'reference data not usable'],
      [0x6985, 'conditions of use not satisfied'],
      [0x6986, 'command not allowed (no current EF)'],
      [0x6987, 'expected secure messaging data objects missing'],
      [0x6988, 'incorrect secure messaging data objects'],
      [0x6a81, 'function not supported'],
      [0x6a82, 'file or application not found'],
      [0x6a84, 'not enough memory space'],
      [0x6a86, 'incorrect parameters P1-P2'],
      [0x6a88, 'referenced data or reference data not found'],
      [0x6b00, 'wrong parameters P1-P2 (offset outside the EF)'],
      [0x6d00, 'instruction code not supported or invalid'],
      [0x6e00, 'class not supported'],
      [0x6f00, 'no precise diagnosis'],
    ];
    for (const [sw, text] of cases) expect(describeSw(sw), sw.toString(16)).toBe(text);
  });

  it('describes the values GlobalPlatform gives its own meaning', () => {
    expect(describeSw(0x6283)).toBe('warning: selected file deactivated (GP: card locked)');
    expect(describeSw(0x6310)).toBe('more data available');
    expect(describeSw(0x6a80)).toBe('incorrect values in command data');
    expect(describeSw(0x9484)).toBe('algorithm not supported');
    expect(describeSw(0x9485)).toBe('invalid key check value');
  });

  it('describes the ETSI TS 102 221 and TS 31.102 values', () => {
    expect(describeSw(0x9300)).toBe('SIM Application Toolkit busy: command cannot be executed at present');
    expect(describeSw(0x9862)).toBe('authentication error: incorrect MAC');
    expect(describeSw(0x9864)).toBe('authentication error: security context not supported');
    expect(describeSw(0x9865)).toBe('key freshness failure');
    expect(describeSw(0x9866)).toBe('authentication error: no memory space available');
    expect(describeSw(0x9840)).toBe('security management error');
  });

  it('reads the byte count of 61XX, with 00 as 256', () => {
    expect(describeSw(0x6110)).toBe('16 more bytes available');
    expect(describeSw(0x6101)).toBe('1 more byte available');
    expect(describeSw(0x6100)).toBe('256 more bytes available');
  });

  it('reads the expected Le of 6CXX, with 00 as 256', () => {
    expect(describeSw(0x6c2a)).toBe('wrong Le, 42 expected');
    expect(describeSw(0x6c00)).toBe('wrong Le, 256 expected');
  });

  it('reads the tries left of 63CX', () => {
    expect(describeSw(0x63c2)).toBe('2 tries left');
    expect(describeSw(0x63c1)).toBe('1 try left');
    expect(describeSw(0x63c0)).toBe('0 tries left');
    expect(describeSw(0x63cf)).toBe('15 tries left');
  });

  it('reads the pending proactive command length of 91XX', () => {
    expect(describeSw(0x9112)).toBe('success, proactive command pending (18 bytes)');
  });

  it('calls anything else an unknown status word in upper-case hex', () => {
    expect(describeSw(0x6a8f)).toBe('unknown status word 6A8F');
    expect(describeSw(0x63b1)).toBe('unknown status word 63B1');
    expect(describeSw(0x0001)).toBe('unknown status word 0001');
    expect(describeSw(0xffff)).toBe('unknown status word FFFF');
  });

  it('refuses numbers that are not a 2-byte status word', () => {
    for (const sw of [-1, 0x10000, 1.5, Number.NaN]) expect(() => describeSw(sw)).toThrow(RangeError);
  });
});

describe('isOk', () => {
  it('accepts 9000, 61XX and 91XX as normal processing', () => {
    for (const sw of [0x9000, 0x6100, 0x61ff, 0x9110]) expect(isOk(sw), sw.toString(16)).toBe(true);
  });

  it('rejects warnings and errors', () => {
    for (const sw of [0x6283, 0x6310, 0x63c2, 0x6982, 0x6c10, 0x9001, 0x9862, 0x0000])
      expect(isOk(sw), sw.toString(16)).toBe(false);
  });
});

describe('swError', () => {
  it('carries the code SW_XXXX and a message of context, hex and description', () => {
    const err = swError(0x6982, 'PUT KEY');
    expect(isObfError(err, 'SW_6982')).toBe(true);
    expect(err.message).toBe('PUT KEY: 6982 security status not satisfied');
    expect(err.toJSON()).toEqual({ code: 'SW_6982', message: 'PUT KEY: 6982 security status not satisfied' });
  });

  it('uses upper-case hex in the code', () => {
    expect(swError(0x6a88, 'GET DATA').code).toBe('SW_6A88');
    expect(swError(0x9485, 'PUT KEY').message).toBe('PUT KEY: 9485 invalid key check value');
  });
});
