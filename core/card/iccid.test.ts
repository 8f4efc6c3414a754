import { describe, expect, it } from 'vitest';
import { iccidProblems, iccidWithCheckDigit, luhnCheckDigit, luhnValid } from './iccid.js';

describe('Luhn (ISO/IEC 7812-1 Annex B)', () => {
  it('computes the check digit of published examples', () => {
    // ISO/IEC 7812 worked example 7992739871 → 3; TS 23.003 IMEI example 49015420323751 → 8.
    expect(luhnCheckDigit('7992739871')).toBe(3);
    expect(luhnCheckDigit('49015420323751')).toBe(8);
    expect(luhnValid('490154203237518')).toBe(true);
    expect(luhnValid('490154203237519')).toBe(false);
  });

  it('refuses non-digits', () => {
    expect(() => luhnCheckDigit('12a4')).toThrow(RangeError);
    expect(luhnValid('12a4')).toBe(false);
  });
});

describe('ICCID (ITU-T E.118)', () => {
  it('appends the Luhn digit and accepts the result', () => {
    const iccid = iccidWithCheckDigit('894400000000000001');
    expect(iccid).toHaveLength(19);
    expect(iccidProblems(iccid)).toEqual([]);
  });

  it('names each problem', () => {
    expect(iccidProblems('8944000000000000012')).toEqual([expect.stringContaining('Luhn')]);
    expect(iccidProblems('123')).toEqual([
      'an ICCID is 19 or 20 digits, got 3',
      'an ICCID starts with 89 (ITU-T E.118 telecom prefix)',
    ]);
    expect(iccidProblems('89x')).toEqual(['an ICCID is digits only']);
    expect(() => iccidWithCheckDigit('12')).toThrow(RangeError);
  });
});
