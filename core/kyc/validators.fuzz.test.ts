import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { aadhaarLast4AndHash, kycKinds, kycValidators, type ValidationResult } from './validators.js';

/** Printable ASCII, identifier-shaped strings, and any Unicode at all. */
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.stringMatching(/^[0-9A-Za-z +-]{0,40}$/),
  fc.stringMatching(/^\+?[0-9]{0,34}$/),
);

function expectShape(r: ValidationResult): void {
  expect(typeof r.valid).toBe('boolean');
  expect(r.errors.every((e) => typeof e === 'string' && e.length > 0)).toBe(true);
  expect(r.warnings.every((w) => typeof w === 'string')).toBe(true);
  // Valid exactly when there are no errors; only a valid answer carries a normalized form.
  expect(r.valid).toBe(r.errors.length === 0);
  expect(r.normalized === undefined).toBe(!r.valid);
}

describe('validators on arbitrary strings', () => {
  it.each(kycKinds)('%s never throws and always answers valid/errors/warnings', (kind) => {
    fc.assert(
      fc.property(anyString, (s) => {
        expectShape(kycValidators[kind](s));
      }),
      { numRuns: 2000 },
    );
  });

  it.each(kycKinds)('%s is idempotent: a normalized value validates to itself', (kind) => {
    fc.assert(
      fc.property(anyString, (s) => {
        const r = kycValidators[kind](s);
        if (r.normalized !== undefined)
          expect(kycValidators[kind](r.normalized).normalized).toBe(r.normalized);
      }),
      { numRuns: 1000 },
    );
  });

  it('aadhaarLast4AndHash never throws on any number and never returns more than 4 of its digits', () => {
    const salt = new Uint8Array(16);
    fc.assert(
      fc.property(fc.oneof(anyString, fc.stringMatching(/^[2-9][0-9]{11}$/)), (s) => {
        const r = aadhaarLast4AndHash(s, salt);
        expect(r.valid).toBe(r.errors.length === 0);
        if (r.valid) {
          expect(r.last4).toMatch(/^\d{4}$/);
          expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
