export * from './errors.js';
export * from './bytes.js';
export { Workstation, type WorkstationOptions } from './workstation.js';
