import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { iccidProblems, iccidWithCheckDigit } from '../card/index.js';
import { isObfError } from '../errors.js';
import {
  assertIccidsFree,
  expandOrder,
  orderCard,
  orderCardCount,
  orderCards,
  orderIccidRange,
  parseOrder,
  parseOrderRowsCsv,
  rangesOverlap,
  readOrderFile,
  type Order,
} from './order.js';

const samplePath = new URL('../../resources/orders/sample-order.json', import.meta.url);
const sampleText = readFileSync(samplePath, 'utf8');
const sample = () => JSON.parse(sampleText) as Record<string, unknown> & { iccid: Record<string, unknown> };

/** The sample with `patch` applied at the top level or inside one object. */
function variant(
  patch: Record<string, unknown>,
  inside?: 'iccid' | 'imsi' | 'customer',
): Record<string, unknown> {
  const o = sample() as Record<string, Record<string, unknown>>;
  if (inside) o[inside] = { ...o[inside], ...patch };
  else Object.assign(o, patch);
  return o;
}

function validationMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isObfError(err, 'VALIDATION'), String(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected a VALIDATION error');
}

describe('parseOrder on the shipped sample', () => {
  it('parses resources/orders/sample-order.json', () => {
    const order = parseOrder(sampleText);
    expect(order.batchId).toBe('SAMPLE-2024-0001');
    expect(order.customer.publicKeyJwk?.kty).toBe('EC');
    expect(orderCardCount(order)).toBe(2000);
    expect(order.iccid?.length).toBe(19);
  });

  it('numbers cards as prefix, zero-padded serial, Luhn digit (E.118) and MCC MNC MSIN (TS 23.003)', () => {
    const order = parseOrder(sampleText);
    expect(orderCard(order, 0)).toEqual({
      index: 0,
      iccid: iccidWithCheckDigit('894900100000000001'),
      imsi: '001010000000001',
      impi: '001010000000001@ims.mnc001.mcc001.3gppnetwork.org',
    });
    const last = orderCard(order, 1999);
    expect(last.iccid).toBe(iccidWithCheckDigit('894900100000002000'));
    expect(last.imsi).toBe('001010000002000');
    for (const card of orderCards(order)) {
      expect(card.iccid).toHaveLength(19);
      expect(iccidProblems(card.iccid)).toEqual([]);
      expect(card.imsi).toMatch(/^\d{15}$/);
    }
    expect(new Set(expandOrder(order).map((c) => c.iccid)).size).toBe(2000);
  });

  it('refuses a card index outside the order', () => {
    const order = parseOrder(sampleText);
    expect(() => orderCard(order, 2000)).toThrow('card index 2000 is outside 0..1999');
  });
});

describe('parseOrder field errors name the field path', () => {
  it.each([0, 1_000_001, 1.5, '10'])('order.iccid.count = %s', (count) => {
    expect(validationMessage(() => parseOrder(variant({ count }, 'iccid')))).toBe(
      'order.iccid.count: must be 1..1000000',
    );
  });

  it('names unknown fields, so a typo is not silently ignored', () => {
    expect(validationMessage(() => parseOrder(variant({ cout: 5 }, 'iccid')))).toBe(
      'order.iccid: unknown field "cout"',
    );
  });

  it('refuses a prefix that is not the E.118 telecom prefix', () => {
    expect(validationMessage(() => parseOrder(variant({ issuerPrefix: '9949001' }, 'iccid')))).toContain(
      'order.iccid.issuerPrefix: must be digits starting with 89',
    );
  });

  it('refuses a range that outgrows the serial digits', () => {
    expect(validationMessage(() => parseOrder(variant({ start: '99999999999', count: 2 }, 'iccid')))).toBe(
      'order.iccid: start 99999999999 + count 2 does not fit the 11-digit serial of a 19-digit ICCID after prefix 8949001',
    );
  });

  it('refuses an MSIN range that outgrows a 15-digit IMSI', () => {
    expect(validationMessage(() => parseOrder(variant({ msinStart: '9999999000' }, 'imsi')))).toContain(
      'order.imsi.msinStart: 9999999000 + count 2000 does not fit the 10-digit MSIN',
    );
  });

  it('checks batchId, profile, amf, initialSqn, domain and key labels', () => {
    expect(validationMessage(() => parseOrder(variant({ batchId: '../etc' })))).toMatch(/^order\.batchId: /);
    expect(validationMessage(() => parseOrder(variant({ profile: 'obf-v2' })))).toBe(
      'order.profile: must be "obf-v1"',
    );
    expect(validationMessage(() => parseOrder(variant({ amf: '800' })))).toBe(
      'order.amf: must be 4 hex digits',
    );
    expect(validationMessage(() => parseOrder(variant({ initialSqn: 'zz0000000000' })))).toBe(
      'order.initialSqn: must be 12 hex digits',
    );
    expect(validationMessage(() => parseOrder(variant({ obfDomain: 'not a domain' })))).toBe(
      'order.obfDomain: must be a DNS name',
    );
    expect(validationMessage(() => parseOrder(variant({ opKeyLabel: 'has space' })))).toBe(
      'order.opKeyLabel: must be a KMS key label',
    );
  });

  it('refuses repeated or out-of-range application key slots', () => {
    expect(validationMessage(() => parseOrder(variant({ appKeySlots: [1, 2, 1] })))).toBe(
      'order.appKeySlots: must not repeat a slot',
    );
    expect(validationMessage(() => parseOrder(variant({ appKeySlots: [1, 16] })))).toBe(
      'order.appKeySlots.1: must be a slot number 1..15',
    );
    expect(parseOrder(variant({ appKeySlots: [] })).appKeySlots).toEqual([]);
  });

  it('reports several problems at once, each with its path', () => {
    const msg = validationMessage(() => parseOrder(variant({ amf: 'x', initialSqn: 'y' })));
    expect(msg).toBe('order.amf: must be 4 hex digits; order.initialSqn: must be 12 hex digits');
  });

  it('says so when the text is not JSON', () => {
    expect(validationMessage(() => parseOrder('{ "batchId": '))).toMatch(/^order: not valid JSON/);
  });
});

describe('the customer public key', () => {
  it('accepts an RSA public JWK of 2048 bits', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const order = parseOrder(variant({ publicKeyJwk: jwk }, 'customer'));
    expect(order.customer.publicKeyJwk?.kty).toBe('RSA');
  });

  it('refuses a private key without echoing it', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = privateKey.export({ format: 'jwk' });
    const msg = validationMessage(() => parseOrder(variant({ publicKeyJwk: jwk }, 'customer')));
    expect(msg).toBe(
      `order.customer.publicKeyJwk: is a private key (has "d"); the order carries the customer's public key only`,
    );
    expect(msg).not.toContain(jwk.d);
  });

  it('refuses other curves, short RSA moduli and signing keys', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
    expect(validationMessage(() => parseOrder(variant({ publicKeyJwk: p384 }, 'customer')))).toContain(
      'order.customer.publicKeyJwk.crv: must be "P-256"',
    );
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    expect(validationMessage(() => parseOrder(variant({ publicKeyJwk: rsa1024 }, 'customer')))).toBe(
      'order.customer.publicKeyJwk.n: must be a modulus of at least 2048 bits',
    );
    const sig = { ...(sample().customer as { publicKeyJwk: object }).publicKeyJwk, use: 'sig' };
    expect(validationMessage(() => parseOrder(variant({ publicKeyJwk: sig }, 'customer')))).toContain(
      'order.customer.publicKeyJwk.use: must be "enc"',
    );
    expect(
      validationMessage(() => parseOrder(variant({ publicKeyJwk: { kty: 'oct', k: 'AA' } }, 'customer'))),
    ).toBe('order.customer.publicKeyJwk.kty: must be an EC P-256 or RSA public JWK (kty "EC" or "RSA")');
  });
});

describe('the IMPI template', () => {
  it('writes a two-digit MNC with a leading zero in the IMS realm (TS 23.003 §13.2, §13.3)', () => {
    const order = parseOrder(variant({ mcc: '262', mnc: '01', msinStart: '1' }, 'imsi'));
    expect(orderCard(order, 0).impi).toBe('262010000000001@ims.mnc001.mcc262.3gppnetwork.org');
  });

  it('takes three-digit MNCs as they are and leaves a 9-digit MSIN', () => {
    const order = parseOrder(variant({ mcc: '310', mnc: '410', msinStart: '7' }, 'imsi'));
    expect(orderCard(order, 1).imsi).toBe('310410000000008');
    expect(orderCard(order, 1).impi).toBe('310410000000008@ims.mnc410.mcc310.3gppnetwork.org');
  });

  it('fills an OBF identity template with the ICCID, MSIN, index and OBF domain', () => {
    const order = parseOrder(variant({ impiTemplate: '{iccid}.{msin}.{index}@{obfDomain}' }));
    const card = orderCard(order, 3);
    expect(card.impi).toBe(`${card.iccid}.0000000004.3@obf.example.org`);
  });

  it('refuses unknown placeholders, unbalanced braces, non-NAIs and IMPIs shared by every card', () => {
    expect(validationMessage(() => parseOrder(variant({ impiTemplate: '{imei}@x.org' })))).toMatch(
      /^order\.impiTemplate: unknown placeholder \{imei\}/,
    );
    expect(validationMessage(() => parseOrder(variant({ impiTemplate: '{imsi}}@x.org' })))).toBe(
      'order.impiTemplate: unbalanced "{" or "}"',
    );
    expect(validationMessage(() => parseOrder(variant({ impiTemplate: '{imsi}' })))).toContain(
      'is not user@realm with a DNS realm',
    );
    expect(validationMessage(() => parseOrder(variant({ impiTemplate: 'device@{obfDomain}' })))).toBe(
      'order.impiTemplate: gives every card the same IMPI; include {imsi}, {msin}, {iccid} or {index}',
    );
  });
});

describe('ICCID lengths', () => {
  it('makes 20-digit ICCIDs when the order asks for them', () => {
    const order = parseOrder(variant({ length: 20 }, 'iccid'));
    const { iccid } = orderCard(order, 0);
    expect(iccid).toBe(iccidWithCheckDigit('8949001000000000001'));
    expect(iccidProblems(iccid)).toEqual([]);
  });
});

describe('expanding a million-card order', () => {
  it('yields every card lazily, the last one numbered start + count - 1', () => {
    const order = parseOrder(
      variant({
        iccid: { issuerPrefix: '89882', start: '0', count: 1_000_000, length: 20 },
        appKeySlots: [],
      }),
    );
    let n = 0;
    let last: ReturnType<typeof orderCard> | undefined;
    for (const card of orderCards(order)) {
      n++;
      last = card;
    }
    expect(n).toBe(1_000_000);
    expect(last?.iccid).toBe(iccidWithCheckDigit('8988200000000999999'));
    expect(last?.imsi).toBe('001010001000000');
  }, 30_000);
});

const rowsManifest = (extra: Record<string, unknown> = {}) => {
  const o = sample() as Record<string, unknown>;
  delete o.iccid;
  return { ...o, imsi: { mcc: '001', mnc: '01' }, rowsFile: 'rows.csv', ...extra };
};
const i1 = iccidWithCheckDigit('894900100000000101');
const i2 = iccidWithCheckDigit('894900100000000102');
const i3 = iccidWithCheckDigit('894900100000000103');

describe('orders with explicit rows', () => {
  const csv = ['iccid,imsi', `${i1},001010000000101`, `${i2},001010000000102`, ''].join('\n');

  it('takes ICCIDs and IMSIs from the rows and IMPIs from the template', () => {
    const order = parseOrder(rowsManifest(), csv);
    expect(expandOrder(order)).toEqual([
      {
        index: 0,
        iccid: i1,
        imsi: '001010000000101',
        impi: '001010000000101@ims.mnc001.mcc001.3gppnetwork.org',
      },
      {
        index: 1,
        iccid: i2,
        imsi: '001010000000102',
        impi: '001010000000102@ims.mnc001.mcc001.3gppnetwork.org',
      },
    ]);
  });

  it('takes the IMPI column when there is one, with CRLF line ends and upper-case header', () => {
    const text = `ICCID,IMSI,IMPI\r\n${i1},001010000000101,a1@obf.example.org\r\n`;
    expect(orderCard(parseOrder(rowsManifest(), text), 0).impi).toBe('a1@obf.example.org');
  });

  it('names the line of a bad IMSI', () => {
    const lines = ['iccid,imsi', `${i1},001010000000101`, '', `${i2},00101000000010`];
    expect(validationMessage(() => parseOrderRowsCsv(lines.join('\n'), { mcc: '001', mnc: '01' }))).toBe(
      'rows.csv line 4: IMSI "00101000000010" is not 15 digits',
    );
  });

  it('names the line of an ICCID failing the Luhn check', () => {
    const bad = i2.slice(0, -1) + String((Number(i2.at(-1)) + 1) % 10);
    const msg = validationMessage(() =>
      parseOrder(rowsManifest(), `iccid,imsi\n${i1},001010000000101\n${bad},001010000000102`),
    );
    expect(msg).toMatch(/^rows\.csv line 3: ICCID "\d{19}": the Luhn check digit is wrong/);
  });

  it('refuses duplicates within the file, naming both lines', () => {
    const dupIccid = `iccid,imsi\n${i1},001010000000101\n${i2},001010000000102\n${i1},001010000000103`;
    expect(validationMessage(() => parseOrder(rowsManifest(), dupIccid))).toBe(
      `rows.csv line 4: ICCID "${i1}" repeats line 2`,
    );
    const dupImsi = `iccid,imsi\n${i1},001010000000101\n${i3},001010000000101`;
    expect(validationMessage(() => parseOrder(rowsManifest(), dupImsi))).toBe(
      'rows.csv line 3: IMSI "001010000000101" repeats line 2',
    );
    const dupImpi = `iccid,imsi,impi\n${i1},001010000000101,a@x.org\n${i3},001010000000102,a@x.org`;
    expect(validationMessage(() => parseOrder(rowsManifest(), dupImpi))).toBe(
      'rows.csv line 3: IMPI "a@x.org" repeats line 2',
    );
  });

  it('refuses IMSIs of another network, a bad header, short lines and an empty file', () => {
    const net = { mcc: '001', mnc: '01' };
    expect(validationMessage(() => parseOrderRowsCsv(`iccid,imsi\n${i1},262010000000101`, net))).toBe(
      "rows.csv line 2: IMSI 262010000000101 is not in the order's network (MCC 001, MNC 01)",
    );
    expect(validationMessage(() => parseOrderRowsCsv(`iccid;imsi\n${i1};001010000000101`, net))).toBe(
      'rows.csv line 1: the header must be "iccid,imsi" or "iccid,imsi,impi"',
    );
    expect(validationMessage(() => parseOrderRowsCsv(`iccid,imsi\n${i1}`, net))).toBe(
      'rows.csv line 2: 1 fields, the header has 2',
    );
    expect(validationMessage(() => parseOrderRowsCsv('iccid,imsi\n\n', net))).toBe(
      'rows.csv: no rows after the header',
    );
  });

  it('requires the CSV text, and refuses ranges beside rows', () => {
    expect(validationMessage(() => parseOrder(rowsManifest()))).toBe(
      'order.rowsFile: rows.csv was not supplied with the manifest',
    );
    expect(validationMessage(() => parseOrder(rowsManifest({ iccid: sample().iccid }), csv))).toBe(
      'order.iccid: must be absent when rowsFile names a CSV',
    );
    const noRange = sample() as Record<string, unknown>;
    delete noRange.iccid;
    expect(validationMessage(() => parseOrder(noRange))).toBe(
      'order.iccid: is required unless rowsFile names a CSV',
    );
  });
});

describe('readOrderFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'obf-order-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a manifest and the rows CSV beside it', async () => {
    writeFileSync(join(dir, 'order.json'), JSON.stringify(rowsManifest()));
    writeFileSync(join(dir, 'rows.csv'), `iccid,imsi\n${i1},001010000000101\n`);
    const order = await readOrderFile(join(dir, 'order.json'));
    expect(order.rows).toHaveLength(1);
  });

  it('reads the shipped sample', async () => {
    expect((await readOrderFile(samplePath.pathname)).batchId).toBe('SAMPLE-2024-0001');
  });

  it('names a missing rows file', async () => {
    writeFileSync(join(dir, 'other.json'), JSON.stringify(rowsManifest({ rowsFile: 'missing.csv' })));
    await expect(readOrderFile(join(dir, 'other.json'))).rejects.toThrow(
      'order.rowsFile: missing.csv: ENOENT',
    );
  });
});

describe('ICCID ranges across batches', () => {
  it('rangesOverlap compares inclusive ranges of strings, numbers or bigints', () => {
    expect(rangesOverlap({ first: '10', last: '20' }, { first: 20, last: 30n })).toBe(true);
    expect(rangesOverlap({ first: '10', last: '19' }, { first: 20, last: 30 })).toBe(false);
    expect(rangesOverlap({ first: 25n, last: 26n }, { first: '20', last: '30' })).toBe(true);
    expect(
      rangesOverlap(
        { first: '8949001000000000010', last: '8949001000000000099' },
        { first: '89490010000000000100', last: '89490010000000000999' },
      ),
    ).toBe(false);
    expect(() => rangesOverlap({ first: '30', last: '20' }, { first: 1, last: 2 })).toThrow(
      'first 30 is after last 20',
    );
    expect(() => rangesOverlap({ first: 'abc', last: '20' }, { first: 1, last: 2 })).toThrow(
      'is not an ICCID',
    );
  });

  const order = parseOrder(sampleText);
  const { first, last } = orderIccidRange(order);

  it('gives the order’s first and last ICCID', () => {
    expect(first).toBe(orderCard(order, 0).iccid);
    expect(last).toBe(orderCard(order, 1999).iccid);
  });

  it('refuses a range order overlapping an earlier batch, naming it', () => {
    const earlier = { batchId: 'B-7', first: '8949001000000000000', last: first };
    expect(validationMessage(() => assertIccidsFree(order, [earlier]))).toBe(
      `ICCID range ${first}…${last} overlaps batch B-7 (8949001000000000000…${first})`,
    );
  });

  it('accepts a range order next to earlier batches', () => {
    const before = { batchId: 'B-1', first: '8949001000000000000', last: BigInt(first) - 1n };
    const after = { batchId: 'B-2', first: BigInt(last) + 1n, last: '8949001999999999999' };
    expect(() => assertIccidsFree(order, [after, before])).not.toThrow();
  });

  it('checks a rows order card by card, so disjoint interleaved sets pass', () => {
    const rows: Order = parseOrder(
      rowsManifest(),
      `iccid,imsi\n${i1},001010000000101\n${i3},001010000000103`,
    );
    const between = { batchId: 'B-mid', first: i2, last: i2 };
    expect(() => assertIccidsFree(rows, [between])).not.toThrow();
    const wide = { batchId: 'B-wide', first: '8949001000000000000', last: i1 };
    const small = { batchId: 'B-small', first: i1, last: i1 };
    expect(validationMessage(() => assertIccidsFree(rows, [small, between, wide]))).toMatch(
      /^rows\.csv line 2: ICCID \d+ lies in batch B-(wide|small) \(/,
    );
    const covering = { batchId: 'B-3', first: '8949001000000000000', last: '8949001999999999999' };
    expect(validationMessage(() => assertIccidsFree(rows, [between, covering]))).toBe(
      `rows.csv line 2: ICCID ${i1} lies in batch B-3 (8949001000000000000…8949001999999999999)`,
    );
  });
});
