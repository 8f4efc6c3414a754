/** ISO/IEC 9797-1 padding method 2 (ISO 7816-4 §5.6.3): 80 then 00s to the block size, always added. */
export function pad80(data: Uint8Array, blockSize = 16): Uint8Array {
  const out = new Uint8Array((Math.floor(data.length / blockSize) + 1) * blockSize);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

export function unpad80(data: Uint8Array): Uint8Array {
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0) i--;
  if (i < 0 || data[i] !== 0x80) throw new RangeError('invalid ISO 9797-1 method 2 padding');
  return data.slice(0, i);
}
