/**
 * `window.obf` in a browser: a small WebSocket client for the web host. The per-launch token
 * arrives in the URL fragment (never sent in a request line), moves to sessionStorage, and is
 * wiped from the address bar. Calls made while disconnected fail with a typed error; the
 * socket reconnects with backoff.
 */
import type { DispatchResult, ObfBridge } from '../../core/api/index.js';

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'lost';

const TOKEN_KEY = 'obf.token';

function takeToken(): string | null {
  const match = /(?:^|[#&])token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, match[1]);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export function createWebBridge(): {
  bridge: ObfBridge;
  onConnection(listener: (state: ConnectionState) => void): () => void;
} {
  const token = takeToken();
  const pending = new Map<number, (result: DispatchResult) => void>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'connecting';
  let socket: WebSocket | null = null;
  let nextId = 1;
  let retryMs = 250;

  const setState = (next: ConnectionState) => {
    state = next;
    connectionListeners.forEach((l) => l(next));
  };

  const failAll = (message: string) => {
    for (const resolve of pending.values()) resolve({ ok: false, error: { code: 'DISCONNECTED', message } });
    pending.clear();
  };

  const open = () => {
    if (!token) {
      setState('lost');
      return;
    }
    setState('connecting');
    const ws = new WebSocket(`ws://${location.host}/api?token=${encodeURIComponent(token)}`);
    socket = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      retryMs = 250;
      setState('open');
    };
    ws.onmessage = (message) => {
      let frame: { type?: string; id?: number; event?: string; payload?: unknown } & Partial<DispatchResult>;
      try {
        frame = JSON.parse(String(message.data)) as typeof frame;
      } catch {
        return;
      }
      if (frame.type === 'result' && typeof frame.id === 'number') {
        const resolve = pending.get(frame.id);
        pending.delete(frame.id);
        resolve?.(frame as DispatchResult);
      } else if (frame.type === 'event' && typeof frame.event === 'string') {
        for (const l of listeners.get(frame.event) ?? []) l(frame.payload);
      }
    };
    ws.onclose = () => {
      socket = null;
      failAll('the connection to the station was lost');
      // A socket that never opens (host gone, or restarted with a new token): stop retrying
      // after the backoff grows large, and say so.
      if (!opened && retryMs >= 4000) {
        setState('lost');
        return;
      }
      setState('closed');
      setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  };
  open();

  const bridge: ObfBridge = {
    invoke(method, input) {
      if (!socket || state !== 'open') {
        return Promise.resolve({
          ok: false,
          error: { code: 'DISCONNECTED', message: 'not connected to the station' },
        });
      }
      const id = nextId++;
      const ws = socket;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        ws.send(JSON.stringify({ type: 'call', id, method, input }));
      });
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => set.delete(listener);
    },
  };
  return {
    bridge,
    onConnection(listener) {
      connectionListeners.add(listener);
      listener(state);
      return () => connectionListeners.delete(listener);
    },
  };
}
