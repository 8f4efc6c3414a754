import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built CLI (npm run build); no reader or pcscd is involved.
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'obf-station.js');

/** Runs the CLI without blocking, so the cases (each a Node start-up) run side by side. */
function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { timeout: 20_000 }, (_err, stdout, stderr) =>
      resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

interface Answer {
  valid: boolean;
  errors: string[];
  warnings: string[];
  normalized?: string;
}

describe.concurrent('obf-station validate', () => {
  it.each([
    ['iccid', '8944000000000000019'],
    ['eid', '89049032123451234512345678901235'],
    ['imei', '490154203237518'],
    ['vin', '1M8GDM9AXKP042788'],
    ['pan', 'ABCPE1234F'],
    ['gstin', '27AAPFU0939F1ZV'],
    ['regno', 'MH12AB1234'],
    ['phone', '+919876543210'],
  ])('accepts a valid %s with exit code 0', async (kind, value) => {
    const r = await cli('validate', kind, value, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ valid: true, errors: [], warnings: [], normalized: value });
  });

  it.each([
    ['iccid', '8944000000000000012', 'the Luhn check digit is wrong: expected 9, got 2'],
    [
      'eid',
      '89049032123451234512345678901234',
      'the check digits are wrong (SGP.29 mod 97): expected 35, got 34',
    ],
    ['imei', '49015420323751', 'an IMEI is 15 digits (or 16 for an IMEISV), got 14'],
    [
      'vin',
      '1M8GDM9AXKP04278O',
      'a VIN never contains I, O or Q (ISO 3779; they read as 1 and 0): found O at position 17',
    ],
    ['pan', 'ABCXE1234F', 'the 4th character of a PAN is the holder type'],
    ['gstin', '27AAPFU0939F1ZW', 'the checksum character is wrong (GSTIN mod 36): expected V, got W'],
    ['regno', 'XX12AB1234', 'XX is not an Indian state or union territory code'],
    ['phone', '9876543210', 'an E.164 number starts with + and the country code'],
  ])('refuses an invalid %s with exit code 1 and names the fault', async (kind, value, message) => {
    const r = await cli('validate', kind, '--value', value, '--json');
    expect(r.code).toBe(1);
    const answer = JSON.parse(r.stdout) as Answer;
    expect(answer).toMatchObject({ valid: false, warnings: [] });
    expect(answer.errors).toEqual([expect.stringContaining(message)]);
    expect(answer).not.toHaveProperty('normalized');
  });

  it('keeps a VIN with a wrong check digit valid, with the warning, exit code 0', async () => {
    const r = await cli('validate', 'vin', '--value', '1M8GDM9A1KP042788', '--json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Answer).warnings).toEqual([
      'the position-9 check digit is 1, expected X (49 CFR 565; required only for North American vehicles)',
    ]);
  });

  it('prints human lines without --json', async () => {
    const ok = await cli('validate', 'regno', '--value', 'mh-12 ab 1234');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('valid regno: MH12AB1234\n');
    const bad = await cli('validate', 'imei', '--value', '490154203237519');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('invalid imei\nerror: the Luhn check digit is wrong: expected 8, got 9\n');
  });

  it.each([
    [['validate', 'aadhaar', '--value', '1'], 'unknown command "validate aadhaar"'],
    [['validate', 'pan'], 'validate pan: the pan to check is required'],
    [['validate', 'pan', '--value', ''], 'validate pan: the pan to check is required'],
    [['validate', 'pan', 'ABCPE1234F', 'extra'], 'validate pan: unexpected argument "extra"'],
    [['validate', 'pan', 'ABCPE1234F', '--value', 'ABCPE1234F'], 'validate pan: value is given twice'],
    [['validate'], 'validate needs a subcommand: iccid, eid, imei, vin, pan, gstin, regno, phone'],
    [['validate', 'vin', '--bogus'], "validate vin: Unknown option '--bogus'"],
  ])('refuses bad usage %j with exit code 2 and one line naming the fault', async (args, message) => {
    const r = await cli(...args, '--json');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'VALIDATION' } });
  });
});
