/**
 * Starts the OBF Resource Server (clause 7.1.2) on loopback: opens the store (SQLite in the
 * data folder, or PostgreSQL from databaseUrl), loads or creates the server keys, and listens.
 */
import { buildApp } from './http.js';
import { Metrics } from './metrics.js';
import { ServerStore } from './store/server-store.js';

export interface ResourceServerOptions {
  dataDir: string;
  /** postgres://…; absent: SQLite in dataDir. */
  databaseUrl?: string;
  host?: '127.0.0.1';
  /** 0: any free port. */
  port?: number;
  /** 64 hex digits or 32 bytes; absent: OBF_SERVER_MASTER_KEY, else dataDir/master.key. */
  masterKey?: string | Uint8Array;
  /** Answer 429 RATE_LIMITED (with Retry-After) above this many batches a second per station. */
  rateLimit?: { batchesPerSecond: number };
  /** Changes per registry answer (default 500). */
  registryPageSize?: number;
  /** The server's clock (tests). */
  now?: () => Date;
}

export interface ResourceServer {
  url: string;
  store: ServerStore;
  close(): Promise<void>;
}

export async function startResourceServer(opts: ResourceServerOptions): Promise<ResourceServer> {
  const store = await ServerStore.open(opts);
  const app = buildApp({
    store,
    metrics: new Metrics(),
    now: opts.now ?? (() => new Date()),
    registryPageSize: opts.registryPageSize ?? 500,
    ...(opts.rateLimit ? { rateLimit: opts.rateLimit } : {}),
  });
  try {
    await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  } catch (e) {
    await store.close();
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  let closed: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    close: () =>
      (closed ??= (async () => {
        await app.close();
        await store.close();
      })()),
  };
}
