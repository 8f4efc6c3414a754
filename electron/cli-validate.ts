/**
 * `obf-station validate KIND VALUE` (or `--value VALUE`): the KYC validators of core/kyc, the same ones the UI
 * runs. Exit code 0 when the value is valid, 1 when it is not, 2 on bad usage.
 */
import { ObfError } from '../core/index.js';
import { kycKinds, kycValidators, type KycKind, type ValidationResult } from '../core/kyc/index.js';
import { jsonOption, printResult, type Command, type CommandGroup } from './cli-args.js';

const WHAT: Record<KycKind, string> = {
  iccid: 'an ICCID (ITU-T E.118: 19–20 digits, 89 prefix, Luhn)',
  eid: 'an eUICC EID (GSMA SGP.29: 32 digits, mod 97 == 1)',
  imei: 'an IMEI (TS 23.003 6.2: 15 digits, Luhn) or IMEISV (16 digits)',
  vin: 'a VIN (ISO 3779: 17 characters; a wrong position-9 check digit is a warning)',
  pan: 'an Indian PAN (AAAAA9999A, 4th character the holder type)',
  gstin: 'a GSTIN (state code, PAN, entity number, Z, mod-36 checksum)',
  regno: 'an Indian vehicle registration mark (MH12AB1234, 22BH1234AA)',
  phone: 'a phone number in E.164 form (+ and 8–15 digits)',
};

function humanLines(kind: KycKind, r: ValidationResult): string {
  return [
    r.valid ? `valid ${kind}: ${r.normalized ?? ''}` : `invalid ${kind}`,
    ...r.errors.map((e) => `error: ${e}`),
    ...r.warnings.map((w) => `warning: ${w}`),
  ].join('\n');
}

function validateCommand(kind: KycKind): Command {
  return {
    summary: `check ${WHAT[kind]}`,
    usage: `obf-station validate ${kind} VALUE [--json]   (exit code 0 valid, 1 invalid)`,
    options: { value: { type: 'string' }, json: jsonOption },
    positionals: ['value'],
    run(values) {
      const value = values.value;
      if (typeof value !== 'string' || value === '')
        throw new ObfError(
          'VALIDATION',
          `validate ${kind}: the ${kind} to check is required (validate ${kind} VALUE)`,
        );
      const r = kycValidators[kind](value);
      const data = {
        valid: r.valid,
        errors: r.errors,
        warnings: r.warnings,
        ...(r.normalized === undefined ? {} : { normalized: r.normalized }),
      };
      printResult(values, data, humanLines(kind, r));
      return Promise.resolve(r.valid ? 0 : 1);
    },
  };
}

export const validateCommands: CommandGroup = {
  summary: 'check an ICCID, EID, IMEI, VIN, PAN, GSTIN, registration mark or phone number',
  subcommands: Object.fromEntries(kycKinds.map((kind) => [kind, validateCommand(kind)])),
};
