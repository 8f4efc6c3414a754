import { request, type IncomingHttpHeaders } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { WebSocket, type ClientOptions, type RawData } from 'ws';
import type { ReadersSnapshot } from '../core/api/index.js';
import type { Workstation } from '../core/index.js';
import { SimReaderBackend } from '../native/vcard/index.js';
import { createWorkstation } from './compose.js';
import { startWebHost, type WebHost } from './web.js';

const TOKEN = 'unit-test-token-0123456789abcdef';

type Frame = {
  type: 'result' | 'event';
  id?: number;
  ok?: boolean;
  output?: unknown;
  error?: { code: string; message: string };
  event?: string;
  payload?: unknown;
};

/** A connected client that queues every frame it receives. */
class Client {
  private readonly frames: Frame[] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData) => {
      this.frames.push(JSON.parse(rawText(data)) as Frame);
      this.waiters.splice(0).forEach((w) => w());
    });
  }

  async next(match: (f: Frame) => boolean, timeoutMs = 2000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`no matching frame; have ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  call(id: number, method: string, input: unknown): Promise<Frame> {
    this.ws.send(JSON.stringify({ type: 'call', id, method, input }));
    return this.next((f) => f.type === 'result' && f.id === id);
  }
}

function rawText(data: RawData): string {
  return Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.from(data as Buffer).toString('utf8');
}

/** Opens a WebSocket; resolves with the client, or rejects with the HTTP status of a refusal. */
function connect(url: string, options: ClientOptions = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => resolve(new Client(ws)));
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`HTTP ${res.statusCode}`));
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function http(
  port: number,
  path: string,
  method = 'GET',
  headers: Record<string, string> = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startWebHost', () => {
  let dir: string;
  let workstation: Workstation;
  let host: WebHost;
  let port: number;
  let clients: Client[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'obf-web-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>OBF web</title>');
    workstation = createWorkstation('web', new SimReaderBackend({ slots: 2 }), null);
    workstation.start();
    host = await startWebHost({ workstation, rendererDir: dir, token: TOKEN });
    port = Number(new URL(host.origin).port);
    clients = [];
  });

  afterEach(async () => {
    for (const c of clients) c.ws.terminate();
    await host.close();
    await workstation.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(query = `?token=${TOKEN}`, options: ClientOptions = {}): Promise<Client> {
    const client = await connect(`ws://127.0.0.1:${port}/api${query}`, options);
    clients.push(client);
    return client;
  }

  it('listens on 127.0.0.1 and puts the token in the URL fragment', () => {
    expect(host.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.url).toBe(`${host.origin}/#token=${TOKEN}`);
    expect(host.token).toBe(TOKEN);
  });

  it('makes up a long random token when none is given', async () => {
    const other = await startWebHost({ workstation, rendererDir: dir });
    try {
      expect(other.token).not.toBe(TOKEN);
      expect(Buffer.from(other.token, 'base64url')).toHaveLength(32);
    } finally {
      await other.close();
    }
  });

  describe('the WebSocket upgrade', () => {
    it('refuses a connection without a token with HTTP 401', async () => {
      await expect(open('')).rejects.toThrow('HTTP 401');
    });

    it('refuses a connection with a wrong token with HTTP 401', async () => {
      await expect(open('?token=wrong')).rejects.toThrow('HTTP 401');
      await expect(open(`?token=${TOKEN.slice(0, -1)}X`)).rejects.toThrow('HTTP 401');
    });

    it('refuses a foreign Origin with HTTP 403', async () => {
      await expect(open(undefined, { origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
      await expect(open(undefined, { origin: `https://127.0.0.1:${port}` })).rejects.toThrow('HTTP 403');
    });

    it('accepts the Origin of the listener itself', async () => {
      const client = await open(undefined, { origin: host.origin });
      expect(client.ws.readyState).toBe(WebSocket.OPEN);
    });

    it('refuses a Host header that does not name the listener with HTTP 421', async () => {
      await expect(open(undefined, { headers: { host: 'evil.example' } })).rejects.toThrow('HTTP 421');
      await expect(open(undefined, { headers: { host: `127.0.0.1:${port + 1}` } })).rejects.toThrow(
        'HTTP 421',
      );
    });

    it('accepts localhost as the Host header', async () => {
      const client = await open(undefined, { headers: { host: `localhost:${port}` } });
      expect(client.ws.readyState).toBe(WebSocket.OPEN);
    });

    it('refuses a path other than /api with HTTP 404', async () => {
      await expect(connect(`ws://127.0.0.1:${port}/other?token=${TOKEN}`)).rejects.toThrow('HTTP 404');
    });
  });

  describe('calls over the WebSocket', () => {
    it('answers readers.list with the two simulated readers', async () => {
      const client = await open();
      const result = await client.call(1, 'readers.list', {});
      expect(result).toMatchObject({ type: 'result', id: 1, ok: true });
      const snapshot = result.output as ReadersSnapshot;
      expect(snapshot.service.state).toBe('up');
      expect(snapshot.readers.map((r) => r.name)).toEqual([
        'OBF Simulated Reader 0',
        'OBF Simulated Reader 1',
      ]);
    });

    it('answers app.info as the web host', async () => {
      const client = await open();
      const result = await client.call(2, 'app.info', {});
      expect(result.output).toMatchObject({ host: 'web', readerSource: 'sim' });
    });

    it('answers a frame that is not JSON with VALIDATION and id -1', async () => {
      const client = await open();
      client.ws.send('{not json');
      const result = await client.next((f) => f.type === 'result');
      expect(result).toMatchObject({ id: -1, ok: false, error: { code: 'VALIDATION' } });
    });

    it('answers a call frame with an extra key with VALIDATION and keeps its id', async () => {
      const client = await open();
      client.ws.send(JSON.stringify({ type: 'call', id: 7, method: 'readers.list', input: {}, extra: 1 }));
      const result = await client.next((f) => f.type === 'result');
      expect(result).toMatchObject({ id: 7, ok: false, error: { code: 'VALIDATION' } });
    });

    it('answers a binary frame with VALIDATION', async () => {
      const client = await open();
      client.ws.send(Buffer.from(JSON.stringify({ type: 'call', id: 3, method: 'readers.list', input: {} })));
      const result = await client.next((f) => f.type === 'result');
      expect(result).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    });

    it('answers an unknown method with UNKNOWN_METHOD', async () => {
      const client = await open();
      const result = await client.call(4, 'readers.format', {});
      expect(result).toMatchObject({ id: 4, ok: false, error: { code: 'UNKNOWN_METHOD' } });
    });

    it('answers an invalid input with VALIDATION from the dispatcher', async () => {
      const client = await open();
      const result = await client.call(5, 'readers.simulate', {
        reader: 'OBF Simulated Reader 0',
        action: 'eject',
      });
      expect(result).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
      expect(result.error?.message).toContain('action');
    });

    it('sends a readers event to every client when a card is removed', async () => {
      const client = await open();
      const other = await open();
      const result = await client.call(6, 'readers.simulate', {
        reader: 'OBF Simulated Reader 1',
        action: 'remove',
      });
      expect(result.ok).toBe(true);
      for (const c of [client, other]) {
        const event = await c.next((f) => f.type === 'event');
        expect(event.event).toBe('readers');
        const payload = event.payload as { change: unknown; snapshot: ReadersSnapshot };
        expect(payload.change).toEqual({ kind: 'card-removed', reader: 'OBF Simulated Reader 1' });
        expect(payload.snapshot.readers[1]!.state).toBe('empty');
      }
    });

    it('stops forwarding workstation events once closed', async () => {
      expect(workstation.listenerCount('readers')).toBeGreaterThan(0);
      await host.close();
      expect(workstation.listenerCount('readers')).toBe(0);
      host = await startWebHost({ workstation, rendererDir: dir, token: TOKEN });
    });
  });

  describe('HTTP', () => {
    it('serves index.html at / with a CSP that forbids inline script and style', async () => {
      const reply = await http(port, '/');
      expect(reply.status).toBe(200);
      expect(reply.body).toContain('<title>OBF web</title>');
      const csp = String(reply.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${port}`);
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(reply.headers['x-frame-options']).toBe('DENY');
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
    });

    it('refuses POST with 405 and an Allow header', async () => {
      const reply = await http(port, '/', 'POST');
      expect(reply.status).toBe(405);
      expect(reply.headers.allow).toBe('GET, HEAD');
    });

    it('answers HEAD without a body', async () => {
      const reply = await http(port, '/', 'HEAD');
      expect(reply.status).toBe(200);
      expect(reply.body).toBe('');
    });

    it('refuses a foreign Host header with 421', async () => {
      const reply = await http(port, '/', 'GET', { host: 'evil.example' });
      expect(reply.status).toBe(421);
    });

    it('answers 404 for a missing asset', async () => {
      const reply = await http(port, '/assets/missing.js');
      expect(reply.status).toBe(404);
      expect(reply.headers['content-security-policy']).toBeDefined();
    });
  });
});
