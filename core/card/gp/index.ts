export {
  SecurityLevel,
  validSecurityLevels,
  checkSecurityLevel,
  incrementCounter,
  parseInitializeUpdateResponse,
  initializeUpdateCommand,
  scp03Handshake,
  Scp03Wrapper,
  type InitializeUpdateResponse,
  type Scp03Handshake,
} from './scp03.js';
export { GpSession, lifecycleFromStatus, type StaticKeys, type OpenOptions } from './gp-session.js';
