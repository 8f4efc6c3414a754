/**
 * DGI records as STORE DATA carries them (GP Card Spec §11.11.3.2 / EMV CPS): a 2-byte DGI,
 * a length (1 byte, or FF and 2 bytes from 255 on), then the value.
 */
import { ObfError } from '../../errors.js';

export interface DgiRecord {
  dgi: number;
  value: Uint8Array;
}

export function encodeDgi({ dgi, value }: DgiRecord): Uint8Array {
  if (!Number.isInteger(dgi) || dgi < 0 || dgi > 0xffff) throw new RangeError(`a DGI is 2 bytes, got ${dgi}`);
  if (value.length > 0xffff) throw new RangeError(`DGI value too long: ${value.length}`);
  const len = value.length < 0xff ? [value.length] : [0xff, value.length >> 8, value.length & 0xff];
  return Uint8Array.from([dgi >> 8, dgi & 0xff, ...len, ...value]);
}

export function decodeDgis(data: Uint8Array): DgiRecord[] {
  const out: DgiRecord[] = [];
  let i = 0;
  while (i < data.length) {
    if (i + 3 > data.length) throw new ObfError('VALIDATION', `DGI at offset ${i}: header runs past the end`);
    const dgi = (data[i]! << 8) | data[i + 1]!;
    let len = data[i + 2]!;
    let start = i + 3;
    if (len === 0xff) {
      if (i + 5 > data.length)
        throw new ObfError('VALIDATION', `DGI ${dgi.toString(16)}: 3-byte length runs past the end`);
      len = (data[i + 3]! << 8) | data[i + 4]!;
      start = i + 5;
    }
    if (start + len > data.length)
      throw new ObfError('VALIDATION', `DGI ${dgi.toString(16)}: value runs past the end`);
    out.push({ dgi, value: data.slice(start, start + len) });
    i = start + len;
  }
  return out;
}
