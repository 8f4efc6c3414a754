/**
 * Machine KYC validators shared by the UI and the CLI: one answer shape for every identifier,
 * with messages that say what is wrong and what is expected.
 *
 * Every validator takes any string and never throws. Spaces and hyphens are separators people
 * type, not part of the identifier: they are removed (and letters upper-cased) before checking,
 * and a valid answer carries the canonical form in `normalized`.
 */
import { createHash } from 'node:crypto';
import { iccidProblems, luhnCheckDigit } from '../card/iccid.js';

export interface ValidationResult {
  valid: boolean;
  /** Why the value is not valid; empty when it is. */
  errors: string[];
  /** Doubts that do not make the value invalid (a VIN check digit outside North America). */
  warnings: string[];
  /** The canonical form to store: set only when the value is valid. */
  normalized?: string;
}

/** The identifiers the CLI and the UI validate by name. Aadhaar is apart: see aadhaarLast4AndHash. */
export const kycKinds = ['iccid', 'eid', 'imei', 'vin', 'pan', 'gstin', 'regno', 'phone'] as const;
export type KycKind = (typeof kycKinds)[number];

function result(errors: string[], warnings: string[], normalized: string): ValidationResult {
  return errors.length === 0
    ? { valid: true, errors, warnings, normalized }
    : { valid: false, errors, warnings };
}

/** Spaces and hyphens removed. */
function unspaced(value: string): string {
  return value.replace(/[\s-]/g, '');
}

/** Spaces and hyphens removed, letters upper-cased. */
function compact(value: string): string {
  return unspaced(value).toUpperCase();
}

/** The value as a message shows it: quoted, and cut short so a pasted page stays one line. */
function shown(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/** "digits only" plus the first offending character, so the operator finds it. */
function notDigits(what: string, value: string): string {
  const bad = [...value].findIndex((c) => !/\d/.test(c));
  return `${what} is digits only: character ${bad + 1} is ${shown([...value][bad] ?? '')}`;
}

function emptyResult(what: string): ValidationResult {
  return { valid: false, errors: [`${what} is required, got an empty value`], warnings: [] };
}

/** ITU-T E.118: 19 or 20 digits, 89 (telecommunications) first, Luhn check digit last. */
export function validateIccid(value: string): ValidationResult {
  const iccid = unspaced(value);
  if (iccid === '') return emptyResult('an ICCID');
  if (!/^\d+$/.test(iccid)) return result([notDigits('an ICCID', iccid)], [], iccid);
  return result(iccidProblems(iccid), [], iccid);
}

/** ISO/IEC 7064 MOD 97-10 check digits for the first 30 digits of an EID (SGP.29 §10). */
export function eidCheckDigits(first30: string): string {
  if (!/^\d{30}$/.test(first30)) throw new RangeError(`an EID body is 30 digits, got ${shown(first30)}`);
  return String(98n - ((BigInt(first30) * 100n) % 97n)).padStart(2, '0');
}

/**
 * GSMA SGP.29 §10: 32 digits (EIN, ESIN, two check digits) with int(EID) mod 97 == 1. Unlike an
 * ICCID an EID need not start with 89, so the prefix is not checked.
 */
export function validateEid(value: string): ValidationResult {
  const eid = unspaced(value);
  if (eid === '') return emptyResult('an EID');
  if (!/^\d+$/.test(eid)) return result([notDigits('an EID', eid)], [], eid);
  if (eid.length !== 32) return result([`an EID is 32 digits, got ${eid.length}`], [], eid);
  // BigInt: 32 digits are far beyond Number's 2^53.
  if (BigInt(eid) % 97n !== 1n) {
    const expected = eidCheckDigits(eid.slice(0, 30));
    return result(
      [`the check digits are wrong (SGP.29 mod 97): expected ${expected}, got ${eid.slice(30)}`],
      [],
      eid,
    );
  }
  return result([], [], eid);
}

/**
 * 3GPP TS 23.003 §6.2.1: an IMEI is TAC (8) + SNR (6) + a Luhn check digit over those 14 digits.
 *
 * An IMEISV (§6.2.2: TAC + SNR + a 2-digit software version, 16 digits) is accepted, because
 * networks and devices report it in place of the IMEI: it has no check digit, so only its form
 * is checked, and a warning says so and gives the IMEI it belongs to (TAC + SNR + Luhn digit).
 */
export function validateImei(value: string): ValidationResult {
  const imei = unspaced(value);
  if (imei === '') return emptyResult('an IMEI');
  if (!/^\d+$/.test(imei)) return result([notDigits('an IMEI', imei)], [], imei);
  if (imei.length === 16) {
    const body = imei.slice(0, 14);
    return result(
      [],
      [
        `this is an IMEISV (16 digits, TS 23.003 6.2.2): it has no check digit, so only its form was checked; its IMEI is ${body}${luhnCheckDigit(body)}`,
      ],
      imei,
    );
  }
  if (imei.length !== 15)
    return result([`an IMEI is 15 digits (or 16 for an IMEISV), got ${imei.length}`], [], imei);
  const expected = luhnCheckDigit(imei.slice(0, 14));
  if (expected !== Number(imei[14]))
    return result([`the Luhn check digit is wrong: expected ${expected}, got ${imei[14]}`], [], imei);
  return result([], [], imei);
}

/** 49 CFR 565.15(c): letters transliterate to numbers; I, O and Q never occur. */
const VIN_VALUES: Record<string, number> = Object.fromEntries([
  ...'0123456789'.split('').map((d, i) => [d, i] as const),
  ...Object.entries({ A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8 }),
  ...Object.entries({ J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9 }),
  ...Object.entries({ S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9 }),
]);
/** 49 CFR 565.15(c): the weight of each position; position 9 (the check digit) weighs 0. */
const VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/** The position-9 check character of a 17-character VIN: 0–9, or X for 10. */
export function vinCheckDigit(vin: string): string {
  if (!/^[A-HJ-NPR-Z0-9]{17}$/.test(vin))
    throw new RangeError(`a VIN is 17 characters A-Z 0-9 without I, O, Q; got ${shown(vin)}`);
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += VIN_VALUES[vin[i]!]! * VIN_WEIGHTS[i]!;
  const r = sum % 11;
  return r === 10 ? 'X' : String(r);
}

/**
 * ISO 3779: 17 characters, digits and capital letters except I, O and Q (they read as 1 and 0).
 * The position-9 check digit is mandatory in North America only (49 CFR 565), so elsewhere a
 * mismatch is a warning, not an error.
 */
export function validateVin(value: string): ValidationResult {
  const vin = compact(value);
  if (vin === '') return emptyResult('a VIN');
  const errors: string[] = [];
  if (vin.length !== 17) errors.push(`a VIN is 17 characters, got ${vin.length}`);
  const chars = [...vin];
  const ioq = chars.flatMap((c, i) => (/[IOQ]/.test(c) ? [`${c} at position ${i + 1}`] : []));
  if (ioq.length > 0)
    errors.push(`a VIN never contains I, O or Q (ISO 3779; they read as 1 and 0): found ${ioq.join(', ')}`);
  const other = chars.flatMap((c, i) => (/[A-Z0-9]/.test(c) ? [] : [`${shown(c)} at position ${i + 1}`]));
  if (other.length > 0)
    errors.push(`a VIN is letters A-Z and digits 0-9 only: found ${other.slice(0, 5).join(', ')}`);
  if (errors.length > 0) return result(errors, [], vin);
  const expected = vinCheckDigit(vin);
  const warnings =
    expected === vin[8]
      ? []
      : [
          `the position-9 check digit is ${vin[8]}, expected ${expected} (49 CFR 565; required only for North American vehicles)`,
        ];
  return result([], warnings, vin);
}

/**
 * Indian state and union territory codes of the Motor Vehicles Act registration marks, current
 * and retired ones still seen on older vehicles (OR → OD, UA → UK, TS → TG, DD/DN merged).
 */
export const INDIAN_STATE_CODES = new Set(
  'AN AP AR AS BR CG CH DD DL DN GA GJ HP HR JH JK KA KL LA LD MH ML MN MP MZ NL OD OR PB PY RJ SK TG TN TR TS UA UK UP WB'.split(
    ' ',
  ),
);

/**
 * Indian vehicle registration mark: state code, RTO district number (1–2 digits), series (1–3
 * letters), number (1–4 digits, not all zeros): MH12AB1234, DL3CAB1234. The Bharat series (MoRTH
 * notification of 26 Aug 2021) is year (2 digits), BH, number (4 digits), letters: 22BH1234AA.
 */
export function validateRegno(value: string): ValidationResult {
  const regno = compact(value);
  if (regno === '') return emptyResult('a registration number');
  const bharat = /^(\d{2})BH(\d{4})([A-Z]{1,2})$/.exec(regno);
  if (bharat) {
    const year = bharat[1]!;
    const number = bharat[2]!;
    const errors: string[] = [];
    if (Number(year) < 21)
      errors.push(
        `a Bharat series number starts with its 2-digit registration year, 21 or later; got ${year}`,
      );
    if (number === '0000') errors.push('the number of a registration mark is 0001 to 9999, got 0000');
    return result(errors, [], regno);
  }
  const m = /^([A-Z]{2})(\d{1,2})([A-Z]{1,3})(\d{1,4})$/.exec(regno);
  if (!m) {
    return result(
      [
        `${shown(regno)} is not an Indian registration mark: expected state code, RTO number, series, number (MH12AB1234, DL3CAB1234) or a Bharat series mark (22BH1234AA)`,
      ],
      [],
      regno,
    );
  }
  const state = m[1]!;
  const rto = m[2]!;
  const number = m[4]!;
  const errors: string[] = [];
  if (!INDIAN_STATE_CODES.has(state))
    errors.push(`${state} is not an Indian state or union territory code (MH, DL, KA, …)`);
  if (Number(rto) === 0) errors.push(`the RTO number is 1 to 99, got ${rto}`);
  if (Number(number) === 0) errors.push(`the number of a registration mark is 0001 to 9999, got ${number}`);
  return result(errors, [], regno);
}

/** Income Tax Department: the 4th character of a PAN says what kind of holder it belongs to. */
const PAN_HOLDER_TYPES: Record<string, string> = {
  P: 'individual',
  C: 'company',
  H: 'Hindu undivided family',
  F: 'firm',
  A: 'association of persons',
  T: 'trust',
  B: 'body of individuals',
  L: 'local authority',
  J: 'artificial juridical person',
  G: 'government',
};
const PAN_HOLDER_LIST = Object.entries(PAN_HOLDER_TYPES)
  .map(([k, v]) => `${k} ${v}`)
  .join(', ');

function panProblems(pan: string): string[] {
  if (pan.length !== 10) return [`a PAN is 10 characters (AAAAA9999A), got ${pan.length}`];
  const errors: string[] = [];
  const pattern = 'AAAAA9999A';
  for (let i = 0; i < 10; i++) {
    const c = pan[i]!;
    const letter = pattern[i] === 'A';
    if (letter ? !/[A-Z]/.test(c) : !/\d/.test(c)) {
      errors.push(
        `a PAN is 5 letters, 4 digits, 1 letter (AAAAA9999A): character ${i + 1} is ${shown(c)}, expected a ${letter ? 'letter' : 'digit'}`,
      );
    }
  }
  const holder = pan[3]!;
  if (/[A-Z]/.test(holder) && !(holder in PAN_HOLDER_TYPES))
    errors.push(`the 4th character of a PAN is the holder type (${PAN_HOLDER_LIST}); got ${holder}`);
  return errors;
}

/**
 * Indian Permanent Account Number: AAAAA9999A. Characters 1–3 are a sequence, the 4th the holder
 * type, the 5th the initial of the holder's (sur)name, then 4 digits and a check letter whose
 * algorithm is not published, so it is not verified.
 */
export function validatePan(value: string): ValidationResult {
  const pan = compact(value);
  if (pan === '') return emptyResult('a PAN');
  return result(panProblems(pan), [], pan);
}

const MOD36 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * The GSTIN checksum character (CBIC): Luhn mod 36 over the first 14 characters, factors 1, 2,
 * 1, 2… from the left; each product contributes its quotient and remainder by 36.
 */
export function gstinCheckChar(first14: string): string {
  if (!/^[0-9A-Z]{14}$/.test(first14))
    throw new RangeError(`a GSTIN body is 14 characters 0-9 A-Z, got ${shown(first14)}`);
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    const product = MOD36.indexOf(first14[i]!) * (i % 2 === 0 ? 1 : 2);
    sum += Math.floor(product / 36) + (product % 36);
  }
  return MOD36[(36 - (sum % 36)) % 36]!;
}

/**
 * GSTIN (CBIC): state code (01–38, 97 other territory, 99 centre jurisdiction), the holder's
 * PAN, entity number (1–9 then A–Z), Z, and the mod-36 checksum character.
 */
export function validateGstin(value: string): ValidationResult {
  const gstin = compact(value);
  if (gstin === '') return emptyResult('a GSTIN');
  if (gstin.length !== 15) return result([`a GSTIN is 15 characters, got ${gstin.length}`], [], gstin);
  const other = [...gstin].flatMap((c, i) =>
    /[0-9A-Z]/.test(c) ? [] : [`${shown(c)} at position ${i + 1}`],
  );
  if (other.length > 0)
    return result(
      [`a GSTIN is letters A-Z and digits 0-9 only: found ${other.slice(0, 5).join(', ')}`],
      [],
      gstin,
    );
  const errors: string[] = [];
  const state = gstin.slice(0, 2);
  const code = /^\d\d$/.test(state) ? Number(state) : NaN;
  if (!((code >= 1 && code <= 38) || code === 97 || code === 99))
    errors.push(`a GSTIN starts with a state code 01–38, 97 or 99; got ${state}`);
  errors.push(...panProblems(gstin.slice(2, 12)).map((p) => `characters 3–12 are the PAN: ${p}`));
  if (!/[1-9A-Z]/.test(gstin[12]!))
    errors.push(`character 13 is the entity number, 1–9 then A–Z; got ${gstin[12]}`);
  if (gstin[13] !== 'Z') errors.push(`character 14 of a GSTIN is Z; got ${gstin[13]}`);
  const expected = gstinCheckChar(gstin.slice(0, 14));
  if (expected !== gstin[14])
    errors.push(`the checksum character is wrong (GSTIN mod 36): expected ${expected}, got ${gstin[14]}`);
  return result(errors, [], gstin);
}

/**
 * ITU-T E.164 in its international form: +, a country code not starting with 0, the national
 * number; 8 to 15 digits in all. Spaces and hyphens between groups are removed.
 */
export function validatePhone(value: string): ValidationResult {
  const phone = unspaced(value);
  if (phone === '') return emptyResult('a phone number');
  if (phone.startsWith('00'))
    return result(['an E.164 number starts with + instead of the international prefix 00'], [], phone);
  if (!phone.startsWith('+'))
    return result(['an E.164 number starts with + and the country code (+91 for India)'], [], phone);
  const digits = phone.slice(1);
  const bad = [...digits].findIndex((c) => !/\d/.test(c));
  if (bad >= 0)
    return result(
      [`an E.164 number is + then digits only: character ${bad + 2} is ${shown([...digits][bad] ?? '')}`],
      [],
      phone,
    );
  const errors: string[] = [];
  if (digits.length < 8 || digits.length > 15)
    errors.push(`an E.164 number is 8 to 15 digits after the +, got ${digits.length}`);
  if (digits.startsWith('0')) errors.push('an E.164 country code never starts with 0');
  const warnings =
    errors.length === 0 && digits.startsWith('91') && digits.length !== 12
      ? [`an Indian number is +91 and 10 digits, got ${digits.length - 2} after +91`]
      : [];
  return result(errors, warnings, phone);
}

/** Every named validator, for hosts that take the kind as an argument. */
export const kycValidators: Record<KycKind, (value: string) => ValidationResult> = {
  iccid: validateIccid,
  eid: validateEid,
  imei: validateImei,
  vin: validateVin,
  pan: validatePan,
  gstin: validateGstin,
  regno: validateRegno,
  phone: validatePhone,
};

export function isKycKind(value: string): value is KycKind {
  return (kycKinds as readonly string[]).includes(value);
}

// Verhoeff (1969): the dihedral group D5 and a position permutation catch every single-digit
// error and every adjacent transposition. The tables are built from that definition rather than
// copied: elements 0–4 are the rotations r^k, 5–9 the reflections s·r^k.

/** D5 composition: d[j][k] = j ∘ k. */
const VERHOEFF_D: number[][] = Array.from({ length: 10 }, (_, j) =>
  Array.from({ length: 10 }, (_, k) => {
    if (j < 5 && k < 5) return (j + k) % 5;
    if (j < 5) return 5 + ((j + k - 5) % 5);
    if (k < 5) return 5 + ((j - 5 - k + 5) % 5);
    return (j - k + 5) % 5;
  }),
);
/** The inverse in D5: rotations invert to r^(5-k), reflections are their own inverse. */
const VERHOEFF_INV = Array.from({ length: 10 }, (_, j) => (j < 5 ? (5 - j) % 5 : j));
/** p[i] = σ^i with σ = (0 1 5 8 9 4 2 7)(3 6), Verhoeff's permutation; σ^8 is the identity. */
const VERHOEFF_SIGMA = [1, 5, 7, 6, 2, 8, 3, 0, 9, 4];
const VERHOEFF_P: number[][] = [Array.from({ length: 10 }, (_, n) => n)];
for (let i = 1; i < 8; i++) VERHOEFF_P.push(VERHOEFF_P[i - 1]!.map((n) => VERHOEFF_SIGMA[n]!));

/** The Verhoeff check digit to append to `digits`. */
export function verhoeffCheckDigit(digits: string): number {
  if (!/^\d+$/.test(digits)) throw new RangeError('Verhoeff input must be decimal digits');
  let c = 0;
  for (let i = 0; i < digits.length; i++) {
    const digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    c = VERHOEFF_D[c]![VERHOEFF_P[(i + 1) % 8]![digit]!]!;
  }
  return VERHOEFF_INV[c]!;
}

/** True when the last digit of `digits` is the Verhoeff check digit of the others. */
export function verhoeffValid(digits: string): boolean {
  if (!/^\d{2,}$/.test(digits)) return false;
  let c = 0;
  for (let i = 0; i < digits.length; i++) {
    const digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    c = VERHOEFF_D[c]![VERHOEFF_P[i % 8]![digit]!]!;
  }
  return c === 0;
}

/** What the station keeps of an Aadhaar number: never the number itself. */
export type AadhaarDigest =
  | { valid: true; errors: string[]; warnings: string[]; last4: string; sha256: string }
  | { valid: false; errors: string[]; warnings: string[] };

/**
 * Checks an Aadhaar number (UIDAI: 12 digits, first digit 2–9, Verhoeff check digit last) and
 * returns only its last 4 digits and SHA-256(salt ‖ number) in hex. Messages never repeat the
 * number. With the last 4 digits known only 8×10^7 numbers remain, which SHA-256 searches in
 * seconds: the hash protects the number only while `salt` stays secret, so the salt is a
 * station secret (at least 16 bytes; a shorter one is a programming error), not a public value.
 */
export function aadhaarLast4AndHash(number: string, salt: Uint8Array): AadhaarDigest {
  if (salt.length < 16)
    throw new RangeError(`the Aadhaar salt must be at least 16 bytes, got ${salt.length}`);
  const aadhaar = unspaced(number);
  const fail = (error: string): AadhaarDigest => ({ valid: false, errors: [error], warnings: [] });
  if (aadhaar === '') return fail('an Aadhaar number is required, got an empty value');
  if (!/^\d+$/.test(aadhaar)) return fail('an Aadhaar number is digits only');
  if (aadhaar.length !== 12) return fail(`an Aadhaar number is 12 digits, got ${aadhaar.length}`);
  if (aadhaar[0] === '0' || aadhaar[0] === '1')
    return fail(`an Aadhaar number starts with 2 to 9, got ${aadhaar[0]}`);
  if (!verhoeffValid(aadhaar))
    return fail('the Verhoeff check digit is wrong: this is not an Aadhaar number');
  const sha256 = createHash('sha256').update(salt).update(aadhaar, 'utf8').digest('hex');
  return { valid: true, errors: [], warnings: [], last4: aadhaar.slice(8), sha256 };
}
