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
export {
  CARD_KEYS_FORMAT,
  writeCardKeysJwe,
  readCardKeysJwe,
  writeCardKeysCsv,
  cardKeysCsvHeader,
  appKeyColumn,
  type CardKeyRecord,
  type CardRecords,
  type CardKeysCsvOptions,
  type WrittenFile,
} from './output-files.js';
export {
  BatchStore,
  cardStates,
  MAX_TRANSIENT_ATTEMPTS,
  type BatchState,
  type BatchSummary,
  type CardRecord,
  type CardState,
  type FailureClass,
  type StepTiming,
} from './batch-store.js';
export { runCardJob, classify, ISSUER_KVN, type CardOutcome, type PersoKeys } from './card-job.js';
export {
  BatchRunner,
  type BatchProgress,
  type BatchRunnerOptions,
  type LaneState,
  type LaneView,
  type RunState,
} from './batch-runner.js';
export { openPersoKeys, zeroPersoKeys, resolvePersoKeyLabels } from './perso-keys.js';
export { writeBatchOutputs } from './batch-output.js';
export { PersoService } from './perso-service.js';
