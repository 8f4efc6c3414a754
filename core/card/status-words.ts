/**
 * Status words (SW1 SW2) in words for people: the interindustry values of ISO/IEC 7816-4 §5.1.3
 * (Tables 5 and 6), the GlobalPlatform Card Specification v2.3 §11 command responses, and the
 * UICC/USIM values of ETSI TS 102 221 §10.2.1 and 3GPP TS 31.102 §7.3.
 */
import { ObfError } from '../errors.js';
import { swHex } from './apdu.js';

/** Exact values. Where two specifications give one value, the wording covers both. */
const catalogue: ReadonlyMap<number, string> = new Map([
  // ISO 7816-4 §5.1.3 Table 6: normal processing.
  [0x9000, 'success'],
  // ISO 7816-4 Table 6: warning, non-volatile memory unchanged (62XX).
  [0x6200, 'warning: no information given (memory unchanged)'],
  [0x6281, 'warning: part of the returned data may be corrupted'],
  [0x6282, 'warning: end of file or record reached before reading Ne bytes'],
  // GP Card Spec §11.9.3 (SELECT): the card is CARD_LOCKED; ISO: the selected file is deactivated.
  [0x6283, 'warning: selected file deactivated (GP: card locked)'],
  [0x6284, 'warning: file control information not formatted according to ISO 7816-4 §5.3.3'],
  [0x6285, 'warning: selected file in termination state'],
  [0x6286, 'warning: no input data available from a sensor on the card'],
  // TS 102 221 §10.2.1.2: UICC data transfer warnings.
  [0x62f1, 'warning: more data available'],
  [0x62f2, 'warning: more data available and proactive command pending'],
  [0x62f3, 'warning: response data available'],
  // ISO 7816-4 Table 6: warning, non-volatile memory changed (63XX).
  [0x6300, 'warning: no information given (memory changed)'],
  // GP Card Spec §11.4.3 (GET STATUS), §11.3.3 (GET DATA): more data available.
  [0x6310, 'more data available'],
  [0x6381, 'warning: file filled up by the last write'],
  [0x63f1, 'warning: more data expected'],
  [0x63f2, 'warning: more data expected and proactive command pending'],
  // ISO 7816-4 Table 6: execution errors.
  [0x6400, 'execution error: no specific diagnosis (memory unchanged)'],
  [0x6401, 'execution error: immediate response required by the card'],
  [0x6500, 'execution error: no information given (memory changed)'],
  [0x6581, 'memory failure'],
  // ISO 7816-4 Table 6: checking errors.
  [0x6700, 'wrong length'],
  [0x6800, 'function in CLA not supported'],
  [0x6881, 'logical channel not supported or not active'],
  [0x6882, 'secure messaging not supported'],
  [0x6883, 'last command of the chain expected'],
  [0x6884, 'command chaining not supported'],
  [0x6900, 'command not allowed'],
  [0x6981, 'command incompatible with file structure'],
  [0x6982, 'security status not satisfied'],
  [0x6983, 'authentication method blocked'],
  [0x6984, 'reference data not usable'],
  [0x6985, 'conditions of use not satisfied'],
  [0x6986, 'command not allowed (no current EF)'],
  [0x6987, 'expected secure messaging data objects missing'],
  [0x6988, 'incorrect secure messaging data objects'],
  [0x6a00, 'wrong parameters P1-P2'],
  // ISO: incorrect parameters in the command data field; GP §11.1.3: incorrect values in command data.
  [0x6a80, 'incorrect values in command data'],
  [0x6a81, 'function not supported'],
  [0x6a82, 'file or application not found'],
  [0x6a83, 'record not found'],
  [0x6a84, 'not enough memory space'],
  [0x6a85, 'Nc inconsistent with TLV structure'],
  [0x6a86, 'incorrect parameters P1-P2'],
  [0x6a87, 'Nc inconsistent with parameters P1-P2'],
  [0x6a88, 'referenced data or reference data not found'],
  [0x6a89, 'file already exists'],
  [0x6a8a, 'DF name already exists'],
  [0x6b00, 'wrong parameters P1-P2 (offset outside the EF)'],
  [0x6d00, 'instruction code not supported or invalid'],
  [0x6e00, 'class not supported'],
  [0x6f00, 'no precise diagnosis'],
  // GP Card Spec §11.8.3.2 (PUT KEY).
  [0x9484, 'algorithm not supported'],
  [0x9485, 'invalid key check value'],
  // TS 102 221 §10.2.1.1.
  [0x9300, 'SIM Application Toolkit busy: command cannot be executed at present'],
  // TS 102 221 §10.2.1.5 (security management), TS 31.102 §7.3.1 for AUTHENTICATE.
  [0x9850, 'INCREASE cannot be performed: maximum value reached'],
  [0x9862, 'authentication error: incorrect MAC'],
  [0x9863, 'security session or association expired'],
  [0x9864, 'authentication error: security context not supported'],
  [0x9865, 'key freshness failure'],
  [0x9866, 'authentication error: no memory space available'],
  [0x9867, 'authentication error: no memory space available in EF MUK'],
]);

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** Values whose SW2 carries a number; 00 counts as 256 where SW2 is a byte count. */
function patterned(sw1: number, sw2: number): string | undefined {
  switch (sw1) {
    // ISO 7816-4 Table 5 / ISO 7816-3 §10.3.3: SW2 bytes still available (GET RESPONSE).
    case 0x61:
      return `${plural(sw2 || 256, 'more byte', 'more bytes')} available`;
    // ISO 7816-4 Table 5: wrong Le field, SW2 the exact number of available bytes.
    case 0x6c:
      return `wrong Le, ${sw2 || 256} expected`;
    // TS 102 221 §10.2.1.1: normal ending, proactive command of SW2 bytes pending.
    case 0x91:
      return `success, proactive command pending (${plural(sw2 || 256, 'byte', 'bytes')})`;
    // TS 102 221 §10.2.1.5: security management.
    case 0x98:
      return 'security management error';
    case 0x63:
      // ISO 7816-4 Table 6: 63CX, a counter X (a verification's remaining tries).
      if ((sw2 & 0xf0) === 0xc0) return `${plural(sw2 & 0x0f, 'try', 'tries')} left`;
      return undefined;
    default:
      return undefined;
  }
}

function checkSw(sw: number): void {
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) throw new RangeError(`not a status word: ${sw}`);
}

/** A description of `sw` for messages and logs, e.g. 6982 → "security status not satisfied". */
export function describeSw(sw: number): string {
  checkSw(sw);
  return catalogue.get(sw) ?? patterned(sw >> 8, sw & 0xff) ?? `unknown status word ${swHex(sw)}`;
}

/**
 * Normal processing: ISO 7816-4 §5.1.3 9000 and 61XX, and TS 102 221 §10.2.1.1 91XX (success with
 * a proactive command pending).
 */
export function isOk(sw: number): boolean {
  const sw1 = sw >> 8;
  return sw === 0x9000 || sw1 === 0x61 || sw1 === 0x91;
}

/** The typed error for a card that answered `sw`: code SW_XXXX, message "context: XXXX description". */
export function swError(sw: number, context: string): ObfError {
  checkSw(sw);
  const hex = swHex(sw);
  return new ObfError(`SW_${hex}`, `${context}: ${hex} ${describeSw(sw)}`);
}
