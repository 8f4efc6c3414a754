/** The Resource Server's door: start it, or open its store. */
export { startResourceServer, type ResourceServer, type ResourceServerOptions } from './resource-server.js';
export {
  ServerStore,
  StoreError,
  type StationInfo,
  type DeviceInfo,
  type BindingInfo,
} from './store/server-store.js';
export { main } from './cli.js';
