/**
 * The station's HTTP client for the Resource Server protocol (protocol.ts): one function per
 * exchange, and one error type that says what the engine should do next — wait and retry
 * (offline, rate-limited, unavailable), reconcile (SEQ_GAP), or stop and show (refused).
 */
import type { z } from 'zod';
import { problem, type ProtocolErrorCode } from './protocol.js';

export type FailureKind = 'offline' | 'rate-limited' | 'unavailable' | 'refused';

export class SyncHttpError extends Error {
  override readonly name = 'SyncHttpError';
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly details: {
      status?: number;
      code?: ProtocolErrorCode;
      expectedSeq?: number;
      /** From Retry-After (429, 503): how long the server asks us to wait. */
      retryAfterMs?: number;
    } = {},
  ) {
    super(message);
  }
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}

/**
 * Checks a server URL before anything is sent to it: https, or http to this machine only
 * (tests and a server on the same host); no credentials, query or fragment.
 */
export function checkServerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SyncHttpError('refused', `serverUrl: "${text.slice(0, 100)}" is not a URL`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new SyncHttpError(
      'refused',
      `serverUrl: use https:// (plain http is allowed only to this machine), got ${url.protocol}//${url.host}`,
    );
  if (url.username || url.password || url.search || url.hash)
    throw new SyncHttpError('refused', 'serverUrl: no user name, password, query or fragment in the URL');
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export interface HttpOptions {
  fetch: typeof fetch;
  signal: AbortSignal;
  timeoutMs: number;
  now: () => Date;
}

/** One JSON exchange; answers the parsed 2xx body or throws a classified SyncHttpError. */
export async function exchange<T>(
  url: string,
  init: { method: 'GET' | 'POST'; body?: unknown; headers?: Record<string, string> },
  schema: z.ZodType<T>,
  opts: HttpOptions,
): Promise<T> {
  let response: Response;
  const what = `${init.method} ${new URL(url).pathname}`;
  try {
    response = await opts.fetch(url, {
      method: init.method,
      headers: {
        accept: 'application/json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]),
    });
  } catch (e) {
    if (opts.signal.aborted) throw new SyncHttpError('offline', `${what}: stopped`);
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message ?? (e as Error).message;
    throw new SyncHttpError('offline', `${what}: the server cannot be reached (${detail})`);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (e) {
    throw new SyncHttpError(
      'offline',
      `${what}: the connection dropped mid-answer (${(e as Error).message})`,
    );
  }
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: described below by status
  }
  if (!response.ok) {
    const parsed = problem.safeParse(json);
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), opts.now()) ?? undefined;
    const code = parsed.success ? parsed.data.error.code : undefined;
    const message = parsed.success
      ? `${what}: ${parsed.data.error.code}: ${parsed.data.error.message}`
      : `${what}: HTTP ${response.status}${text ? ` (${text.slice(0, 200)})` : ''}`;
    const details = {
      status: response.status,
      ...(code ? { code } : {}),
      ...(parsed.success && parsed.data.error.expectedSeq !== undefined
        ? { expectedSeq: parsed.data.error.expectedSeq }
        : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
    if (response.status === 429 || code === 'RATE_LIMITED')
      throw new SyncHttpError('rate-limited', message, details);
    if (response.status >= 500 || code === 'UNAVAILABLE' || code === 'REPLAYED' || code === 'STALE')
      throw new SyncHttpError('unavailable', message, details);
    throw new SyncHttpError('refused', message, details);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new SyncHttpError(
      'refused',
      `${what}: the server's answer does not follow the protocol (${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
        .join('; ')})`,
    );
  return parsed.data;
}
