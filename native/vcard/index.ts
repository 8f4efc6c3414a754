export {
  VirtualCard,
  VIRTUAL_ATR,
  ISD_AID,
  OBF_APPLET_AID,
  SW,
  type VirtualCardOptions,
} from './virtual-card.js';
export {
  MemoryCardStore,
  FileCardStore,
  newCardState,
  kddForSerial,
  DEV_VENDOR_MASTER,
  cardStateSchema,
  type CardState,
  type CardStore,
} from './card-state.js';
export { SimReaderBackend, type SimBackendOptions } from './sim-backend.js';
export { VpcdLink, type LinkState } from './vpcd-link.js';
export { runVpcdSim, VPCD_BASE_PORT, type VpcdSimOptions } from './vpcd-sim.js';
