export * from './transport.js';
export { ReaderManager, type ReaderManagerEvents } from './reader-manager.js';
export * from './apdu.js';
export * from './tlv.js';
export * from './status-words.js';
export * from './transmit.js';
export * from './iccid.js';
