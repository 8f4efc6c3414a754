export {
  VirtualCard,
  VIRTUAL_ATR,
  ISD_AID,
  OBF_APPLET_AID,
  type VirtualCardIdentity,
} from './virtual-card.js';
export { SimReaderBackend, type SimBackendOptions } from './sim-backend.js';
export { VpcdLink, type LinkState } from './vpcd-link.js';
export { runVpcdSim, VPCD_BASE_PORT, type VpcdSimOptions } from './vpcd-sim.js';
