/**
 * The order manifest: what a customer ordered, as the factory receives it. A JSON manifest
 * (validated with zod at this boundary; inside, the types are trusted) gives either ICCID and
 * IMSI ranges, or names a CSV of explicit rows beside it. Errors name the field path
 * (`order.iccid.count: …`) or the CSV line (`rows.csv line 7: …`) so the supervisor can fix
 * the file without reading code. Nothing in an order is secret: keys are KMS labels.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { iccidProblems, iccidWithCheckDigit } from '../card/index.js';
import { ObfError } from '../errors.js';

export const MAX_ORDER_CARDS = 1_000_000;
export const ORDER_PROFILE = 'obf-v1';

/** Values echoed in messages are cut short: a bad file must not flood a log line. */
function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

// ---------------------------------------------------------------------------------------------
// Schema

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The label syntax the KMS accepts for a key (core/kms/kms.ts); the order names keys, never holds them. */
const KEY_LABEL = /^[\w.:@/-]{1,128}$/;
/** RFC 1035 §2.3.1 host names (letters, digits, hyphens; dot-separated labels of 1..63). */
const DNS_NAME =
  /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]$/;
/** RFC 7542 §2.2 NAI: a user name, "@", a realm (a DNS name). TS 23.003 §13.3 IMPIs have this form. */
const NAI = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,200}@(.+)$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** A 2048-bit RSA modulus is 256 bytes: 342 base64url characters (RFC 7518 §6.3.1.1). */
const MIN_RSA_N_CHARS = 342;
/** Members of a JWK that only a private key has (RFC 7518 §6.2.2, §6.3.2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const jwkCommon = {
  kid: z.string().max(200).optional(),
  use: z
    .literal('enc', { error: 'must be "enc" when present (the key encrypts the output file)' })
    .optional(),
  alg: z.string().max(40).optional(),
  key_ops: z.array(z.string().max(40)).max(10).optional(),
};

const ecPublicJwk = z.looseObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256', { error: 'must be "P-256"' }),
  // RFC 7518 §6.2.1.2: x and y are the full 32-byte coordinates, base64url without padding.
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, { error: 'must be a 32-byte base64url coordinate' }),
  y: z.string().regex(/^[A-Za-z0-9_-]{43}$/, { error: 'must be a 32-byte base64url coordinate' }),
  ...jwkCommon,
});

const rsaPublicJwk = z.looseObject({
  kty: z.literal('RSA'),
  n: z
    .string()
    .regex(BASE64URL, { error: 'must be base64url' })
    .min(MIN_RSA_N_CHARS, { error: 'must be a modulus of at least 2048 bits' })
    .max(1400, { error: 'must be a modulus of at most 8192 bits' }),
  e: z.string().regex(/^[A-Za-z0-9_-]{1,8}$/, { error: 'must be a base64url exponent' }),
  ...jwkCommon,
});

const customerPublicJwk = z
  .discriminatedUnion('kty', [ecPublicJwk, rsaPublicJwk], {
    error: 'must be an EC P-256 or RSA public JWK (kty "EC" or "RSA")',
  })
  .superRefine((jwk, ctx) => {
    const present = PRIVATE_MEMBERS.filter((m) => m in jwk);
    if (present.length)
      ctx.addIssue({
        code: 'custom',
        message: `is a private key (has "${present.join('", "')}"); the order carries the customer's public key only`,
      });
  });

const digits = (what: string, min: number, max: number) =>
  z.string().regex(new RegExp(`^\\d{${min},${max}}$`), {
    error: min === max ? `must be ${what} of ${min} digits` : `must be ${what} of ${min} to ${max} digits`,
  });

const hexOf = (n: number) =>
  z.string().regex(new RegExp(`^[0-9A-Fa-f]{${n}}$`), { error: `must be ${n} hex digits` });

const iccidRange = z.strictObject({
  issuerPrefix: z.string().regex(/^89\d{1,15}$/, {
    error: 'must be digits starting with 89 (ITU-T E.118 telecom prefix), 3 to 17 digits',
  }),
  start: digits('a serial number', 1, 17),
  count: z
    .int({ error: `must be 1..${MAX_ORDER_CARDS}` })
    .min(1, { error: `must be 1..${MAX_ORDER_CARDS}` })
    .max(MAX_ORDER_CARDS, { error: `must be 1..${MAX_ORDER_CARDS}` }),
  /** E.118 ICCIDs are 19 or 20 digits including the Luhn digit; 19 is the common length. */
  length: z.union([z.literal(19), z.literal(20)], { error: 'must be 19 or 20' }).default(19),
});

const imsiRange = z.strictObject({
  // TS 23.003 §2.2: MCC 3 digits, MNC 2 or 3 digits, MSIN the rest of at most 15 digits.
  mcc: digits('an MCC', 3, 3),
  mnc: digits('an MNC', 2, 3),
  msinStart: digits('an MSIN', 1, 10).optional(),
});

const manifestSchema = z
  .strictObject({
    batchId: z.string().regex(SAFE_ID, {
      error: 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    }),
    customer: z.strictObject({
      name: z
        .string()
        .trim()
        .min(1, { error: 'must not be empty' })
        .max(200, { error: 'must be at most 200 characters' }),
      publicKeyJwk: customerPublicJwk.optional(),
    }),
    profile: z.literal(ORDER_PROFILE, { error: `must be "${ORDER_PROFILE}"` }),
    iccid: iccidRange.optional(),
    imsi: imsiRange,
    rowsFile: z
      .string()
      .regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}\.csv$/, {
        error: 'must be a CSV file name beside the manifest (no folders)',
      })
      .optional(),
    impiTemplate: z.string().min(1).max(253, { error: 'must be at most 253 characters (RFC 7542 §2.2)' }),
    obfDomain: z.string().regex(DNS_NAME, { error: 'must be a DNS name' }),
    amf: hexOf(4),
    initialSqn: hexOf(12),
    appKeySlots: z
      .array(
        z
          .int({ error: 'must be a slot number 1..15' })
          .min(1, { error: 'must be a slot number 1..15' })
          .max(15, { error: 'must be a slot number 1..15' }),
      )
      .max(15)
      .refine((slots) => new Set(slots).size === slots.length, { error: 'must not repeat a slot' }),
    opKeyLabel: z.string().regex(KEY_LABEL, { error: 'must be a KMS key label' }),
    outputTransportKeyLabel: z.string().regex(KEY_LABEL, { error: 'must be a KMS key label' }),
    /** The issuer's ISD master (KDF3 per card); absent: the station's one active isd-master key. */
    issuerMasterKeyLabel: z.string().regex(KEY_LABEL, { error: 'must be a KMS key label' }).optional(),
    /** The card vendor's transport master; absent: the station's one active vendor-transport key. */
    vendorTransportKeyLabel: z.string().regex(KEY_LABEL, { error: 'must be a KMS key label' }).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.rowsFile === undefined) {
      if (m.iccid === undefined)
        ctx.addIssue({ code: 'custom', path: ['iccid'], message: 'is required unless rowsFile names a CSV' });
      if (m.imsi.msinStart === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['imsi', 'msinStart'],
          message: 'is required unless rowsFile names a CSV',
        });
    } else if (m.iccid !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['iccid'], message: 'must be absent when rowsFile names a CSV' });
    }
  });

export type CustomerPublicJwk = z.infer<typeof customerPublicJwk>;
export type OrderManifest = z.infer<typeof manifestSchema>;

/** One explicit card from the rows CSV. */
export interface OrderRow {
  readonly line: number;
  readonly iccid: string;
  readonly imsi: string;
  readonly impi?: string;
}

/** A validated order; `rows` is present exactly when the manifest names a rows CSV. */
export interface Order extends OrderManifest {
  readonly rows?: readonly OrderRow[];
}

/** One card of an order: its position and identities (keys come later, from the KMS). */
export interface OrderCard {
  readonly index: number;
  readonly iccid: string;
  readonly imsi: string;
  readonly impi: string;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = ['order', ...issue.path.map(String)].join('.');
      if (issue.code === 'unrecognized_keys')
        return `${path}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map(quote).join(', ')}`;
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

// ---------------------------------------------------------------------------------------------
// Ranges: compiled once per order so that expanding a million cards is O(n) with small steps

interface Compiled {
  readonly count: number;
  readonly iccidBody: (i: number) => string;
  readonly imsi: (i: number) => string;
  readonly impi: (i: number, iccid: string, imsi: string) => string;
}

const compiledCache = new WeakMap<Order, Compiled>();

/** A zero-padded decimal counter: start + i in `width` digits, with `prefix` in front. */
function counter(prefix: string, start: string, width: number): (i: number) => string {
  const first = BigInt(start);
  // Plain numbers are exact below 2^53; a 17-digit serial needs BigInt.
  if (first + BigInt(MAX_ORDER_CARDS) < BigInt(Number.MAX_SAFE_INTEGER)) {
    const n = Number(first);
    return (i) => prefix + String(n + i).padStart(width, '0');
  }
  return (i) => prefix + (first + BigInt(i)).toString().padStart(width, '0');
}

/** TS 23.003 §13.2: a two-digit MNC is written with a leading zero in the home domain name. */
function mnc3(mnc: string): string {
  return mnc.padStart(3, '0');
}

const PLACEHOLDERS = ['imsi', 'mcc', 'mnc', 'msin', 'iccid', 'index', 'obfDomain'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const PER_CARD: readonly Placeholder[] = ['imsi', 'msin', 'iccid', 'index'];

type TemplatePart = { readonly text: string } | { readonly name: Placeholder };

function isPlaceholder(name: string): name is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

/** Splits a template into literal text and placeholders, refusing unknown names. */
function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  const re = /\{([^{}]*)\}/g;
  let last = 0;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    const name = m[1]!;
    if (!isPlaceholder(name))
      throw new ObfError(
        'VALIDATION',
        `order.impiTemplate: unknown placeholder {${name.slice(0, 20)}}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
      );
    parts.push({ text: template.slice(last, m.index) }, { name });
    last = m.index + m[0].length;
  }
  parts.push({ text: template.slice(last) });
  if (parts.some((p) => 'text' in p && /[{}]/.test(p.text)))
    throw new ObfError('VALIDATION', 'order.impiTemplate: unbalanced "{" or "}"');
  return parts.filter((p) => !('text' in p) || p.text !== '');
}

function compileImpi(m: OrderManifest): Compiled['impi'] {
  const msinFrom = m.imsi.mcc.length + m.imsi.mnc.length;
  const fixed = { mcc: m.imsi.mcc, mnc: mnc3(m.imsi.mnc), obfDomain: m.obfDomain };
  const pieces = parseTemplate(m.impiTemplate).map(
    (p): string | ((i: number, iccid: string, imsi: string) => string) => {
      if ('text' in p) return p.text;
      switch (p.name) {
        case 'imsi':
          return (_i, _iccid, imsi) => imsi;
        case 'iccid':
          return (_i, iccid) => iccid;
        case 'msin':
          return (_i, _iccid, imsi) => imsi.slice(msinFrom);
        case 'index':
          return (i) => String(i);
        default:
          return fixed[p.name];
      }
    },
  );
  return (i, iccid, imsi) => {
    let out = '';
    for (const piece of pieces) out += typeof piece === 'string' ? piece : piece(i, iccid, imsi);
    return out;
  };
}

function compile(order: Order): Compiled {
  const cached = compiledCache.get(order);
  if (cached) return cached;
  const { iccid, imsi } = order;
  const msinWidth = 15 - imsi.mcc.length - imsi.mnc.length;
  const compiled: Compiled = {
    count: order.rows?.length ?? iccid!.count,
    iccidBody: iccid
      ? counter(iccid.issuerPrefix, iccid.start, iccid.length - 1 - iccid.issuerPrefix.length)
      : () => '',
    imsi: imsi.msinStart !== undefined ? counter(imsi.mcc + imsi.mnc, imsi.msinStart, msinWidth) : () => '',
    impi: compileImpi(order),
  };
  compiledCache.set(order, compiled);
  return compiled;
}

/** Checks a rendered IMPI: an NAI whose realm is a DNS name (RFC 7542 §2.2). */
function impiProblem(impi: string): string | undefined {
  if (impi.length > 253) return 'is longer than 253 characters (RFC 7542 §2.2)';
  const m = NAI.exec(impi);
  if (!m || !DNS_NAME.test(m[1]!)) return 'is not user@realm with a DNS realm (RFC 7542 NAI)';
  return undefined;
}

/** Range checks that need arithmetic across fields: do the counters fit their widths? */
function checkRanges(m: OrderManifest): void {
  if (m.iccid) {
    const { issuerPrefix, start, count, length } = m.iccid;
    const width = length - 1 - issuerPrefix.length;
    if (width < 1)
      throw new ObfError(
        'VALIDATION',
        `order.iccid.issuerPrefix: ${issuerPrefix.length} digits leave no room for a serial in a ${length}-digit ICCID`,
      );
    if (start.length > width || BigInt(start) + BigInt(count - 1) >= 10n ** BigInt(width))
      throw new ObfError(
        'VALIDATION',
        `order.iccid: start ${start} + count ${count} does not fit the ${width}-digit serial of a ${length}-digit ICCID after prefix ${issuerPrefix}`,
      );
  }
  if (m.imsi.msinStart !== undefined) {
    const width = 15 - m.imsi.mcc.length - m.imsi.mnc.length;
    const count = m.iccid?.count ?? 1;
    if (
      m.imsi.msinStart.length > width ||
      BigInt(m.imsi.msinStart) + BigInt(count - 1) >= 10n ** BigInt(width)
    )
      throw new ObfError(
        'VALIDATION',
        `order.imsi.msinStart: ${m.imsi.msinStart} + count ${count} does not fit the ${width}-digit MSIN of a 15-digit IMSI (TS 23.003 §2.2)`,
      );
  }
}

function checkImpiTemplate(order: Order, count: number): void {
  const parts = parseTemplate(order.impiTemplate);
  // Rows that carry their own IMPI do not use the template; other rows are checked one by one.
  if (order.rows) return;
  if (count > 1 && !parts.some((p) => 'name' in p && PER_CARD.includes(p.name)))
    throw new ObfError(
      'VALIDATION',
      'order.impiTemplate: gives every card the same IMPI; include {imsi}, {msin}, {iccid} or {index}',
    );
  // Only the counters vary from card to card, so the first and last cards stand for all of them.
  for (const i of new Set([0, count - 1])) {
    const card = orderCard(order, i);
    const problem = impiProblem(card.impi);
    if (problem)
      throw new ObfError('VALIDATION', `order.impiTemplate: card ${i}'s IMPI ${quote(card.impi)} ${problem}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Rows CSV

/**
 * Parses the explicit rows CSV: header `iccid,imsi[,impi]` (any case), one card per line. Each
 * line is checked on its own (E.118 length and Luhn, 15-digit IMSI of the order's network,
 * NAI) and against the others (no ICCID, IMSI or IMPI twice). Line numbers count from the
 * header as line 1, as an editor shows them.
 */
export function parseOrderRowsCsv(
  text: string,
  network: { mcc: string; mnc: string },
  fileName = 'rows.csv',
): OrderRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const at = (line: number) => `${fileName} line ${line}`;
  const cells = (s: string) => s.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  const header = cells(lines[0] ?? '').map((h) => h.toLowerCase());
  if (header.join(',') !== 'iccid,imsi' && header.join(',') !== 'iccid,imsi,impi')
    throw new ObfError('VALIDATION', `${at(1)}: the header must be "iccid,imsi" or "iccid,imsi,impi"`);
  const withImpi = header.length === 3;
  const networkPrefix = network.mcc + network.mnc;
  const seen = {
    iccid: new Map<string, number>(),
    imsi: new Map<string, number>(),
    impi: new Map<string, number>(),
  };
  const rows: OrderRow[] = [];
  for (let n = 1; n < lines.length; n++) {
    const raw = lines[n]!;
    const line = n + 1;
    if (raw.trim() === '') continue;
    if (rows.length >= MAX_ORDER_CARDS)
      throw new ObfError('VALIDATION', `${at(line)}: more than ${MAX_ORDER_CARDS} rows`);
    const c = cells(raw);
    if (c.length !== header.length)
      throw new ObfError('VALIDATION', `${at(line)}: ${c.length} fields, the header has ${header.length}`);
    const [iccid, imsi, impi] = c as [string, string, string | undefined];
    const iccidIssues = iccidProblems(iccid);
    if (iccidIssues.length)
      throw new ObfError('VALIDATION', `${at(line)}: ICCID ${quote(iccid)}: ${iccidIssues.join('; ')}`);
    if (!/^\d{15}$/.test(imsi))
      throw new ObfError('VALIDATION', `${at(line)}: IMSI ${quote(imsi)} is not 15 digits`);
    if (!imsi.startsWith(networkPrefix))
      throw new ObfError(
        'VALIDATION',
        `${at(line)}: IMSI ${imsi} is not in the order's network (MCC ${network.mcc}, MNC ${network.mnc})`,
      );
    if (withImpi) {
      const problem = impiProblem(impi!);
      if (problem) throw new ObfError('VALIDATION', `${at(line)}: IMPI ${quote(impi!)} ${problem}`);
    }
    for (const [name, value] of [
      ['iccid', iccid],
      ['imsi', imsi],
      ['impi', impi],
    ] as const) {
      if (value === undefined) continue;
      const first = seen[name].get(value);
      if (first !== undefined)
        throw new ObfError(
          'VALIDATION',
          `${at(line)}: ${name.toUpperCase()} ${quote(value)} repeats line ${first}`,
        );
      seen[name].set(value, line);
    }
    rows.push(withImpi ? { line, iccid, imsi, impi: impi! } : { line, iccid, imsi });
  }
  if (rows.length === 0) throw new ObfError('VALIDATION', `${fileName}: no rows after the header`);
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Parsing and expansion

/**
 * Parses and validates an order manifest (JSON text or an already parsed value). When the
 * manifest names a rows CSV, its text must be passed as `rowsCsv`.
 */
export function parseOrder(manifest: unknown, rowsCsv?: string): Order {
  const m = parseManifest(manifest);
  checkRanges(m);
  let order: Order = m;
  if (m.rowsFile !== undefined) {
    if (rowsCsv === undefined)
      throw new ObfError('VALIDATION', `order.rowsFile: ${m.rowsFile} was not supplied with the manifest`);
    order = { ...m, rows: parseOrderRowsCsv(rowsCsv, m.imsi, m.rowsFile) };
  }
  const count = orderCardCount(order);
  checkImpiTemplate(order, count);
  if (order.rows && order.rows[0]!.impi === undefined) checkRowImpis(order);
  return order;
}

/** Rows without an IMPI column get theirs from the template; those must be NAIs and distinct. */
function checkRowImpis(order: Order): void {
  const seen = new Map<string, number>();
  for (const card of orderCards(order)) {
    const row = order.rows![card.index]!;
    const problem = impiProblem(card.impi);
    if (problem)
      throw new ObfError(
        'VALIDATION',
        `${order.rowsFile} line ${row.line}: IMPI ${quote(card.impi)} ${problem}`,
      );
    const first = seen.get(card.impi);
    if (first !== undefined)
      throw new ObfError(
        'VALIDATION',
        `${order.rowsFile} line ${row.line}: IMPI ${quote(card.impi)} repeats line ${first}`,
      );
    seen.set(card.impi, row.line);
  }
}

/** Reads a manifest file and, when it names one, the rows CSV beside it. */
export async function readOrderFile(path: string): Promise<Order> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new ObfError('VALIDATION', `order file ${basename(path)}: ${err.code ?? err.message}`);
  });
  const peek = parseManifest(text);
  if (peek.rowsFile === undefined) return parseOrder(text);
  const rowsPath = join(dirname(path), peek.rowsFile);
  const rows = await readFile(rowsPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new ObfError('VALIDATION', `order.rowsFile: ${peek.rowsFile}: ${err.code ?? err.message}`);
  });
  return parseOrder(text, rows);
}

function parseManifest(manifest: unknown): OrderManifest {
  let value = manifest;
  if (typeof manifest === 'string') {
    try {
      value = JSON.parse(manifest) as unknown;
    } catch (err) {
      throw new ObfError('VALIDATION', `order: not valid JSON (${(err as Error).message.slice(0, 80)})`);
    }
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) throw new ObfError('VALIDATION', describeIssues(parsed.error));
  return parsed.data;
}

export function orderCardCount(order: Order): number {
  return order.rows?.length ?? order.iccid!.count;
}

/**
 * Card `index` of the order (0-based). For ranges: ICCID = prefix ‖ zero-padded(start + index)
 * ‖ Luhn digit (E.118), IMSI = MCC ‖ MNC ‖ zero-padded(msinStart + index) (TS 23.003 §2.2).
 */
export function orderCard(order: Order, index: number): OrderCard {
  const c = compile(order);
  if (!Number.isInteger(index) || index < 0 || index >= c.count)
    throw new RangeError(`card index ${index} is outside 0..${c.count - 1}`);
  const row = order.rows?.[index];
  const iccid = row ? row.iccid : iccidWithCheckDigit(c.iccidBody(index));
  const imsi = row ? row.imsi : c.imsi(index);
  return { index, iccid, imsi, impi: row?.impi ?? c.impi(index, iccid, imsi) };
}

/** The order's cards one by one, without holding a million of them in memory. */
export function* orderCards(order: Order): Generator<OrderCard, void, undefined> {
  const count = orderCardCount(order);
  for (let i = 0; i < count; i++) yield orderCard(order, i);
}

/** All cards as an array, for orders small enough to hold. */
export function expandOrder(order: Order): OrderCard[] {
  return Array.from(orderCards(order));
}

// ---------------------------------------------------------------------------------------------
// ICCID ranges across batches

/** An inclusive ICCID range; ends are full ICCIDs as digit strings, or their numeric value. */
export interface IccidRange {
  readonly first: string | bigint | number;
  readonly last: string | bigint | number;
}

export interface BatchIccidRange extends IccidRange {
  readonly batchId: string;
}

function toBig(value: string | bigint | number, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^\d{1,22}$/.test(value)) return BigInt(value);
  throw new ObfError('VALIDATION', `${what}: ${quote(String(value))} is not an ICCID`);
}

function bounds(r: IccidRange, what: string): [bigint, bigint] {
  const a = toBig(r.first, `${what} first`);
  const b = toBig(r.last, `${what} last`);
  if (a > b) throw new ObfError('VALIDATION', `${what}: first ${a} is after last ${b}`);
  return [a, b];
}

/**
 * True when two inclusive ranges share an ICCID. Compared as numbers: a 19-digit ICCID is
 * always below a 20-digit one, so ranges of different lengths never overlap.
 */
export function rangesOverlap(a: IccidRange, b: IccidRange): boolean {
  const [a1, a2] = bounds(a, 'ICCID range');
  const [b1, b2] = bounds(b, 'ICCID range');
  return a1 <= b2 && b1 <= a2;
}

/** The first and last ICCID of the order (for rows: the smallest and the largest). */
export function orderIccidRange(order: Order): { first: string; last: string } {
  if (order.rows) {
    let min = order.rows[0]!.iccid;
    let max = min;
    for (const { iccid } of order.rows) {
      if (BigInt(iccid) < BigInt(min)) min = iccid;
      if (BigInt(iccid) > BigInt(max)) max = iccid;
    }
    return { first: min, last: max };
  }
  return { first: orderCard(order, 0).iccid, last: orderCard(order, orderCardCount(order) - 1).iccid };
}

/**
 * Refuses an order whose ICCIDs fall in a batch already made (E.118: an ICCID names one card).
 * Range orders compare ranges; row orders check each ICCID, so interleaved but disjoint sets pass.
 */
export function assertIccidsFree(order: Order, existing: readonly BatchIccidRange[]): void {
  const batches = existing
    .map((b) => ({ batchId: b.batchId, range: bounds(b, `batch ${b.batchId}`), raw: b }))
    .sort((x, y) => (x.range[0] < y.range[0] ? -1 : x.range[0] > y.range[0] ? 1 : 0));
  const describe = (b: (typeof batches)[number]) => `batch ${b.batchId} (${b.range[0]}…${b.range[1]})`;
  if (!order.rows) {
    const own = orderIccidRange(order);
    const hit = batches.find((b) => rangesOverlap(own, b.raw));
    if (hit)
      throw new ObfError('VALIDATION', `ICCID range ${own.first}…${own.last} overlaps ${describe(hit)}`);
    return;
  }
  // Ranges of earlier batches may overlap each other; track the furthest end seen so far.
  const maxLast: bigint[] = [];
  batches.forEach((b, i) => maxLast.push(i && maxLast[i - 1]! > b.range[1] ? maxLast[i - 1]! : b.range[1]));
  for (const row of order.rows) {
    const v = BigInt(row.iccid);
    // The last batch starting at or before v; any batch containing v starts at or before it.
    let lo = 0;
    let hi = batches.length - 1;
    let idx = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (batches[mid]!.range[0] <= v) {
        idx = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (idx < 0 || maxLast[idx]! < v) continue;
    const hit = batches.slice(0, idx + 1).find((b) => b.range[0] <= v && v <= b.range[1])!;
    throw new ObfError(
      'VALIDATION',
      `${order.rowsFile} line ${row.line}: ICCID ${row.iccid} lies in ${describe(hit)}`,
    );
  }
}
