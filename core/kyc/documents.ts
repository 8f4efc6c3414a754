/**
 * Validators for the identity documents and address fields of a custodian, beside the device
 * identifiers of validators.ts and in the same answer shape. These formats have no published
 * check digit, so only their form is checked.
 */
import { INDIAN_STATE_CODES, type ValidationResult } from './validators.js';

function compact(value: string): string {
  return value.replace(/[\s-]/g, '').toUpperCase();
}

function answer(errors: string[], normalized: string): ValidationResult {
  return errors.length === 0
    ? { valid: true, errors, warnings: [], normalized }
    : { valid: false, errors, warnings: [] };
}

function required(what: string): ValidationResult {
  return { valid: false, errors: [`${what} is required, got an empty value`], warnings: [] };
}

/** Indian passport (Passports Act; ICAO 9303 document number): a letter and 7 digits, J1234567. */
export function validatePassport(value: string): ValidationResult {
  const v = compact(value);
  if (v === '') return required('a passport number');
  return answer(
    /^[A-Z]\d{7}$/.test(v)
      ? []
      : [`an Indian passport number is a letter and 7 digits (J1234567), got ${v.length} characters`],
    v,
  );
}

/** Elector's Photo Identity Card (EPIC): 3 letters and 7 digits, ABC1234567. */
export function validateVoterId(value: string): ValidationResult {
  const v = compact(value);
  if (v === '') return required('a voter ID (EPIC) number');
  return answer(
    /^[A-Z]{3}\d{7}$/.test(v) ? [] : ['a voter ID (EPIC) number is 3 letters and 7 digits (ABC1234567)'],
    v,
  );
}

/**
 * Indian driving licence (Sarathi form): state code, RTO (2 digits), year of issue (4 digits),
 * serial (7 digits): MH1220110012345.
 */
export function validateDrivingLicence(value: string): ValidationResult {
  const v = compact(value);
  if (v === '') return required('a driving licence number');
  const m = /^([A-Z]{2})(\d{2})(\d{4})(\d{7})$/.exec(v);
  if (!m)
    return answer(
      [
        'a driving licence number is state code, RTO (2 digits), year (4 digits), serial (7 digits): MH1220110012345',
      ],
      v,
    );
  const errors: string[] = [];
  if (!INDIAN_STATE_CODES.has(m[1]!)) errors.push(`${m[1]} is not an Indian state or union territory code`);
  const year = Number(m[3]);
  if (year < 1950 || year > new Date().getUTCFullYear())
    errors.push(`the year of issue is 1950 to this year, got ${m[3]}`);
  return answer(errors, v);
}

/**
 * Corporate Identification Number (MCA): listing status (L/U), industry (5 digits), state code,
 * year of incorporation, ownership (3 letters: PLC, PTC, …), registration number (6 digits).
 */
export function validateCin(value: string): ValidationResult {
  const v = compact(value);
  if (v === '') return required('a CIN');
  const m = /^([LU])(\d{5})([A-Z]{2})(\d{4})([A-Z]{3})(\d{6})$/.exec(v);
  if (!m)
    return answer(
      [
        `a CIN is 21 characters: L or U, 5 digits, state code, year, 3 letters, 6 digits (U72900MH2001PTC123456); got ${v.length}`,
      ],
      v,
    );
  const errors: string[] = [];
  if (!INDIAN_STATE_CODES.has(m[3]!)) errors.push(`${m[3]} (characters 7-8) is not an Indian state code`);
  return answer(errors, v);
}

/** India Post PIN code: 6 digits, the first 1 to 9 (postal region). */
export function validatePincode(value: string): ValidationResult {
  const v = value.replace(/\s/g, '');
  if (v === '') return required('a PIN code');
  if (!/^\d{6}$/.test(v)) return answer([`a PIN code is 6 digits, got "${v.slice(0, 12)}"`], v);
  if (v[0] === '0') return answer(['a PIN code starts with 1 to 9 (the postal region)'], v);
  return answer([], v);
}
