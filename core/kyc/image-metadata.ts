/**
 * Strips the metadata of an evidence image before it is sealed: a phone photo carries where and
 * when it was taken and by which device (EXIF GPS, serial numbers, thumbnails of the uncropped
 * picture), none of which the KYC record needs or may keep.
 *
 * JPEG (ITU-T T.81 Annex B): the segments before and between scans are walked; APP1–APP13,
 * APP15 (EXIF, XMP, ICC, Photoshop IRB, vendor blocks) and COM are dropped, and so is anything
 * after EOI (vendor trailers hide more metadata there). APP0 (JFIF) is kept, and APP14 only
 * when it is the 12-byte "Adobe" marker: its colour-transform flag decides how a CMYK/YCCK
 * image decodes and it holds no other data. Entropy-coded data is copied as is.
 *
 * PNG (ISO/IEC 15948 §5.3, §11): chunk CRCs are checked; critical chunks are kept, and of the
 * ancillary ones only those that change how pixels render (tRNS, gAMA, cHRM, sRGB, iCCP, sBIT,
 * pHYs, bKGD). Text (tEXt, zTXt, iTXt), eXIf, tIME and every private or unknown chunk go, and
 * so does anything after IEND.
 *
 * Malformed input throws ImageFormatError with a message that says where the image breaks; it
 * never reads outside the buffer.
 */

export class ImageFormatError extends Error {
  override readonly name = 'ImageFormatError';
}

export type ImageMime = 'image/jpeg' | 'image/png';

export interface StrippedImage {
  bytes: Uint8Array;
  /** Bytes removed. */
  strippedBytes: number;
  /** What was removed, e.g. "APP1 (Exif)", "tEXt", "trailing data". */
  removed: string[];
}

const JPEG_MAGIC = [0xff, 0xd8, 0xff];
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/** The format the bytes are, by their magic number, or null. */
export function sniffImage(bytes: Uint8Array): ImageMime | null {
  if (startsWith(bytes, JPEG_MAGIC)) return 'image/jpeg';
  if (startsWith(bytes, PNG_MAGIC)) return 'image/png';
  return null;
}

/** Strips metadata from an image declared as `mime`; the magic number must agree. */
export function stripImageMetadata(bytes: Uint8Array, mime: ImageMime): StrippedImage {
  const actual = sniffImage(bytes);
  if (actual !== mime) {
    const what =
      actual === null ? 'neither a JPEG nor a PNG' : `a ${actual === 'image/png' ? 'PNG' : 'JPEG'}`;
    throw new ImageFormatError(`the image is ${what} but was sent as ${mime}`);
  }
  return mime === 'image/jpeg' ? stripJpeg(bytes) : stripPng(bytes);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function ascii(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

// ── JPEG ──────────────────────────────────────────────────────────────────────────────────

/** Markers that stand alone (no length): TEM, RST0–7, SOI, EOI. */
function standalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9);
}

function appName(segment: Uint8Array): string {
  // The identifier of an APPn segment is a NUL-terminated ASCII string ("Exif", "http://ns…").
  const body = segment.subarray(4, 4 + 32);
  const end = body.indexOf(0);
  const id = ascii(body.subarray(0, end < 0 ? body.length : end)).replace(/[^\x20-\x7e]/g, '?');
  return id.length > 0 ? ` (${id.slice(0, 24)})` : '';
}

function isAdobeApp14(segment: Uint8Array): boolean {
  // FF EE, length 14 (2 + "Adobe" + version 2 + flags0 2 + flags1 2 + transform 1).
  return segment.length === 16 && ascii(segment.subarray(4, 9)) === 'Adobe';
}

function stripJpeg(b: Uint8Array): StrippedImage {
  const kept: Uint8Array[] = [b.subarray(0, 2)]; // SOI
  const removed: string[] = [];
  let i = 2;
  let sawEoi = false;
  let sawScan = false;
  while (i < b.length) {
    if (b[i] !== 0xff)
      throw new ImageFormatError(`the JPEG has no marker at byte ${i} (found 0x${hex2(b[i]!)})`);
    // Fill bytes (0xFF) may precede a marker (T.81 B.1.1.2): drop them.
    let m = i + 1;
    while (m < b.length && b[m] === 0xff) m++;
    if (m >= b.length) throw new ImageFormatError('the JPEG ends inside a marker');
    const marker = b[m]!;
    if (marker === 0x00)
      throw new ImageFormatError(`the JPEG has a stuffed byte outside a scan at byte ${m}`);
    if (marker === 0xd9) {
      kept.push(Uint8Array.of(0xff, 0xd9));
      i = m + 1;
      sawEoi = true;
      break;
    }
    if (marker === 0xd8) throw new ImageFormatError(`the JPEG has a second SOI at byte ${m - 1}`);
    if (standalone(marker)) {
      kept.push(Uint8Array.of(0xff, marker));
      i = m + 1;
      continue;
    }
    if (m + 2 >= b.length)
      throw new ImageFormatError(`the JPEG ends inside the ${hex2(marker)} marker's length`);
    const length = (b[m + 1]! << 8) | b[m + 2]!;
    if (length < 2)
      throw new ImageFormatError(`the JPEG segment FF${hex2(marker)} at byte ${m - 1} has length ${length}`);
    const end = m + 1 + length;
    if (end > b.length)
      throw new ImageFormatError(
        `the JPEG segment FF${hex2(marker)} at byte ${m - 1} runs past the end of the file`,
      );
    const segment = b.subarray(m - 1, end);
    const isApp = marker >= 0xe1 && marker <= 0xef;
    if ((isApp && !(marker === 0xee && isAdobeApp14(segment))) || marker === 0xfe) {
      removed.push(marker === 0xfe ? 'COM' : `APP${marker - 0xe0}${appName(segment)}`);
      i = end;
      continue;
    }
    kept.push(segment);
    i = end;
    if (marker === 0xda) {
      sawScan = true;
      // Entropy-coded data runs to the next marker that is not a stuffed 0x00 or an RSTn.
      let j = i;
      while (j < b.length) {
        if (b[j] === 0xff && j + 1 < b.length) {
          const next = b[j + 1]!;
          if (next !== 0x00 && !(next >= 0xd0 && next <= 0xd7)) break;
          j += 2;
        } else j++;
      }
      kept.push(b.subarray(i, j));
      i = j;
    }
  }
  if (!sawScan) throw new ImageFormatError('the JPEG has no image data (no SOS segment)');
  if (!sawEoi) throw new ImageFormatError('the JPEG is cut short: it has no EOI marker');
  if (i < b.length) {
    removed.push('trailing data');
  }
  const bytes = concat(kept);
  return { bytes, strippedBytes: b.length - bytes.length, removed };
}

// ── PNG ───────────────────────────────────────────────────────────────────────────────────

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** ISO/IEC 15948 Annex D: CRC-32 over the chunk type and data. */
export function pngCrc(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Ancillary chunks kept: they change how the pixels render, and carry no free text. */
const PNG_KEPT_ANCILLARY = new Set(['tRNS', 'gAMA', 'cHRM', 'sRGB', 'iCCP', 'sBIT', 'pHYs', 'bKGD']);
const PNG_CRITICAL = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND']);

function stripPng(b: Uint8Array): StrippedImage {
  const kept: Uint8Array[] = [b.subarray(0, 8)];
  const removed: string[] = [];
  let i = 8;
  let first = true;
  let sawEnd = false;
  let sawData = false;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  while (i < b.length) {
    if (i + 12 > b.length) throw new ImageFormatError(`the PNG is cut short inside the chunk at byte ${i}`);
    const length = view.getUint32(i);
    const type = ascii(b.subarray(i + 4, i + 8));
    if (!/^[A-Za-z]{4}$/.test(type))
      throw new ImageFormatError(`the PNG chunk at byte ${i} has an invalid type (not 4 letters)`);
    const end = i + 12 + length;
    if (length > 0x7fffffff || end > b.length)
      throw new ImageFormatError(`the PNG chunk ${type} at byte ${i} runs past the end of the file`);
    const crc = view.getUint32(i + 8 + length);
    if (pngCrc(b.subarray(i + 4, i + 8 + length)) !== crc)
      throw new ImageFormatError(`the PNG chunk ${type} at byte ${i} has a wrong CRC (damaged file)`);
    if (first && type !== 'IHDR')
      throw new ImageFormatError(`the PNG does not start with IHDR (found ${type})`);
    first = false;
    const critical = (b[i + 4]! & 0x20) === 0; // ISO/IEC 15948 §5.4: bit 5 of the first byte
    if (critical && !PNG_CRITICAL.has(type))
      throw new ImageFormatError(`the PNG has an unknown critical chunk ${type}`);
    if (critical || PNG_KEPT_ANCILLARY.has(type)) kept.push(b.subarray(i, end));
    else removed.push(type);
    if (type === 'IDAT') sawData = true;
    i = end;
    if (type === 'IEND') {
      sawEnd = true;
      break;
    }
  }
  if (!sawData) throw new ImageFormatError('the PNG has no image data (no IDAT chunk)');
  if (!sawEnd) throw new ImageFormatError('the PNG is cut short: it has no IEND chunk');
  if (i < b.length) removed.push('trailing data');
  const bytes = concat(kept);
  return { bytes, strippedBytes: b.length - bytes.length, removed };
}
