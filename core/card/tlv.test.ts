import { describe, it, expect } from 'vitest';
import { concatBytes, fromHex, toHex } from '../bytes.js';
import { isObfError } from '../errors.js';
import { encodeTlv, encodeTlvNodes, findTlv, parseTlv, tagBytes, type TlvNode } from './tlv.js';

function badTlvMessage(fn: () => unknown): string {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isObfError(caught, 'BAD_TLV')).toBe(true);
  return (caught as Error).message;
}

const parseHex = (hex: string): TlvNode[] => parseTlv(fromHex(hex));
const bytesOf = (n: number, fill = 0xa5): Uint8Array => new Uint8Array(n).fill(fill);
const primitive = (tag: number, hex: string): TlvNode => ({
  tag,
  constructed: false,
  value: fromHex(hex),
  children: null,
});

// GP Card Spec §11.9.3.1: FCI of the ISD, 6F { 84 AID, A5 { 9F65 max length } }.
const FCI = '6f10' + '8408a000000151000000' + 'a504' + '9f6501ff';
// GP Card Spec §11.3.3.1: key information template, E0 { C0 key info, C0 key info }.
const KEY_INFO = 'e00c' + 'c00401018810' + 'c00402018810';

describe('parseTlv', () => {
  it('reads a two-byte tag 9F7F with its value', () => {
    const cplc = bytesOf(42, 0x47);
    const [node, ...rest] = parseTlv(concatBytes(fromHex('9f7f2a'), cplc));
    expect(rest).toEqual([]);
    expect(node).toEqual({ tag: 0x9f7f, constructed: false, value: cplc, children: null });
  });

  it('reads the application-class two-byte tag 5F2D (language preference)', () => {
    expect(parseHex('5f2d04656e6672')).toEqual([primitive(0x5f2d, '656e6672')]);
  });

  it('reads a three-byte tag whose second byte has b8 set', () => {
    expect(parseHex('9f810102abcd')).toEqual([primitive(0x9f8101, 'abcd')]);
  });

  it('reads EMV-style tags whose second byte is below 1F, as EMV Book 3 Annex B uses them', () => {
    expect(parseHex('9f0201aa')).toEqual([primitive(0x9f02, 'aa')]);
  });

  it('reads a long length 81 with a 200-byte value', () => {
    const value = bytesOf(200);
    const [node] = parseTlv(concatBytes(fromHex('c081c8'), value));
    expect(node?.tag).toBe(0xc0);
    expect(node?.value).toEqual(value);
  });

  it('reads a long length 82 with a 300-byte value', () => {
    const value = bytesOf(300, 0x3c);
    const [node] = parseTlv(concatBytes(fromHex('5382012c'), value));
    expect(node?.tag).toBe(0x53);
    expect(node?.value.length).toBe(300);
    expect(node?.value).toEqual(value);
  });

  it('reads a long length 83', () => {
    const value = bytesOf(70000, 0x11);
    const [node] = parseTlv(concatBytes(fromHex('5383011170'), value));
    expect(node?.value.length).toBe(70000);
  });

  it('accepts a long form where the short one would do, and re-encodes it minimally', () => {
    const nodes = parseHex('848101aa');
    expect(nodes).toEqual([primitive(0x84, 'aa')]);
    expect(toHex(encodeTlvNodes(nodes))).toBe('8401aa');
  });

  it('parses the children of a constructed template E0 of C0 objects', () => {
    const [e0] = parseHex(KEY_INFO);
    expect(e0?.tag).toBe(0xe0);
    expect(e0?.constructed).toBe(true);
    expect(toHex(e0!.value)).toBe(KEY_INFO.slice(4));
    expect(e0?.children).toEqual([primitive(0xc0, '01018810'), primitive(0xc0, '02018810')]);
  });

  it('parses an FCI 6F down to A5 and 9F65, leaving primitive 84 without children', () => {
    const [fci] = parseHex(FCI);
    expect(fci?.tag).toBe(0x6f);
    const [aid, prop] = fci!.children!;
    expect(aid).toEqual(primitive(0x84, 'a000000151000000'));
    expect(prop?.tag).toBe(0xa5);
    expect(prop?.constructed).toBe(true);
    expect(prop?.children).toEqual([primitive(0x9f65, 'ff')]);
  });

  it('parses every top-level object in order', () => {
    const nodes = parseHex('4f01aa' + KEY_INFO + '9f7001ff');
    expect(nodes.map((n) => n.tag)).toEqual([0x4f, 0xe0, 0x9f70]);
  });

  it('gives a constructed object with an empty value an empty child list', () => {
    expect(parseHex('e000')).toEqual([
      { tag: 0xe0, constructed: true, value: new Uint8Array(0), children: [] },
    ]);
  });

  it('skips 00 and FF padding before, between and after objects', () => {
    expect(parseHex('0000ff8401aaff00ff8501bbff00')).toEqual([primitive(0x84, 'aa'), primitive(0x85, 'bb')]);
  });

  it('skips padding inside a constructed value', () => {
    const [e0] = parseHex('e00700c00101ffff00');
    expect(e0?.children).toEqual([primitive(0xc0, '01')]);
  });

  it('returns nothing for empty input or padding alone', () => {
    expect(parseTlv(new Uint8Array(0))).toEqual([]);
    expect(parseHex('00ff00ff')).toEqual([]);
  });

  it('copies values so that later changes to the input do not reach the nodes', () => {
    const input = fromHex('8402aabb');
    const [node] = parseTlv(input);
    input[2] = 0;
    expect(toHex(node!.value)).toBe('aabb');
  });

  it('reproduces canonical input when the parsed nodes are encoded again', () => {
    for (const hex of [FCI, KEY_INFO, '9f7f03010203', '5f2d02656e', '4f00', 'bf0c04' + '9f6501ff']) {
      expect(toHex(encodeTlvNodes(parseHex(hex)))).toBe(hex);
    }
    const long = concatBytes(fromHex('5382012c'), bytesOf(300));
    expect(encodeTlvNodes(parseTlv(long))).toEqual(long);
  });
});

describe('parseTlv on malformed input', () => {
  it('names a multi-byte tag cut off at the end', () => {
    expect(badTlvMessage(() => parseHex('9f'))).toBe(
      'TLV at offset 0: tag 9F needs 1 more byte before the end of the data',
    );
    expect(badTlvMessage(() => parseHex('9f81'))).toBe(
      'TLV at offset 0: tag 9F81 needs 1 more byte before the end of the data',
    );
  });

  it('refuses a tag of more than 3 bytes', () => {
    expect(badTlvMessage(() => parseHex('9f81810100'))).toBe(
      'TLV at offset 0: tag 9F8181… is longer than 3 bytes',
    );
  });

  it('refuses a first subsequent tag byte whose bits 7 to 1 are zero', () => {
    expect(badTlvMessage(() => parseHex('9f800100'))).toBe(
      'TLV at offset 0: tag 9F80 has a zero first subsequent byte',
    );
    expect(badTlvMessage(() => parseHex('5f0000'))).toBe(
      'TLV at offset 0: tag 5F00 has a zero first subsequent byte',
    );
  });

  it('names a tag with no length byte after it', () => {
    expect(badTlvMessage(() => parseHex('8401aa84'))).toBe(
      'TLV at offset 3: tag 84 has no length byte before the end of the data',
    );
  });

  it('refuses the indefinite length form 80', () => {
    expect(badTlvMessage(() => parseHex('e0808401aa0000'))).toBe(
      'TLV at offset 0: indefinite length 0x80 is not allowed (ISO 7816-4 §5.2.2.2)',
    );
  });

  it('refuses length forms of 4 or more length bytes, and the reserved FF', () => {
    expect(badTlvMessage(() => parseHex('84840000000101'))).toBe(
      'TLV at offset 0: length 0x84 is not supported: at most 3 length bytes (81, 82, 83)',
    );
    expect(badTlvMessage(() => parseHex('84ff'))).toMatch(/^TLV at offset 0: length 0xFF is not supported/);
  });

  it('counts the bytes a long length still needs, at the offset of its object', () => {
    const twelve = '9f7f09' + '00'.repeat(9);
    expect(badTlvMessage(() => parseHex(twelve + '8481'))).toBe(
      'TLV at offset 12: length 0x81 needs 1 more byte',
    );
    expect(badTlvMessage(() => parseHex('848201'))).toBe('TLV at offset 0: length 0x82 needs 1 more byte');
    expect(badTlvMessage(() => parseHex('8483'))).toBe('TLV at offset 0: length 0x83 needs 3 more bytes');
  });

  it('says how far a value runs past the end of the data', () => {
    expect(badTlvMessage(() => parseHex('840a0102030405'))).toBe(
      'TLV at offset 0: tag 84: value of 10 bytes runs 5 bytes past the end of the data',
    );
  });

  it('says how far a child runs past the end of its parent', () => {
    expect(badTlvMessage(() => parseHex('8400' + 'e004c0050102'))).toBe(
      'TLV at offset 4: tag C0: value of 5 bytes runs 3 bytes past the end of E0 at offset 2',
    );
  });

  it('reports faults inside nested objects at their offset in the whole input', () => {
    expect(badTlvMessage(() => parseHex('6f05' + '8400' + 'a5019f'))).toBe(
      'TLV at offset 6: tag 9F needs 1 more byte before the end of A5 at offset 4',
    );
  });
});

describe('parseTlv nesting depth', () => {
  const nested = (levels: number): Uint8Array => {
    let inner = encodeTlv(0x84, Uint8Array.of(1));
    for (let i = 1; i < levels; i++) inner = encodeTlv(0xe0, inner);
    return inner;
  };

  it('accepts 16 levels by default', () => {
    let node = parseTlv(nested(16))[0];
    for (let i = 1; i < 16; i++) node = node?.children?.[0];
    expect(node).toEqual(primitive(0x84, '01'));
  });

  it('refuses a 17th level by default, at the offset of the object too deep', () => {
    expect(badTlvMessage(() => parseTlv(nested(17)))).toBe('TLV at offset 32: nesting deeper than 16 levels');
  });

  it('takes the limit from maxDepth', () => {
    expect(parseTlv(nested(2), { maxDepth: 2 })).toHaveLength(1);
    expect(badTlvMessage(() => parseTlv(nested(3), { maxDepth: 2 }))).toBe(
      'TLV at offset 4: nesting deeper than 2 levels',
    );
    expect(parseTlv(fromHex('e000'), { maxDepth: 1 })).toHaveLength(1);
  });

  it('stops deep nesting at the limit without exhausting the stack', () => {
    // 20000 levels of E0 83 LLLLLL: a hostile input far deeper than any recursion could follow.
    const levels = 20000;
    const input = new Uint8Array(levels * 5);
    for (let i = 0; i < levels; i++) {
      const rest = (levels - i - 1) * 5;
      input.set([0xe0, 0x83, rest >> 16, (rest >> 8) & 0xff, rest & 0xff], i * 5);
    }
    expect(badTlvMessage(() => parseTlv(input))).toBe('TLV at offset 80: nesting deeper than 16 levels');
  });

  it('refuses a maxDepth outside 1..1024 as a programming error', () => {
    expect(() => parseTlv(new Uint8Array(0), { maxDepth: 0 })).toThrow(RangeError);
    expect(() => parseTlv(new Uint8Array(0), { maxDepth: 1025 })).toThrow(RangeError);
    expect(() => parseTlv(new Uint8Array(0), { maxDepth: 2.5 })).toThrow(RangeError);
  });
});

describe('encodeTlv', () => {
  it('uses the shortest length form at every boundary', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [1, '01'],
      [127, '7f'],
      [128, '8180'],
      [200, '81c8'],
      [255, '81ff'],
      [256, '820100'],
      [300, '82012c'],
      [65535, '82ffff'],
      [65536, '83010000'],
    ];
    for (const [n, len] of cases) {
      const out = encodeTlv(0x53, new Uint8Array(n));
      expect(toHex(out.subarray(1, 1 + len.length / 2))).toBe(len);
      expect(out.length).toBe(1 + len.length / 2 + n);
    }
  });

  it('writes one-, two- and three-byte tags from their numbers', () => {
    expect(toHex(encodeTlv(0x84, fromHex('aa')))).toBe('8401aa');
    expect(toHex(encodeTlv(0x9f7f, fromHex('aa')))).toBe('9f7f01aa');
    expect(toHex(encodeTlv(0x5f2d, fromHex('656e')))).toBe('5f2d02656e');
    expect(toHex(encodeTlv(0x9f8101, new Uint8Array(0)))).toBe('9f810100');
  });

  it('encodes children of a constructed tag, from their children when they have them', () => {
    const aid = primitive(0x84, 'a000000151000000');
    const prop: TlvNode = {
      tag: 0xa5,
      constructed: true,
      value: fromHex('ffff'), // stale: children win
      children: [primitive(0x9f65, 'ff')],
    };
    expect(toHex(encodeTlv(0x6f, [aid, prop]))).toBe(FCI);
  });

  it('refuses children under a primitive tag', () => {
    expect(() => encodeTlv(0x84, [primitive(0x84, 'aa')])).toThrow(/primitive/);
  });

  it('refuses numbers that are not one well-formed tag', () => {
    for (const tag of [
      0, 0x1f, 0xff, 0x9f, 0xbf0c01, 0x9f80, 0x5f00, 0xff20, 0x0184, 0x9f8181, 0x1000000, -1, 1.5,
    ]) {
      expect(() => encodeTlv(tag, new Uint8Array(0)), `tag ${tag}`).toThrow(RangeError);
    }
  });

  it('names the tag bytes it refuses', () => {
    expect(() => tagBytes(0xff20)).toThrow('tag FF20 begins with FF');
    expect(() => tagBytes(0xbf0c01)).toThrow('tag BF0C01 has a byte after its last one');
  });
});

describe('findTlv', () => {
  const nodes = parseHex('4f01aa' + FCI);

  it('finds a top-level object by tag', () => {
    expect(findTlv(nodes, 0x4f)).toEqual(primitive(0x4f, 'aa'));
  });

  it('descends through children along the path', () => {
    expect(findTlv(nodes, 0x6f, 0xa5, 0x9f65)).toEqual(primitive(0x9f65, 'ff'));
    expect(findTlv(nodes, 0x6f, 0x84)?.value).toEqual(fromHex('a000000151000000'));
  });

  it('returns the first of several objects with the tag', () => {
    expect(findTlv(parseHex(KEY_INFO), 0xe0, 0xc0)?.value).toEqual(fromHex('01018810'));
  });

  it('returns undefined for a missing tag, a path through a primitive, or an empty path', () => {
    expect(findTlv(nodes, 0x6f, 0x88)).toBeUndefined();
    expect(findTlv(nodes, 0x9f65)).toBeUndefined();
    expect(findTlv(nodes, 0x4f, 0x84)).toBeUndefined();
    expect(findTlv(nodes)).toBeUndefined();
  });
});
