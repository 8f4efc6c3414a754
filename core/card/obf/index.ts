export * from './profile.js';
export { encodeDgi, decodeDgis, type DgiRecord } from './dgi.js';
export {
  selectObfApplet,
  authenticate,
  parseAuthenticateResponse,
  buildChallenge,
  resynchronise,
  readIdentity,
  encodeIccid,
  decodeIccid,
  type AuthenticateResult,
  type Challenge,
} from './obf-applet.js';
