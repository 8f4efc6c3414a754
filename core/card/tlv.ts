/**
 * BER-TLV data objects as ISO/IEC 7816-4 §5.2.2 uses them: the subset of ISO/IEC 8825-1 (X.690)
 * §8.1 with tags of at most 3 bytes and definite lengths of at most 3 length bytes.
 *
 * A tag is handled as the number its bytes spell big-endian (`0x9f7f` for CPLC, `0xbf0c` for
 * FCI issuer discretionary data), which is how the GP and ETSI specifications print them.
 */
import { concatBytes, toHex } from '../bytes.js';
import { ObfError } from '../errors.js';

export interface TlvNode {
  tag: number;
  /** ISO 7816-4 §5.2.2.1: b6 of the first tag byte; a constructed value is itself BER-TLV. */
  constructed: boolean;
  value: Uint8Array;
  /** The parsed value of a constructed object; null for a primitive one. */
  children: TlvNode[] | null;
}

export interface ParseTlvOptions {
  /** How many levels of objects may nest, top level included (default 16, at most 1024). */
  maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 16;
const MAX_MAX_DEPTH = 1024;
/** ISO 7816-4 §5.2.2.2: at most three bytes after the 81/82/83 length prefix. */
const MAX_LENGTH = 0xffffff;

const hexByte = (b: number): string => toHex(Uint8Array.of(b)).toUpperCase();
const hexBytes = (bytes: Uint8Array): string => toHex(bytes).toUpperCase();

/** ISO 7816-4 §5.2.2: '00' and 'FF' bytes may stand before, between and after data objects. */
const isPadding = (b: number): boolean => b === 0x00 || b === 0xff;

/**
 * Parses every data object of `bytes`. Malformed input is always an ObfError BAD_TLV naming the
 * offset of the object at fault (from the start of `bytes`) and what is wrong with it.
 */
export function parseTlv(bytes: Uint8Array, options: ParseTlvOptions = {}): TlvNode[] {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_MAX_DEPTH)
    throw new RangeError(`maxDepth must be 1..${MAX_MAX_DEPTH}, got ${maxDepth}`);
  return parseObjects(bytes, 0, bytes.length, 1, maxDepth, null);
}

function fail(offset: number, fault: string): never {
  throw new ObfError('BAD_TLV', `TLV at offset ${offset}: ${fault}`);
}

const more = (n: number): string => `${n} more byte${n === 1 ? '' : 's'}`;

/** The objects in bytes[start, end); `parent` names the enclosing object for messages. */
function parseObjects(
  bytes: Uint8Array,
  start: number,
  end: number,
  depth: number,
  maxDepth: number,
  parent: string | null,
): TlvNode[] {
  const nodes: TlvNode[] = [];
  const where = parent === null ? 'the end of the data' : `the end of ${parent}`;
  let i = start;
  while (i < end) {
    if (isPadding(bytes[i]!)) {
      i++;
      continue;
    }
    const at = i;
    if (depth > maxDepth) fail(at, `nesting deeper than ${maxDepth} levels`);

    // ISO 7816-4 §5.2.2.1 / X.690 §8.1.2: tag field.
    const first = bytes[i++]!;
    let tag = first;
    if ((first & 0x1f) === 0x1f) {
      for (let n = 1; ; n++) {
        if (i >= end) fail(at, `tag ${hexBytes(bytes.subarray(at, i))} needs 1 more byte before ${where}`);
        const b = bytes[i++]!;
        // X.690 §8.1.2.4.2 c): bits 7 to 1 of the first subsequent byte shall not all be zero.
        if (n === 1 && (b & 0x7f) === 0)
          fail(at, `tag ${hexBytes(bytes.subarray(at, i))} has a zero first subsequent byte`);
        tag = tag * 0x100 + b;
        if ((b & 0x80) === 0) break;
        if (n === 2) fail(at, `tag ${hexBytes(bytes.subarray(at, i))}… is longer than 3 bytes`);
      }
    }
    const tagText = hexBytes(bytes.subarray(at, i));

    // ISO 7816-4 §5.2.2.2 / X.690 §8.1.3: definite length, short form or 81/82/83.
    if (i >= end) fail(at, `tag ${tagText} has no length byte before ${where}`);
    const l0 = bytes[i++]!;
    let length = l0;
    if (l0 === 0x80) fail(at, `indefinite length 0x80 is not allowed (ISO 7816-4 §5.2.2.2)`);
    if (l0 > 0x83) fail(at, `length 0x${hexByte(l0)} is not supported: at most 3 length bytes (81, 82, 83)`);
    if (l0 > 0x80) {
      const count = l0 & 0x7f;
      if (i + count > end) fail(at, `length 0x${hexByte(l0)} needs ${more(i + count - end)}`);
      length = 0;
      for (let k = 0; k < count; k++) length = length * 0x100 + bytes[i++]!;
    }

    // X.690 §8.1.4: the value.
    if (i + length > end)
      fail(at, `tag ${tagText}: value of ${length} bytes runs ${i + length - end} bytes past ${where}`);
    const constructed = (first & 0x20) !== 0;
    const value = bytes.slice(i, i + length);
    const children = constructed
      ? parseObjects(bytes, i, i + length, depth + 1, maxDepth, `${tagText} at offset ${at}`)
      : null;
    nodes.push({ tag, constructed, value, children });
    i += length;
  }
  return nodes;
}

/**
 * The bytes of `tag`, checked to be one well-formed tag of 1 to 3 bytes that a parser will not
 * take for padding (ISO 7816-4 §5.2.2.1).
 */
export function tagBytes(tag: number): Uint8Array {
  if (!Number.isInteger(tag) || tag < 1 || tag > 0xffffff)
    throw new RangeError(`not a 1- to 3-byte tag: ${tag}`);
  const out =
    tag > 0xffff ? [tag >> 16, (tag >> 8) & 0xff, tag & 0xff] : tag > 0xff ? [tag >> 8, tag & 0xff] : [tag];
  const bytes = Uint8Array.from(out);
  const bad = (why: string): never => {
    throw new RangeError(`tag ${hexBytes(bytes)} ${why}`);
  };
  const [first, ...rest] = out as [number, ...number[]];
  if (first === 0xff) bad('begins with FF, which ISO 7816-4 §5.2.2 reads as padding');
  const multi = (first & 0x1f) === 0x1f;
  if (!multi && rest.length > 0) bad('has more than one byte but its first byte does not end in 11111');
  if (multi && rest.length === 0) bad('ends in 11111 and needs a subsequent byte');
  rest.forEach((b, k) => {
    const last = k === rest.length - 1;
    if (k === 0 && (b & 0x7f) === 0) bad('has a zero first subsequent byte (X.690 §8.1.2.4.2)');
    if (last && b & 0x80) bad('ends in a byte with b8 set (more would follow)');
    if (!last && !(b & 0x80)) bad('has a byte after its last one (b8 clear before the end)');
  });
  return bytes;
}

/** X.690 §8.1.3: the shortest length field for `n`. */
function lengthBytes(n: number): Uint8Array {
  if (n > MAX_LENGTH) throw new RangeError(`TLV value of ${n} bytes: at most ${MAX_LENGTH} can be encoded`);
  if (n < 0x80) return Uint8Array.of(n);
  if (n <= 0xff) return Uint8Array.of(0x81, n);
  if (n <= 0xffff) return Uint8Array.of(0x82, n >> 8, n & 0xff);
  return Uint8Array.of(0x83, n >> 16, (n >> 8) & 0xff, n & 0xff);
}

/**
 * One data object with minimal length encoding. `value` may be raw bytes, or the children of a
 * constructed tag (each encoded from its children when it has them, else from its value).
 * An invalid tag or children under a primitive tag is a programming error (RangeError).
 */
export function encodeTlv(tag: number, value: Uint8Array | readonly TlvNode[]): Uint8Array {
  const t = tagBytes(tag);
  let body: Uint8Array;
  if (value instanceof Uint8Array) {
    body = value;
  } else {
    if ((t[0]! & 0x20) === 0)
      throw new RangeError(`tag ${hexBytes(t)} is primitive and cannot hold children`);
    body = encodeTlvNodes(value);
  }
  return concatBytes(t, lengthBytes(body.length), body);
}

/** The concatenated encodings of `nodes`, as `parseTlv` would read them back. */
export function encodeTlvNodes(nodes: readonly TlvNode[]): Uint8Array {
  return concatBytes(...nodes.map((n) => encodeTlv(n.tag, n.children ?? n.value)));
}

/** The first object along `path`: a tag at the top level, then a tag among its children, … */
export function findTlv(nodes: readonly TlvNode[], ...path: number[]): TlvNode | undefined {
  let level: readonly TlvNode[] | null = nodes;
  let found: TlvNode | undefined;
  for (const tag of path) {
    if (level === null) return undefined;
    found = level.find((n) => n.tag === tag);
    if (found === undefined) return undefined;
    level = found.children;
  }
  return found;
}
