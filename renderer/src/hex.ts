/** Hex as people type it (spaces, line breaks, either case) and as the station takes it. */
export function compactHex(typed: string): string {
  return typed.replace(/\s+/g, '').toLowerCase();
}

export function isHex(text: string): boolean {
  return /^(?:[0-9a-f]{2})+$/.test(text);
}

export function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Groups of four for reading aloud and comparing with paper: "1a2b 3c4d …". */
export function groupHex(hex: string): string {
  return hex.toUpperCase().replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * A recovery share's checksum as the station prints it beside the share: the first 8 hex digits
 * of SHA-256 over the share's bytes. `null` when the text is not (yet) a whole number of bytes.
 */
export async function shareChecksum(typed: string): Promise<string | null> {
  const hex = compactHex(typed);
  if (!isHex(hex) || !globalThis.crypto?.subtle) return null;
  const bytes = hexToBytes(hex);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  bytes.fill(0);
  return Array.from(digest.slice(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
}
