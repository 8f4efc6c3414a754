export * from './transport.js';
export { ReaderManager, type ReaderManagerEvents } from './reader-manager.js';
export * from './apdu.js';
