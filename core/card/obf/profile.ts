/**
 * OBF card profile v1: the numbers the personalisation engine and any card implementing the
 * profile agree on. docs/card-profile-obf-v1.md is the prose contract; this file is its code.
 */
import { fromHex } from '../../bytes.js';

export const ISD_AID = fromHex('a000000151000000');
export const OBF_APPLET_AID = fromHex('f04f4246434c01');

/** GP Card Spec §5.1.1: card life cycle states (as GET STATUS and SET STATUS code them). */
export const Lifecycle = {
  OP_READY: 0x01,
  INITIALIZED: 0x07,
  SECURED: 0x0f,
  CARD_LOCKED: 0x7f,
  TERMINATED: 0xff,
} as const;
export type LifecycleState = (typeof Lifecycle)[keyof typeof Lifecycle];

export function lifecycleName(state: number): string {
  return (
    Object.entries(Lifecycle).find(([, v]) => v === state)?.[0] ?? `0x${state.toString(16).padStart(2, '0')}`
  );
}

/** The vendor's transport key set, replaced by the issuer's during personalisation. */
export const TRANSPORT_KVN = 0x30;

/** DGIs of the OBF applet (STORE DATA, DGI format). 80xx and 81xx are sensitive: sent DEK-encrypted. */
export const Dgi = {
  ICCID: 0x0101,
  IMPI: 0x0102,
  DOMAIN: 0x0103,
  AMF: 0x0104,
  SQN: 0x0105,
  K: 0x8001,
  OPC: 0x8002,
  /** Application key slot n (1..15) is 0x8100 + n (Appendix I "key index"). */
  APP_KEY_BASE: 0x8100,
} as const;

export function isSensitiveDgi(dgi: number): boolean {
  return (dgi & 0xff00) === 0x8000 || (dgi & 0xff00) === 0x8100;
}

/** GET DATA tags the applet answers once personalised (P1 P2). */
export const IdentityTag = { ICCID: 0x0101, IMPI: 0x0102, DOMAIN: 0x0103 } as const;

/** TS 31.102 §7.1.2 AUTHENTICATE in 3G context. */
export const AUTHENTICATE = { cla: 0x00, ins: 0x88, p1: 0x00, p2: 0x81 } as const;
export const AUTH_SUCCESS_TAG = 0xdb;
export const AUTH_SYNC_FAILURE_TAG = 0xdc;
/** TS 31.102 §7.1.2.1: the SQN freshness window Δ of TS 33.102 Annex C (here 2^28). */
export const SQN_DELTA = 2n ** 28n;
