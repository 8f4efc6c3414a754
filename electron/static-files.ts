import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

/**
 * Resolves a URL path inside the built renderer; anything that would leave the folder is
 * refused, and unknown paths fall back to index.html (client-side routes).
 */
export async function readRendererFile(root: string, urlPath: string): Promise<StaticFile | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0] ?? '/');
  } catch {
    return null;
  }
  // A path that climbs (`..` as a segment) is refused outright, not clamped to the root.
  if (decoded.includes('\0') || decoded.split(/[/\\]/).includes('..')) return null;
  const relative = normalize(decoded).replace(/^([/\\])+/, '');
  const target = join(root, relative);
  if (target !== root && !target.startsWith(root + sep)) return null;
  const file = extname(target) ? target : join(root, 'index.html');
  try {
    return { body: await readFile(file), contentType: types[extname(file)] ?? 'application/octet-stream' };
  } catch {
    return null;
  }
}
