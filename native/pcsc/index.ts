export { PcscReaderBackend, type PcscBackendOptions } from './pcsc-backend.js';
export { loadBinding, PCSC_INSTALL_HINT, type Binding } from './binding.js';
export { mapPcscError, pcscErrorCode, isServiceFailure } from './errors.js';
