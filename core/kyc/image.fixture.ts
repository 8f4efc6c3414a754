/**
 * Hand-built images for the KYC tests: a JPEG with an EXIF APP1 segment (GPS text inside), a
 * comment and a trailer; a PNG with text and time chunks. Test support only.
 */
import { deflateSync } from 'node:zlib';
import { pngCrc } from './image-metadata.js';

function segment(marker: number, body: Uint8Array | string): Uint8Array {
  const data = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const out = new Uint8Array(4 + data.length);
  out.set([0xff, marker, (data.length + 2) >> 8, (data.length + 2) & 0xff]);
  out.set(data, 4);
  return out;
}

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Text placed in the EXIF segment: it must not survive stripping. */
export const EXIF_SECRET = 'GPS 19.0760N 72.8777E serial SN-CAM-000123';

/**
 * A structurally valid baseline JPEG: SOI, APP0 JFIF, APP1 Exif (with EXIF_SECRET), COM, DQT,
 * SOF0, DHT, SOS, entropy data (`pixels`, with stuffed FF00 and an RST marker), EOI, trailer.
 */
export function jpegWithExif(pixels: Uint8Array = Uint8Array.of(0x12, 0x34, 0xff, 0x00, 0x56)): Uint8Array {
  return cat(
    Uint8Array.of(0xff, 0xd8),
    segment(0xe0, cat(new TextEncoder().encode('JFIF\0'), Uint8Array.of(1, 1, 0, 0, 1, 0, 1, 0, 0))),
    segment(0xe1, `Exif\0\0MM\0*${EXIF_SECRET}`),
    segment(0xfe, 'comment: taken at the dealer by Ravi'),
    segment(0xdb, cat(Uint8Array.of(0), new Uint8Array(64).fill(1))),
    segment(0xc0, Uint8Array.of(8, 0, 1, 0, 1, 1, 1, 0x11, 0)),
    segment(0xc4, cat(Uint8Array.of(0), new Uint8Array(16).fill(0), Uint8Array.of())),
    segment(0xda, Uint8Array.of(1, 1, 0, 0, 0x3f, 0)),
    pixels,
    Uint8Array.of(0xff, 0xd0, 0x77),
    Uint8Array.of(0xff, 0xd9),
    new TextEncoder().encode('VENDOR TRAILER with more metadata'),
  );
}

function chunk(type: string, data: Uint8Array | string): Uint8Array {
  const body = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const typed = cat(new TextEncoder().encode(type), body);
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set(typed, 4);
  view.setUint32(8 + body.length, pngCrc(typed));
  return out;
}

export const PNG_SECRET = 'Author: Ravi Kumar, +919876543210';

/** A w×h greyscale PNG whose pixel rows are `fill`, with tEXt, tIME and a private chunk. */
export function pngWithText(w = 4, h = 4, fill = 0x80): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, w);
  v.setUint32(4, h);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const raw = new Uint8Array(h * (w + 1));
  for (let y = 0; y < h; y++) raw.fill(fill, y * (w + 1) + 1, (y + 1) * (w + 1));
  return cat(
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    chunk('IHDR', ihdr),
    chunk('gAMA', Uint8Array.of(0, 0, 0xb1, 0x8f)),
    chunk('tEXt', `Comment\0${PNG_SECRET}`),
    chunk('tIME', Uint8Array.of(0x07, 0xea, 11, 28, 1, 2, 3)),
    chunk('prVt', 'private vendor data'),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  );
}
