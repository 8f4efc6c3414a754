import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isObfError } from '../errors.js';
import { orderCard, orderCardCount, parseOrder, parseOrderRowsCsv } from './order.js';

const sample = JSON.parse(
  readFileSync(new URL('../../resources/orders/sample-order.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

/** Runs `fn`; anything thrown must be a VALIDATION ObfError (never a TypeError or RangeError). */
function onlyValidationErrors(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    expect(isObfError(err, 'VALIDATION'), String(err)).toBe(true);
    return false;
  }
}

/** Values that steer the schema: near-valid strings and numbers, and JSON of any shape. */
const fieldValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    '',
    '89',
    '8949001',
    '0',
    '1',
    '99999999999999999',
    '001',
    '01',
    '{imsi}@x.org',
    '{',
    'obf-v1',
  ),
  fc.integer({ min: -2, max: 2_000_000 }),
  fc.stringMatching(/^[0-9]{0,22}$/),
);

/** The sample with one field, possibly nested, replaced, removed or joined by a stranger. */
const mutatedSample = fc
  .tuple(
    fc.constantFrom(
      ...Object.keys(sample),
      'iccid.count',
      'iccid.start',
      'iccid.issuerPrefix',
      'iccid.length',
      'imsi.mcc',
      'imsi.mnc',
      'imsi.msinStart',
      'customer.name',
      'customer.publicKeyJwk',
      'customer.publicKeyJwk.x',
      'rowsFile',
      'extra',
    ),
    fc.option(fieldValue, { nil: undefined }),
  )
  .map(([path, value]) => {
    const copy = structuredClone(sample) as Record<string, Record<string, unknown>>;
    const keys = path.split('.');
    let target: Record<string, unknown> = copy;
    for (const k of keys.slice(0, -1)) {
      const next = target[k];
      if (typeof next !== 'object' || next === null) return copy;
      target = next as Record<string, unknown>;
    }
    if (value === undefined) delete target[keys.at(-1)!];
    else target[keys.at(-1)!] = value;
    return copy;
  });

describe('parseOrder on arbitrary input', () => {
  it('returns an order or throws VALIDATION for any JSON value, text or mutated sample', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.string(), fc.json(), mutatedSample), (input) => {
        onlyValidationErrors(() => {
          const order = parseOrder(input, 'iccid,imsi\n');
          // What parses must expand: the first and last cards exist.
          orderCard(order, 0);
          orderCard(order, orderCardCount(order) - 1);
        });
      }),
      { numRuns: 1500 },
    );
  }, 20_000);
});

/** Lines weighted towards near-valid rows: digits, commas, quotes and line ends. */
const csvText = fc
  .array(
    fc.oneof(
      fc.stringMatching(/^[0-9]{15,21},[0-9]{13,16}(,[a-z0-9.@]{0,12})?$/),
      fc.constantFrom('iccid,imsi', 'iccid,imsi,impi', '', '"8949001000000000013","001010000000101"'),
      fc.string({ maxLength: 40 }),
    ),
    { maxLength: 8 },
  )
  .chain((lines) => fc.constantFrom('\n', '\r\n').map((eol) => lines.join(eol)));

describe('parseOrderRowsCsv on arbitrary text', () => {
  it('returns rows or throws VALIDATION', () => {
    fc.assert(
      fc.property(fc.oneof(csvText, fc.string()), (text) => {
        onlyValidationErrors(() => parseOrderRowsCsv(text, { mcc: '001', mnc: '01' }));
      }),
      { numRuns: 2000 },
    );
  }, 20_000);
});
