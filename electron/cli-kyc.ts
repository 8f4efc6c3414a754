/**
 * `obf-station kyc …`: Machine KYC at the command line (clause 3.2.4), on the same store and
 * with the same checks as the station's KYC screen. Inputs are JSON files in the shape of the
 * contract's `kyc.capture` / `kyc.transfer` / `kyc.correct` inputs; an image may be given as a
 * file instead of base64 (`"file": "photo.jpg"` in an evidence item, `"signatureFile"` in the
 * consent), relative to the JSON file. Personal data is printed only by `kyc show`, as the
 * screen shows it (an Aadhaar number as its last 4 digits).
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import type { z } from 'zod';
import { methods, type KycBindingSummary, type KycBindingView } from '../core/api/index.js';
import { ObfError } from '../core/index.js';
import { Kms, type Principal } from '../core/kms/index.js';
import { DEFAULT_RETENTION_DAYS, KycStore, kycNotice } from '../core/kyc/index.js';
import { jsonOption, printResult, type CommandGroup, type Values } from './cli-args.js';
import { passphraseFor } from './cli-kms.js';

function required(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || !v) throw new ObfError('VALIDATION', `--${name} is required`);
  return v;
}

function unlock(values: Values): { kms: Kms; user: Principal; store: KycStore } {
  const kms = Kms.open(required(values, 'db'));
  const username = required(values, 'user');
  const user = kms.unlock(username, passphraseFor(username));
  return { kms, user, store: new KycStore(kms) };
}

/** The contract's input schema, with the dispatcher's message: "kyc.capture: custodian.pan: …". */
function checked<M extends keyof typeof methods>(
  method: M,
  input: unknown,
): z.output<(typeof methods)[M]['input']> {
  const r = methods[method].input.safeParse(input);
  if (r.success) return r.data as z.output<(typeof methods)[M]['input']>;
  const issues = r.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`)
    .join('; ');
  throw new ObfError('VALIDATION', `${method}: ${issues}`);
}

function readBytes(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ObfError(
      'VALIDATION',
      `${what}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

const MIME_BY_EXT: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
};

/** Reads the JSON input file and replaces image file references with their base64. */
function readInput(path: string): Record<string, unknown> {
  const text = readBytes(path, '--file').toString('utf8');
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (err) {
    throw new ObfError('VALIDATION', `--file ${path} is not JSON: ${(err as Error).message}`);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new ObfError('VALIDATION', `--file ${path} must hold a JSON object`);
  const base = dirname(resolve(path));
  const obj = input as Record<string, unknown>;
  if (Array.isArray(obj.evidence)) {
    obj.evidence = (obj.evidence as unknown[]).map((e, i) => {
      if (typeof e !== 'object' || e === null || !('file' in e)) return e;
      const { file, ...rest } = e as Record<string, unknown>;
      if (typeof file !== 'string') throw new ObfError('VALIDATION', `evidence.${i}.file: a file path`);
      const mime = (rest.mime as string | undefined) ?? MIME_BY_EXT[extname(file).toLowerCase()];
      return {
        ...rest,
        mime,
        dataBase64: readBytes(resolve(base, file), `evidence.${i}.file`).toString('base64'),
      };
    });
  }
  const consent = obj.consent as Record<string, unknown> | undefined;
  if (consent && typeof consent.signatureFile === 'string') {
    const { signatureFile, ...rest } = consent;
    obj.consent = {
      ...rest,
      signaturePng: readBytes(resolve(base, signatureFile), 'consent.signatureFile').toString('base64'),
    };
  }
  return obj;
}

function bindingText(b: KycBindingView): string {
  const c = b.custodian;
  const d = b.device;
  return [
    `binding    ${b.id} (${b.state}, ${b.action}${b.supersedes ? ` superseding ${b.supersedes}` : ''})`,
    `device     ICCID ${d.iccid}${d.eid ? ` EID ${d.eid}` : ''}${d.imei ? ` IMEI ${d.imei}` : ''}`,
    `vehicle    ${[d.make, d.model, d.vin && `VIN ${d.vin}`, d.registration, d.engineNumber && `engine ${d.engineNumber}`].filter(Boolean).join(', ') || '—'}`,
    `custodian  ${c ? `${c.name} (${b.custodianKind}), ${c.idDocument.type} ${c.idDocument.display}, ${c.phone}` : `erased (${b.custodianId})`}`,
    `purpose    ${b.purpose} at ${b.dealer}, by ${b.operator} on ${b.createdAt}`,
    `consent    notice ${b.consent.noticeVersion}, signed ${b.consent.at}`,
    ...(b.reason ? [`reason     ${b.reason}`] : []),
    ...(b.ended
      ? [`ended      ${b.ended.at} by ${b.ended.by}${b.ended.reason ? `: ${b.ended.reason}` : ''}`]
      : []),
    ...(b.erased ? [`erased     ${b.erased.at} by ${b.erased.by}: ${b.erased.reason}`] : []),
    `evidence   ${b.evidence.length ? b.evidence.map((e) => `${e.kind} ${e.sha256.slice(0, 12)}${e.available ? '' : ' (erased)'}`).join(', ') : '—'}`,
    `retention  until ${b.retentionUntil}`,
  ].join('\n');
}

function summaryLine(s: KycBindingSummary): string {
  return [s.id, s.state, s.iccid, s.registration ?? '—', s.custodianName ?? '(erased)', s.createdAt].join(
    '\t',
  );
}

const db = { type: 'string' } as const;
const user = { type: 'string' } as const;

/** Runs `work` on the unlocked station and locks it again, whatever happens. */
async function withStore<T>(values: Values, work: (s: ReturnType<typeof unlock>) => T): Promise<T> {
  const s = unlock(values);
  try {
    return await Promise.resolve(work(s));
  } finally {
    s.store.close();
    s.kms.lock();
  }
}

export const kycCommands: CommandGroup = {
  summary: 'Machine KYC: bind a device to its custodian, transfer, correct, withdraw, search',
  subcommands: {
    notice: {
      summary: 'the consent notice the custodian reads and signs (current version)',
      usage: 'obf-station kyc notice [--json]',
      options: { json: jsonOption },
      run(values) {
        const n = kycNotice(DEFAULT_RETENTION_DAYS);
        printResult(values, n, [`${n.title} (version ${n.version})`, '', ...n.paragraphs].join('\n\n'));
        return Promise.resolve(0);
      },
    },
    lookup: {
      summary: 'was this ICCID personalised here, is it secured, is it bound?',
      usage: 'obf-station kyc lookup --db PATH --user NAME --iccid ICCID [--json]',
      options: { db, user, iccid: { type: 'string' }, json: jsonOption },
      async run(values) {
        const { iccid } = checked('kyc.lookupDevice', { iccid: values.iccid });
        const check = await withStore(values, ({ store }) => store.lookupDevice(iccid));
        printResult(values, check, `${check.iccid}: ${check.message}`);
        return 0;
      },
    },
    capture: {
      summary:
        'bind a device to its custodian from a JSON file (device, custodian, purpose, dealer, consent, evidence)',
      usage: 'obf-station kyc capture --db PATH --user NAME --file binding.json [--json]',
      options: { db, user, file: { type: 'string' }, json: jsonOption },
      async run(values) {
        const input = checked('kyc.capture', readInput(required(values, 'file')));
        const view = await withStore(values, ({ store, user: u }) => store.capture(u, input));
        printResult(values, view, bindingText(view));
        return 0;
      },
    },
    transfer: {
      summary:
        'pass a bound device to a new custodian (bindingId, reason, custodian, dealer, consent, evidence)',
      usage: 'obf-station kyc transfer --db PATH --user NAME --file transfer.json [--json]',
      options: { db, user, file: { type: 'string' }, json: jsonOption },
      async run(values) {
        const input = checked('kyc.transfer', readInput(required(values, 'file')));
        const view = await withStore(values, ({ store, user: u }) => store.transfer(u, input));
        printResult(values, view, bindingText(view));
        return 0;
      },
    },
    correct: {
      summary:
        'correct an active binding (bindingId, reason, and the device fields, custodian, dealer or evidence)',
      usage: 'obf-station kyc correct --db PATH --user NAME --file correction.json [--json]',
      options: { db, user, file: { type: 'string' }, json: jsonOption },
      async run(values) {
        const input = checked('kyc.correct', readInput(required(values, 'file')));
        const view = await withStore(values, ({ store, user: u }) => store.correct(u, input));
        printResult(values, view, bindingText(view));
        return 0;
      },
    },
    withdraw: {
      summary: "record the custodian's withdrawal of consent, with their signature (PNG)",
      usage:
        'obf-station kyc withdraw --db PATH --user NAME --id BINDING --reason TEXT --signature FILE.png [--json]',
      options: {
        db,
        user,
        id: { type: 'string' },
        reason: { type: 'string' },
        signature: { type: 'string' },
        json: jsonOption,
      },
      async run(values) {
        const input = checked('kyc.withdraw', {
          bindingId: values.id,
          reason: values.reason,
          signaturePng: readBytes(required(values, 'signature'), '--signature').toString('base64'),
        });
        const view = await withStore(values, ({ store, user: u }) => store.withdraw(u, input));
        printResult(values, view, bindingText(view));
        return 0;
      },
    },
    erase: {
      summary:
        'erase the personal data of a withdrawn or expired binding; a supervisor or security officer seconds it',
      usage: 'obf-station kyc erase --db PATH --user NAME --second NAME --id BINDING --reason TEXT [--json]',
      options: {
        db,
        user,
        second: { type: 'string' },
        id: { type: 'string' },
        reason: { type: 'string' },
        json: jsonOption,
      },
      async run(values) {
        const second = required(values, 'second');
        const input = checked('kyc.erase', {
          bindingId: values.id,
          reason: values.reason,
          second: { username: second, passphrase: passphraseFor(second) },
        });
        const view = await withStore(values, ({ kms, store, user: u }) =>
          store.erase(
            u,
            kms.authenticate(input.second.username, input.second.passphrase),
            input.bindingId,
            input.reason,
          ),
        );
        printResult(values, view, bindingText(view));
        return 0;
      },
    },
    purge: {
      summary:
        'erase every binding past its retention date or withdrawn; a supervisor or security officer seconds it',
      usage: 'obf-station kyc purge --db PATH --user NAME --second NAME [--json]',
      options: { db, user, second: { type: 'string' }, json: jsonOption },
      async run(values) {
        const second = required(values, 'second');
        const result = await withStore(values, ({ kms, store, user: u }) =>
          store.purgeExpired(u, kms.authenticate(second, passphraseFor(second))),
        );
        printResult(
          values,
          result,
          `${result.erased.length} binding(s) erased${result.erased.length ? `:\n${result.erased.join('\n')}` : ''}`,
        );
        return 0;
      },
    },
    list: {
      summary: 'search bindings by ICCID, IMEI, VIN, registration number or custodian name (whole words)',
      usage:
        'obf-station kyc list --db PATH --user NAME --query Q [--by any|iccid|imei|vin|registration|name] [--history] [--limit N] [--json]',
      options: {
        db,
        user,
        query: { type: 'string' },
        by: { type: 'string', default: 'any' },
        history: { type: 'boolean', default: false },
        limit: { type: 'string', default: '100' },
        json: jsonOption,
      },
      async run(values) {
        const input = checked('kyc.bindings', {
          query: values.query,
          by: values.by,
          includeHistory: values.history === true,
          limit: Number(values.limit),
        });
        const rows = await withStore(values, ({ store }) =>
          store.bindings(input.query, {
            by: input.by,
            includeHistory: input.includeHistory,
            limit: input.limit,
          }),
        );
        printResult(values, rows, rows.length ? rows.map(summaryLine).join('\n') : 'no binding found');
        return 0;
      },
    },
    show: {
      summary: 'one binding with its history (personal data as the screen shows it; the view is audited)',
      usage: 'obf-station kyc show --db PATH --user NAME --id BINDING [--json]',
      options: { db, user, id: { type: 'string' }, json: jsonOption },
      async run(values) {
        const { id } = checked('kyc.binding', { id: values.id });
        const result = await withStore(values, ({ store, user: u }) => store.binding(u, id));
        printResult(values, result, result.history.map(bindingText).join('\n\n'));
        return 0;
      },
    },
  },
};
