/** The IPC channel names of the Electron bridge (no imports: the preload bundle stays tiny). */
export const ipcChannels = { call: 'obf:call', event: 'obf:event' } as const;
