import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { bytesEqual } from '../bytes.js';
import { isObfError } from '../errors.js';
import { decodeCommand, decodeResponse, encodeCommand, encodeResponse, type CommandApdu } from './apdu.js';

/** An oracle written apart from decodeCommand: ISO 7816-4 §5.1 cases 1 to 4, short and extended. */
function isApdu(bytes: Uint8Array): boolean {
  const n = bytes.length;
  if (n === 4 || n === 5) return true; // case 1; case 2 (Le)
  if (n < 6) return false;
  const lc = bytes[4]!;
  if (lc !== 0) return n === 5 + lc || n === 6 + lc; // case 3; case 4
  if (n === 7) return true; // case 2E
  const elc = (bytes[5]! << 8) | bytes[6]!;
  return n >= 7 && elc !== 0 && (n === 7 + elc || n === 9 + elc); // case 3E; case 4E
}

/** Whether encodeCommand uses the extended length fields for `c` (and so the decoder says so). */
const encodesExtended = (c: CommandApdu): boolean =>
  (c.data.length > 0 || c.le !== undefined) &&
  (c.extended === true || c.data.length > 255 || (c.le ?? 0) > 256);

const byte = fc.integer({ min: 0, max: 0xff });
const command: fc.Arbitrary<CommandApdu> = fc.record({
  cla: byte,
  ins: byte,
  p1: byte,
  p2: byte,
  data: fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength: 255 }), weight: 4 },
    { arbitrary: fc.uint8Array({ minLength: 250, maxLength: 600 }), weight: 1 },
  ),
  le: fc.option(
    fc.oneof(
      fc.integer({ min: 1, max: 256 }),
      fc.integer({ min: 1, max: 65536 }),
      fc.constantFrom(256, 257, 65536),
    ),
    { nil: undefined },
  ),
  extended: fc.option(fc.boolean(), { nil: undefined }),
});

/** Encodings of valid commands, cut short or grown by a few bytes: where length bugs live. */
const nearMiss = fc
  .tuple(command, fc.integer({ min: -3, max: 3 }), fc.uint8Array({ minLength: 3, maxLength: 3 }))
  .map(([c, delta, extra]) => {
    const ok = encodeCommand(c);
    if (delta <= 0) return ok.subarray(0, Math.max(0, ok.length + delta));
    const out = new Uint8Array(ok.length + delta);
    out.set(ok);
    out.set(extra.subarray(0, delta), ok.length);
    return out;
  });

const anyBytes = fc.uint8Array({ minLength: 0, maxLength: 300 });

describe('decodeCommand on arbitrary bytes', () => {
  it('decodes exactly the valid APDUs, short or extended, to a command that re-encodes to the input', () => {
    fc.assert(
      fc.property(fc.oneof(anyBytes, nearMiss), (bytes) => {
        let decoded: CommandApdu | undefined;
        try {
          decoded = decodeCommand(bytes);
        } catch (err) {
          expect(isObfError(err, 'VALIDATION'), String(err)).toBe(true);
        }
        expect(decoded !== undefined).toBe(isApdu(bytes));
        if (decoded) expect(bytesEqual(encodeCommand(decoded), bytes)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives back every field of an encoded command, short or extended', () => {
    fc.assert(
      fc.property(command, (c) => {
        const decoded = decodeCommand(encodeCommand(c));
        expect({ ...decoded, le: decoded.le, extended: decoded.extended === true }).toEqual({
          ...c,
          extended: encodesExtended(c),
        });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('decodeResponse on arbitrary bytes', () => {
  it('splits any 2 or more bytes into data and SW that re-encode to the input, and refuses fewer', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        let decoded: ReturnType<typeof decodeResponse> | undefined;
        try {
          decoded = decodeResponse(bytes);
        } catch (err) {
          expect(isObfError(err, 'BAD_RESPONSE'), String(err)).toBe(true);
        }
        expect(decoded !== undefined).toBe(bytes.length >= 2);
        if (decoded) {
          expect(decoded.sw).toBeGreaterThanOrEqual(0);
          expect(decoded.sw).toBeLessThanOrEqual(0xffff);
          expect(bytesEqual(encodeResponse(decoded.data, decoded.sw), bytes)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
