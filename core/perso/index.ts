// The door of core/perso: orders, their cards and the per-card output files. Other folders
// import from here, never from a file inside.
export {
  MAX_ORDER_CARDS,
  ORDER_PROFILE,
  parseOrder,
  parseOrderRowsCsv,
  readOrderFile,
  orderCardCount,
  orderCard,
  orderCards,
  expandOrder,
  orderIccidRange,
  rangesOverlap,
  assertIccidsFree,
  type Order,
  type OrderManifest,
  type OrderRow,
  type OrderCard,
  type CustomerPublicJwk,
  type IccidRange,
  type BatchIccidRange,
} from './order.js';
