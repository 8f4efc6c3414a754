import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jpegWithExif, pngWithText } from './image.fixture.js';
import { ImageFormatError, stripImageMetadata, type ImageMime } from './image-metadata.js';

/** A valid image with bytes flipped, cut or appended: only ImageFormatError, or a smaller image. */
function mutated(base: Uint8Array) {
  return fc
    .tuple(
      fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.nat(base.length),
      fc.uint8Array({ maxLength: 16 }),
    )
    .map(([flips, cut, tail]) => {
      const b = Uint8Array.from(base);
      for (const [at, value] of flips) b[at] = value;
      const out = new Uint8Array(cut + tail.length);
      out.set(b.subarray(0, cut));
      out.set(tail, cut);
      return out;
    });
}

function check(bytes: Uint8Array, mime: ImageMime) {
  try {
    const out = stripImageMetadata(bytes, mime);
    expect(out.bytes.length).toBeLessThanOrEqual(bytes.length);
    expect(out.bytes.length + out.strippedBytes).toBe(bytes.length);
    // What comes out strips again to itself: nothing the walk missed.
    expect(stripImageMetadata(out.bytes, mime).bytes).toEqual(out.bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(ImageFormatError);
  }
}

describe('image metadata stripping on damaged input', () => {
  it('JPEG: never throws anything but ImageFormatError, never grows', () => {
    fc.assert(
      fc.property(mutated(jpegWithExif()), (b) => check(b, 'image/jpeg')),
      { numRuns: 3000 },
    );
  });

  it('PNG: never throws anything but ImageFormatError, never grows', () => {
    fc.assert(
      fc.property(mutated(pngWithText()), (b) => check(b, 'image/png')),
      { numRuns: 3000 },
    );
  });

  it('arbitrary bytes with a JPEG or PNG magic number', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (tail, jpeg) => {
        const head = jpeg ? [0xff, 0xd8, 0xff] : [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
        check(Uint8Array.from([...head, ...tail]), jpeg ? 'image/jpeg' : 'image/png');
      }),
      { numRuns: 3000 },
    );
  });
});
