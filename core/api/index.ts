export * from './contract.js';
export * from './wire.js';
export { ipcChannels } from './channels.js';
export { createDispatcher, type Handlers, type HandlersFor } from './dispatch.js';
