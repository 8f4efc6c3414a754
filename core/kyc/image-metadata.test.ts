import { describe, expect, it } from 'vitest';
import { EXIF_SECRET, jpegWithExif, PNG_SECRET, pngWithText } from './image.fixture.js';
import { ImageFormatError, sniffImage, stripImageMetadata } from './image-metadata.js';

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

describe('JPEG metadata', () => {
  it('drops the APP1 Exif segment, COM and the trailer, and keeps JFIF, tables and the scan', () => {
    const input = jpegWithExif();
    expect(text(input)).toContain(EXIF_SECRET);
    const out = stripImageMetadata(input, 'image/jpeg');
    expect(text(out.bytes)).not.toContain(EXIF_SECRET);
    expect(text(out.bytes)).not.toContain('Ravi');
    expect(text(out.bytes)).not.toContain('TRAILER');
    expect(out.removed).toEqual(['APP1 (Exif)', 'COM', 'trailing data']);
    expect(out.strippedBytes).toBe(input.length - out.bytes.length);
    expect(text(out.bytes)).toContain('JFIF');
    // The scan data (with its stuffed FF00 and RST0) is untouched, EOI last.
    expect(text(out.bytes)).toContain(
      text(Uint8Array.of(0x12, 0x34, 0xff, 0x00, 0x56, 0xff, 0xd0, 0x77, 0xff, 0xd9)),
    );
    expect([...out.bytes.subarray(-2)]).toEqual([0xff, 0xd9]);
  });

  it('is idempotent: a stripped JPEG strips to itself', () => {
    const once = stripImageMetadata(jpegWithExif(), 'image/jpeg').bytes;
    const twice = stripImageMetadata(once, 'image/jpeg');
    expect(twice.bytes).toEqual(once);
    expect(twice.removed).toEqual([]);
  });

  it('refuses a cut-short JPEG and a segment running past the end, naming where', () => {
    const full = jpegWithExif();
    const eoi = text(full).indexOf('\xff\xd9');
    expect(() => stripImageMetadata(full.subarray(0, eoi), 'image/jpeg')).toThrow(/no EOI/);
    expect(() => stripImageMetadata(full.subarray(0, 30), 'image/jpeg')).toThrow(
      /segment FFE1 at byte 20 runs past the end/,
    );
    expect(() => stripImageMetadata(Uint8Array.of(0xff, 0xd8, 0xff, 0xd9), 'image/jpeg')).toThrow(
      /no image data/,
    );
  });
});

describe('PNG metadata', () => {
  it('drops tEXt, tIME and private chunks, keeps IHDR, gAMA, IDAT, IEND', () => {
    const input = pngWithText();
    const out = stripImageMetadata(input, 'image/png');
    expect(text(out.bytes)).not.toContain(PNG_SECRET);
    expect(out.removed).toEqual(['tEXt', 'tIME', 'prVt']);
    for (const kept of ['IHDR', 'gAMA', 'IDAT', 'IEND']) expect(text(out.bytes)).toContain(kept);
  });

  it('refuses a damaged chunk (CRC) and a missing IEND', () => {
    const input = pngWithText();
    const damaged = Uint8Array.from(input);
    damaged[20] = damaged[20]! ^ 1; // inside IHDR's data
    expect(() => stripImageMetadata(damaged, 'image/png')).toThrow(/chunk IHDR at byte 8 has a wrong CRC/);
    expect(() => stripImageMetadata(input.subarray(0, input.length - 12), 'image/png')).toThrow(/no IEND/);
  });
});

describe('magic numbers', () => {
  it('knows JPEG and PNG and nothing else', () => {
    expect(sniffImage(jpegWithExif())).toBe('image/jpeg');
    expect(sniffImage(pngWithText())).toBe('image/png');
    expect(sniffImage(new TextEncoder().encode('GIF89a'))).toBeNull();
  });

  it('refuses an image whose bytes disagree with its declared type', () => {
    expect(() => stripImageMetadata(pngWithText(), 'image/jpeg')).toThrow(
      new ImageFormatError('the image is a PNG but was sent as image/jpeg'),
    );
    expect(() => stripImageMetadata(new TextEncoder().encode('%PDF-1.7'), 'image/png')).toThrow(
      /neither a JPEG nor a PNG/,
    );
  });
});
