/**
 * The typed API the UI uses, built over whichever bridge the host provides as `window.obf`:
 * the Electron preload, or (in the web host) the WebSocket bridge installed here. Only types
 * come from core/api; the lint rule keeps it that way.
 */
import type {
  DispatchResult,
  EventName,
  EventPayload,
  MethodInput,
  MethodName,
  MethodOutput,
  ObfApi,
  ObfBridge,
} from '../../core/api/index.js';
import { createWebBridge, type ConnectionState } from './web-bridge';

declare global {
  interface Window {
    obf?: ObfBridge;
  }
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type ConnectionListener = (state: ConnectionState) => void;

export interface Station extends ObfApi {
  /** 'open' in Electron always; in the browser it follows the WebSocket. */
  onConnection(listener: ConnectionListener): () => void;
}

function wrap(bridge: ObfBridge, onConnection: Station['onConnection']): Station {
  return {
    async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
      const result: DispatchResult = await bridge.invoke(method, input);
      if (!result.ok) throw new ApiError(result.error.code, result.error.message);
      return result.output as MethodOutput<M>;
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) {
      return bridge.on(event, listener as (payload: unknown) => void);
    },
    onConnection,
  };
}

export function connectStation(): Station {
  if (window.obf) {
    return wrap(window.obf, (listener) => {
      listener('open');
      return () => undefined;
    });
  }
  const web = createWebBridge();
  window.obf = web.bridge;
  return wrap(web.bridge, (listener) => web.onConnection(listener));
}
