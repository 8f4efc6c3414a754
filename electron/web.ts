/**
 * The web host: the same Workstation over HTTP + WebSocket on 127.0.0.1, for machines with no
 * Electron binary, kiosks and the browser e2e tests. A random 256-bit token per launch guards
 * the API; the Host and Origin headers must name this very listener (no DNS rebinding, no
 * cross-site WebSocket).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  callFrame,
  eventNames,
  MAX_EVIDENCE_BYTES,
  MAX_EVIDENCE_ITEMS,
  type EventFrame,
  type ResultFrame,
} from '../core/api/index.js';
import type { Workstation } from '../core/index.js';
import { contentSecurityPolicy } from './csp.js';
import { readRendererFile } from './static-files.js';

export interface WebHostOptions {
  workstation: Workstation;
  rendererDir: string;
  port?: number;
  /** Fixed token for tests; a fresh random one otherwise. */
  token?: string;
}

export interface WebHost {
  url: string;
  origin: string;
  token: string;
  close(): Promise<void>;
}

/**
 * The largest call the contract allows is a KYC capture with every evidence image at its limit
 * (base64 on the wire); anything larger is refused by the socket before it is parsed.
 */
const MAX_FRAME = Math.ceil((MAX_EVIDENCE_ITEMS * MAX_EVIDENCE_BYTES * 4) / 3) + 1024 * 1024;

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const tokenBytes = Buffer.from(token);
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  let origin = '';
  let allowedHosts: string[] = [];

  const server = createServer((req, res) => {
    void serveStatic(req, res);
  });

  async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers = securityHeaders(origin);
    if (!allowedHosts.includes(req.headers.host ?? '')) {
      res.writeHead(421, { ...headers, 'content-type': 'text/plain' }).end('misdirected request\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain' })
        .end('method not allowed\n');
      return;
    }
    const file = await readRendererFile(options.rendererDir, req.url ?? '/');
    if (!file) {
      res
        .writeHead(404, { ...headers, 'content-type': 'text/plain' })
        .end('not found (is the renderer built? npm run build)\n');
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': file.contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = refuseUpgrade(req);
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws));
  });

  function refuseUpgrade(req: IncomingMessage): string | null {
    if (!allowedHosts.includes(req.headers.host ?? '')) return '421 Misdirected Request';
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname !== '/api') return '404 Not Found';
    const given = Buffer.from(url.searchParams.get('token') ?? '');
    if (given.length !== tokenBytes.length || !timingSafeEqual(given, tokenBytes)) return '401 Unauthorized';
    const from = req.headers.origin;
    if (from !== undefined && !allowedHosts.some((h) => from === `http://${h}`)) return '403 Forbidden';
    return null;
  }

  function accept(ws: WebSocket): void {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      void handleMessage(ws, isBinary ? null : rawText(data));
    });
  }

  async function handleMessage(ws: WebSocket, text: string | null): Promise<void> {
    let raw: unknown;
    try {
      raw = text === null ? undefined : JSON.parse(text);
    } catch {
      raw = undefined;
    }
    const parsed = callFrame.safeParse(raw);
    if (!parsed.success) {
      const id =
        typeof (raw as { id?: unknown } | undefined)?.id === 'number' ? (raw as { id: number }).id : -1;
      send(ws, {
        type: 'result',
        id,
        ok: false,
        error: {
          code: 'VALIDATION',
          message: 'malformed call frame: expected {type:"call", id, method, input}',
        },
      });
      return;
    }
    const { id, method, input } = parsed.data;
    const result = await options.workstation.dispatch(method, input);
    send(
      ws,
      result.ok
        ? { type: 'result', id, ok: true, output: result.output }
        : { type: 'result', id, ok: false, error: result.error },
    );
  }

  function send(ws: WebSocket, frame: ResultFrame | EventFrame): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  }

  const forwarders = eventNames.map((event) => {
    const listener = (payload: unknown) => {
      for (const ws of sockets) send(ws, { type: 'event', event, payload });
    };
    options.workstation.on(event, listener);
    return () => options.workstation.off(event, listener);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];

  return {
    url: `${origin}/#token=${token}`,
    origin,
    token,
    close: async () => {
      forwarders.forEach((off) => off());
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function rawText(data: RawData): string {
  const chunks = Array.isArray(data) ? data : [Buffer.from(data as ArrayBuffer)];
  return Buffer.concat(chunks).toString('utf8');
}

function securityHeaders(origin: string): Record<string, string> {
  const ws = origin.replace(/^http/, 'ws');
  return {
    'content-security-policy': contentSecurityPolicy(ws ? [ws] : []),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'x-frame-options': 'DENY',
    'permissions-policy': 'camera=(self), microphone=(), geolocation=(), usb=(), serial=(), hid=()',
  };
}
