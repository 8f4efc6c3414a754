/**
 * The Electron preload: exposes exactly one object, `window.obf` (core/api ObfBridge), the same
 * shape as the web host's client. Bundled to CommonJS (sandboxed preloads cannot load modules);
 * it only forwards and never exposes ipcRenderer itself.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { DispatchResult, ObfBridge } from '../core/api/index.js';
// Straight from the file, not the folder's door: the door pulls in zod, which a forwarder does not need.
import { ipcChannels } from '../core/api/channels.js';

const listeners = new Map<string, Set<(payload: unknown) => void>>();

ipcRenderer.on(ipcChannels.event, (_event, name: unknown, payload: unknown) => {
  if (typeof name !== 'string') return;
  for (const listener of listeners.get(name) ?? []) listener(payload);
});

const bridge: ObfBridge = {
  invoke: (method, input) => ipcRenderer.invoke(ipcChannels.call, method, input) as Promise<DispatchResult>,
  on(event, listener) {
    const set = listeners.get(event) ?? new Set();
    set.add(listener);
    listeners.set(event, set);
    return () => set.delete(listener);
  },
};

contextBridge.exposeInMainWorld('obf', bridge);
