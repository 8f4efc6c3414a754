import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import vectors from './fixtures/checkdigits.json' with { type: 'json' };
import {
  aadhaarLast4AndHash,
  eidCheckDigits,
  gstinCheckChar,
  isKycKind,
  kycKinds,
  kycValidators,
  validateEid,
  validateGstin,
  validateIccid,
  validateImei,
  validatePan,
  validatePhone,
  validateRegno,
  validateVin,
  verhoeffCheckDigit,
  verhoeffValid,
  vinCheckDigit,
} from './validators.js';

const SALT = new Uint8Array(16).fill(7);

describe('the shared vectors (fixtures/checkdigits.json)', () => {
  it('accepts every valid IMEI and VIN without warnings', () => {
    for (const imei of vectors.valid.imei)
      expect(validateImei(imei)).toEqual({ valid: true, errors: [], warnings: [], normalized: imei });
    for (const vin of vectors.valid.vin)
      expect(validateVin(vin)).toEqual({ valid: true, errors: [], warnings: [], normalized: vin });
  });

  it('refuses every invalid IMEI', () => {
    for (const imei of vectors.invalid.imei) expect(validateImei(imei).valid).toBe(false);
  });

  it('keeps a VIN whose check digit is wrong valid, with a warning (the check digit binds North America only)', () => {
    for (const vin of vectors.invalid.vin) {
      const r = validateVin(vin);
      expect(r.valid).toBe(true);
      expect(r.warnings).toEqual([expect.stringMatching(/^the position-9 check digit is \w, expected \w/)]);
    }
  });
});

describe('ICCID (ITU-T E.118)', () => {
  it('accepts 19 and 20 digit ICCIDs with a good Luhn digit, separators removed', () => {
    expect(validateIccid('8944 0000 0000 0000 019')).toEqual({
      valid: true,
      errors: [],
      warnings: [],
      normalized: '8944000000000000019',
    });
    expect(validateIccid('89440000000000000010').valid).toBe(true);
  });

  it('names the expected Luhn digit, the length, the prefix and the first non-digit', () => {
    expect(validateIccid('8944000000000000012').errors).toEqual([
      'the Luhn check digit is wrong: expected 9, got 2',
    ]);
    expect(validateIccid('123').errors).toEqual([
      'an ICCID is 19 or 20 digits, got 3',
      'an ICCID starts with 89 (ITU-T E.118 telecom prefix)',
    ]);
    expect(validateIccid('8944x').errors).toEqual(['an ICCID is digits only: character 5 is "x"']);
    expect(validateIccid('  ').errors).toEqual(['an ICCID is required, got an empty value']);
  });
});

describe('EID (GSMA SGP.29)', () => {
  // The example EID of SGP.29 §10.
  const example = '89049032123451234512345678901235';

  it('accepts the SGP.29 example, whose value mod 97 is 1', () => {
    expect(validateEid(example)).toEqual({ valid: true, errors: [], warnings: [], normalized: example });
    expect(eidCheckDigits(example.slice(0, 30))).toBe('35');
  });

  it('reports the expected check digits and the length', () => {
    expect(validateEid(example.slice(0, 30) + '34').errors).toEqual([
      'the check digits are wrong (SGP.29 mod 97): expected 35, got 34',
    ]);
    expect(validateEid(example.slice(1)).errors).toEqual(['an EID is 32 digits, got 31']);
  });

  it('computes check digits that always make the EID valid, with a leading zero when below 10', () => {
    for (const body of ['0'.repeat(30), '9'.repeat(30), '123456789012345678901234567890']) {
      expect(validateEid(body + eidCheckDigits(body)).valid).toBe(true);
    }
    expect(eidCheckDigits('0'.repeat(30))).toBe('98');
  });
});

describe('IMEI (3GPP TS 23.003 6.2)', () => {
  it('accepts the TS 23.003 example 49 015420 323751 8 written with separators', () => {
    expect(validateImei('49-015420-323751-8').normalized).toBe('490154203237518');
  });

  it('says how many digits an IMEI has and which Luhn digit was expected', () => {
    expect(validateImei('49015420323751').errors).toEqual([
      'an IMEI is 15 digits (or 16 for an IMEISV), got 14',
    ]);
    expect(validateImei('490154203237519').errors).toEqual([
      'the Luhn check digit is wrong: expected 8, got 9',
    ]);
  });

  it('accepts an IMEISV (16 digits, no check digit) with a warning naming its IMEI', () => {
    const r = validateImei('4901542032375109');
    expect(r.valid).toBe(true);
    expect(r.normalized).toBe('4901542032375109');
    expect(r.warnings).toEqual([expect.stringContaining('its IMEI is 490154203237518')]);
  });
});

describe('VIN (ISO 3779, 49 CFR 565)', () => {
  it('computes the position-9 check digit of published VINs', () => {
    expect(vinCheckDigit('1M8GDM9AXKP042788')).toBe('X');
    expect(vinCheckDigit('11111111111111111')).toBe('1');
    expect(vinCheckDigit('5GZCZ43D13S812715')).toBe('1');
  });

  it('upper-cases and accepts a VIN whose check digit matches', () => {
    expect(validateVin('1m8gdm9axkp042788').normalized).toBe('1M8GDM9AXKP042788');
  });

  it('refuses I, O and Q, naming their positions', () => {
    expect(validateVin('1M8GDM9AXKP04278O').errors).toEqual([
      'a VIN never contains I, O or Q (ISO 3779; they read as 1 and 0): found O at position 17',
    ]);
  });

  it('refuses a wrong length and other characters', () => {
    expect(validateVin('1M8GDM9AXKP04278').errors).toEqual(['a VIN is 17 characters, got 16']);
    expect(validateVin('1M8GDM9AXKP04278*').errors).toEqual([
      'a VIN is letters A-Z and digits 0-9 only: found "*" at position 17',
    ]);
  });
});

describe('Indian registration marks', () => {
  it.each(['MH12AB1234', 'DL3CAB1234', 'KA01A1', '22BH1234AA', '21BH0001A'])('accepts %s', (regno) => {
    expect(validateRegno(regno)).toEqual({ valid: true, errors: [], warnings: [], normalized: regno });
  });

  it('normalises case, spaces and hyphens', () => {
    expect(validateRegno(' mh-12 ab 1234 ').normalized).toBe('MH12AB1234');
  });

  it.each([
    ['XX12AB1234', 'XX is not an Indian state or union territory code (MH, DL, KA, …)'],
    ['MH00AB1234', 'the RTO number is 1 to 99, got 00'],
    ['MH12AB0000', 'the number of a registration mark is 0001 to 9999, got 0000'],
    ['20BH1234AA', 'a Bharat series number starts with its 2-digit registration year, 21 or later; got 20'],
  ])('refuses %s: %s', (regno, message) => {
    expect(validateRegno(regno).errors).toEqual([message]);
  });

  it('shows the expected shapes when the mark has none of them', () => {
    expect(validateRegno('MH12AB12345').errors).toEqual([
      expect.stringContaining('expected state code, RTO number, series, number'),
    ]);
  });
});

describe('PAN (Income Tax Department)', () => {
  it.each(['ABCPE1234F', 'AAACH7409R', 'aapfu 0939f'])('accepts %s', (pan) => {
    expect(validatePan(pan).valid).toBe(true);
  });

  it('explains the holder type when the 4th character is not one', () => {
    expect(validatePan('ABCXE1234F').errors).toEqual([
      expect.stringMatching(
        /^the 4th character of a PAN is the holder type \(P individual, C company, .*G government\); got X$/,
      ),
    ]);
  });

  it('names each character of the wrong kind and the length', () => {
    expect(validatePan('ABCP12345F').errors).toEqual([
      'a PAN is 5 letters, 4 digits, 1 letter (AAAAA9999A): character 5 is "1", expected a letter',
    ]);
    expect(validatePan('ABCPE1234').errors).toEqual(['a PAN is 10 characters (AAAAA9999A), got 9']);
  });
});

describe('GSTIN (CBIC)', () => {
  // Examples from GST registration documentation, each a state code + PAN + 1Z + checksum.
  it.each(['27AAPFU0939F1ZV', '29AAGCB7383J1Z4', '33AAACH7409R1Z8'])('accepts %s', (gstin) => {
    expect(validateGstin(gstin)).toEqual({ valid: true, errors: [], warnings: [], normalized: gstin });
  });

  it('computes the mod-36 checksum character', () => {
    expect(gstinCheckChar('27AAPFU0939F1Z')).toBe('V');
    expect(gstinCheckChar('29AAGCB7383J1Z')).toBe('4');
  });

  it('reports the expected checksum character', () => {
    expect(validateGstin('27AAPFU0939F1ZW').errors).toEqual([
      'the checksum character is wrong (GSTIN mod 36): expected V, got W',
    ]);
  });

  it('names a bad state code, PAN, entity number and the Z', () => {
    const body = '40AAPXU0939F0Y';
    const errors = validateGstin(body + gstinCheckChar(body)).errors;
    expect(errors).toEqual([
      'a GSTIN starts with a state code 01–38, 97 or 99; got 40',
      expect.stringMatching(/^characters 3–12 are the PAN: the 4th character of a PAN is the holder type/),
      'character 13 is the entity number, 1–9 then A–Z; got 0',
      'character 14 of a GSTIN is Z; got Y',
    ]);
  });

  it('accepts the other-territory and centre-jurisdiction codes 97 and 99', () => {
    for (const state of ['97', '99']) {
      const body = `${state}AAPFU0939F1Z`;
      expect(validateGstin(body + gstinCheckChar(body)).valid).toBe(true);
    }
  });
});

describe('phone numbers (ITU-T E.164)', () => {
  it('accepts international numbers, separators removed', () => {
    expect(validatePhone('+91 98765 43210').normalized).toBe('+919876543210');
    expect(validatePhone('+1-202-555-0123').normalized).toBe('+12025550123');
  });

  it.each([
    ['9876543210', 'an E.164 number starts with + and the country code (+91 for India)'],
    ['00919876543210', 'an E.164 number starts with + instead of the international prefix 00'],
    ['+0123456789', 'an E.164 country code never starts with 0'],
    ['+1234567', 'an E.164 number is 8 to 15 digits after the +, got 7'],
    ['+1234567890123456', 'an E.164 number is 8 to 15 digits after the +, got 16'],
    ['+91(987)6543210', 'an E.164 number is + then digits only: character 4 is "("'],
  ])('refuses %s', (phone, message) => {
    expect(validatePhone(phone).errors).toEqual([message]);
  });

  it('warns when an Indian number is not 10 digits after +91', () => {
    expect(validatePhone('+9198765432').warnings).toEqual([
      'an Indian number is +91 and 10 digits, got 8 after +91',
    ]);
  });
});

describe('Verhoeff and Aadhaar', () => {
  it('computes Verhoeff check digits of the published examples', () => {
    // Verhoeff (1969) as worked in the literature: 236 → 3, 12345 → 1.
    expect(verhoeffCheckDigit('236')).toBe(3);
    expect(verhoeffCheckDigit('12345')).toBe(1);
    expect(verhoeffValid('2363')).toBe(true);
    expect(verhoeffValid('2364')).toBe(false);
  });

  it('catches every single-digit error and adjacent transposition of a 12-digit number', () => {
    const good = '234123412346';
    for (let i = 0; i < 12; i++) {
      for (let d = 0; d <= 9; d++) {
        const typo = good.slice(0, i) + String(d) + good.slice(i + 1);
        if (typo !== good) expect(verhoeffValid(typo), typo).toBe(false);
      }
      if (i < 11 && good[i] !== good[i + 1]) {
        const swapped = good.slice(0, i) + good[i + 1]! + good[i]! + good.slice(i + 2);
        expect(verhoeffValid(swapped), swapped).toBe(false);
      }
    }
  });

  it('returns only the last 4 digits and SHA-256(salt ‖ number) of a valid Aadhaar number', () => {
    const r = aadhaarLast4AndHash('2341 2341 2346', SALT);
    const expected = createHash('sha256').update(SALT).update('234123412346').digest('hex');
    expect(r).toEqual({ valid: true, errors: [], warnings: [], last4: '2346', sha256: expected });
    expect(JSON.stringify(r)).not.toContain('23412341');
    expect(aadhaarLast4AndHash('999941057058', SALT).valid).toBe(true);
  });

  it('gives a different hash for a different salt', () => {
    const a = aadhaarLast4AndHash('234123412346', SALT);
    const b = aadhaarLast4AndHash('234123412346', new Uint8Array(16));
    expect(a.valid && b.valid && a.sha256 !== b.sha256).toBe(true);
  });

  it.each([
    ['234123412345', 'the Verhoeff check digit is wrong: this is not an Aadhaar number'],
    ['23412341234', 'an Aadhaar number is 12 digits, got 11'],
    ['134123412346', 'an Aadhaar number starts with 2 to 9, got 1'],
    ['2341234I2346', 'an Aadhaar number is digits only'],
  ])('refuses %s without repeating it', (number, message) => {
    const r = aadhaarLast4AndHash(number, SALT);
    expect(r).toEqual({ valid: false, errors: [message], warnings: [] });
    expect(JSON.stringify(r)).not.toContain(number.slice(0, 8));
  });

  it('refuses a salt shorter than 16 bytes as a programming error', () => {
    expect(() => aadhaarLast4AndHash('234123412346', new Uint8Array(8))).toThrow(RangeError);
  });
});

describe('the validator table', () => {
  it('has one validator per kind and recognises only those kinds', () => {
    expect(Object.keys(kycValidators).sort()).toEqual([...kycKinds].sort());
    expect(isKycKind('vin')).toBe(true);
    expect(isKycKind('aadhaar')).toBe(false);
    expect(isKycKind('toString')).toBe(false);
  });
});
