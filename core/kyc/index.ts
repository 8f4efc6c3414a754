export * from './validators.js';
export * from './documents.js';
export {
  ImageFormatError,
  sniffImage,
  stripImageMetadata,
  type ImageMime,
  type StrippedImage,
} from './image-metadata.js';
export { DEFAULT_RETENTION_DAYS, KYC_NOTICE_VERSION, kycNotice } from './notice.js';
export { KycStore, nameWords, type KycStoreOptions, type SearchKey } from './kyc-store.js';
export { KycService, type KycChange } from './kyc-service.js';
export { kycHandlers, type KycMethodName } from './kyc-handlers.js';
export { readDeviceIdentity } from './read-card.js';
