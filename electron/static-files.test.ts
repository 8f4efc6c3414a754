import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { readRendererFile } from './static-files.js';

describe('readRendererFile', () => {
  let parent: string;
  let root: string;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'obf-static-'));
    root = join(parent, 'renderer');
    await mkdir(join(root, 'assets'), { recursive: true });
    await writeFile(join(root, 'index.html'), '<!doctype html><title>OBF</title>');
    await writeFile(join(root, 'assets', 'a.js'), 'console.log("a");');
    await writeFile(join(root, 'assets', 'style.css'), 'body{}');
    await writeFile(join(root, 'assets', 'blob.bin'), 'x');
    // A sibling whose name starts with the root's name: must stay out of reach.
    await mkdir(join(parent, 'renderer-secret'));
    await writeFile(join(parent, 'renderer-secret', 'key.txt'), 'secret');
    await writeFile(join(parent, 'outside.txt'), 'outside');
    // Where a traversal from the root to /etc/passwd would land if it were followed one level up.
    await mkdir(join(parent, 'etc'));
    await writeFile(join(parent, 'etc', 'passwd'), 'root:x:0:0');
  });

  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('serves index.html for the root path', async () => {
    const file = await readRendererFile(root, '/');
    expect(file?.contentType).toBe('text/html; charset=utf-8');
    expect(file?.body.toString()).toContain('<title>OBF</title>');
  });

  it('serves index.html for a client-side route without an extension', async () => {
    const file = await readRendererFile(root, '/some/route');
    expect(file?.body.toString()).toContain('<title>OBF</title>');
    expect(file?.contentType).toBe('text/html; charset=utf-8');
  });

  it('ignores the query string', async () => {
    const file = await readRendererFile(root, '/assets/a.js?v=123');
    expect(file?.body.toString()).toBe('console.log("a");');
  });

  it('serves an asset with its content type', async () => {
    const js = await readRendererFile(root, '/assets/a.js');
    expect(js?.contentType).toBe('text/javascript; charset=utf-8');
    expect(js?.body.toString()).toBe('console.log("a");');
    expect((await readRendererFile(root, '/assets/style.css'))?.contentType).toBe('text/css; charset=utf-8');
  });

  it('serves an unknown extension as application/octet-stream', async () => {
    expect((await readRendererFile(root, '/assets/blob.bin'))?.contentType).toBe('application/octet-stream');
  });

  it('serves a percent-encoded path inside the folder', async () => {
    expect((await readRendererFile(root, '/assets/%61.js'))?.body.toString()).toBe('console.log("a");');
  });

  it('returns null for a missing asset instead of falling back to index.html', async () => {
    expect(await readRendererFile(root, '/assets/missing.js')).toBeNull();
  });

  it.each([
    '/../outside.txt',
    '/../etc/passwd.txt',
    '/%2e%2e/%2e%2e/etc/passwd.txt',
    '/%2e%2e/outside.txt',
    '/assets/../../outside.txt',
    '/..%2foutside.txt',
    '/..%5coutside.txt',
    '/../renderer-secret/key.txt',
  ])('refuses %s, which leaves the folder', async (path) => {
    expect(await readRendererFile(root, path)).toBeNull();
  });

  it.each([
    '/../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/../../../../../../etc/passwd',
    '/assets/../index.html',
  ])('refuses %s: a path that climbs is never clamped to the folder and served', async (path) => {
    expect(await readRendererFile(root, path)).toBeNull();
  });

  it('refuses an absolute-form request target whose dots climb above the folder', async () => {
    expect(await readRendererFile(root, 'http://127.0.0.1/../../../etc/passwd')).toBeNull();
    expect(await readRendererFile(root, 'http://127.0.0.1/../../../outside.txt')).toBeNull();
  });

  it('refuses a path with a NUL byte', async () => {
    expect(await readRendererFile(root, '/assets/a.js%00.html')).toBeNull();
    expect(await readRendererFile(root, '/assets/a.js\0')).toBeNull();
  });

  it('refuses malformed percent-encoding', async () => {
    expect(await readRendererFile(root, '/assets/%E0%A4%A.js')).toBeNull();
    expect(await readRendererFile(root, '/%')).toBeNull();
  });

  it('returns null when the folder has no index.html', async () => {
    expect(await readRendererFile(join(parent, 'renderer-secret'), '/')).toBeNull();
  });
});
