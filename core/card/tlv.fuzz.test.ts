import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { bytesEqual } from '../bytes.js';
import { isObfError } from '../errors.js';
import { encodeTlvNodes, parseTlv, type TlvNode } from './tlv.js';

/** ISO 7816-4 §5.2.2.1 first tag bytes announcing subsequent bytes; FF is padding, not a tag. */
const multiFirst = fc.constantFrom(0x1f, 0x3f, 0x5f, 0x7f, 0x9f, 0xbf, 0xdf);
const tag = fc.oneof(
  fc.integer({ min: 0x01, max: 0xfe }).filter((t) => (t & 0x1f) !== 0x1f),
  fc.tuple(multiFirst, fc.integer({ min: 0x01, max: 0x7f })).map(([a, b]) => a * 0x100 + b),
  fc
    .tuple(multiFirst, fc.integer({ min: 0x81, max: 0xff }), fc.integer({ min: 0x00, max: 0x7f }))
    .map(([a, b, c]) => a * 0x10000 + b * 0x100 + c),
);
const firstByteOf = (t: number): number => (t > 0xffff ? t >> 16 : t > 0xff ? t >> 8 : t);
const isConstructed = (t: number): boolean => (firstByteOf(t) & 0x20) !== 0;

/** Values short, and long enough for the 81 and 82 length forms. */
const value = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 16 }), weight: 4 },
  { arbitrary: fc.uint8Array({ minLength: 120, maxLength: 300 }), weight: 1 },
);

/** Trees as parseTlv returns them: a constructed node's value is the encoding of its children. */
const { nodes } = fc.letrec<{ node: TlvNode; nodes: TlvNode[] }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 6, depthIdentifier: 'tlv' },
    fc
      .tuple(
        tag.filter((t) => !isConstructed(t)),
        value,
      )
      .map(([t, v]): TlvNode => ({ tag: t, constructed: false, value: v, children: null })),
    fc
      .tuple(tag.filter(isConstructed), fc.array(tie('node'), { maxLength: 4, depthIdentifier: 'tlv' }))
      .map(([t, children]): TlvNode => ({
        tag: t,
        constructed: true,
        value: encodeTlvNodes(children),
        children,
      })),
  ),
  nodes: fc.array(tie('node'), { maxLength: 4, depthIdentifier: 'tlv' }),
}));

/** Encodings of valid trees with one byte changed, cut short, or with padding spliced in. */
const mutated = fc
  .tuple(nodes, fc.nat(), fc.integer({ min: 0, max: 0xff }), fc.constantFrom('set', 'cut', 'pad'))
  .map(([tree, at, b, how]) => {
    const bytes = encodeTlvNodes(tree);
    const i = bytes.length ? at % bytes.length : 0;
    if (how === 'cut') return bytes.subarray(0, i);
    if (how === 'pad')
      return Uint8Array.from([...bytes.subarray(0, i), b & 1 ? 0xff : 0x00, ...bytes.subarray(i)]);
    const out = bytes.slice();
    if (out.length) out[i] = b;
    return out;
  });

/** Byte soup weighted towards the bytes that steer a BER-TLV parser. */
const tlvish = fc
  .uint8Array({ maxLength: 300 })
  .chain((noise) =>
    fc
      .array(
        fc.oneof(
          fc.constantFrom(0x00, 0xff, 0x1f, 0x5f, 0x9f, 0xbf, 0xe0, 0x6f, 0xa5, 0x80, 0x81, 0x82, 0x83, 0x84),
          fc.integer({ min: 0, max: 0xff }),
        ),
        { maxLength: 300 },
      )
      .map((bytes) => (noise.length % 2 ? Uint8Array.from(bytes) : noise)),
  );

/** X.690 §8.1.3 sizes computed apart from the encoder: tag bytes, shortest length field, value. */
function minimalSize(list: readonly TlvNode[]): number {
  return list.reduce((sum, n) => {
    const valueSize = n.children ? minimalSize(n.children) : n.value.length;
    const tagSize = n.tag > 0xffff ? 3 : n.tag > 0xff ? 2 : 1;
    const lengthSize = valueSize < 0x80 ? 1 : valueSize <= 0xff ? 2 : valueSize <= 0xffff ? 3 : 4;
    return sum + tagSize + lengthSize + valueSize;
  }, 0);
}

function parseOrBadTlv(bytes: Uint8Array): TlvNode[] | undefined {
  try {
    return parseTlv(bytes);
  } catch (err) {
    expect(isObfError(err, 'BAD_TLV'), String(err)).toBe(true);
    return undefined;
  }
}

describe('parseTlv on arbitrary bytes', () => {
  it('only returns nodes or throws BAD_TLV, and what it returns re-encodes to a fixed point', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), tlvish, mutated), (bytes) => {
        const parsed = parseOrBadTlv(bytes);
        if (parsed === undefined) return;
        const canonical = encodeTlvNodes(parsed);
        expect(canonical.length).toBeLessThanOrEqual(bytes.length);
        expect(bytesEqual(encodeTlvNodes(parseTlv(canonical)), canonical)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  }, 10_000);
});

describe('parseTlv and encodeTlvNodes on generated trees', () => {
  it('parse the encoding of a tree back to the same tree', () => {
    fc.assert(
      fc.property(nodes, (tree) => {
        expect(parseTlv(encodeTlvNodes(tree))).toEqual(tree);
      }),
      { numRuns: 500 },
    );
  }, 10_000);

  it('encode with the shortest length fields and reproduce canonical input byte for byte', () => {
    fc.assert(
      fc.property(nodes, (tree) => {
        const bytes = encodeTlvNodes(tree);
        expect(bytes.length).toBe(minimalSize(tree));
        expect(bytesEqual(encodeTlvNodes(parseTlv(bytes)), bytes)).toBe(true);
      }),
      { numRuns: 500 },
    );
  }, 10_000);
});
