/**
 * `obf-station kms …` and `obf-station audit verify`: the station KMS from the command line.
 * Passphrases come from the environment (OBF_PASSPHRASE_<USER>) or from a JSON object on stdin
 * ({"alice": "…"}), never from argv, where every process listing would show them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../core/atomic-file.js';
import { fromHex } from '../core/bytes.js';
import { transcriptPdf, type SignedTranscript, type Transcript } from '../core/ceremony/index.js';
import { ObfError } from '../core/index.js';
import {
  Kms,
  verifyAuditExport,
  type AuditVerdict,
  keyTypes,
  keyUsages,
  roles,
  type KeyType,
  type KeyUsage,
  type Principal,
} from '../core/kms/index.js';
import { jsonOption, printResult, type CommandGroup, type Values } from './cli-args.js';

let stdinSecrets: Record<string, unknown> | null = null;

function stdinJson(): Record<string, unknown> {
  if (stdinSecrets) return stdinSecrets;
  if (process.stdin.isTTY) return (stdinSecrets = {});
  let text: string;
  try {
    text = readFileSync(0, 'utf8');
  } catch {
    text = ''; // no stdin at all
  }
  try {
    stdinSecrets = text.trim() ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    throw new ObfError('VALIDATION', 'stdin must be a JSON object (passphrases by user name, components)');
  }
  return stdinSecrets;
}

export function passphraseFor(username: string): string {
  const env = process.env[`OBF_PASSPHRASE_${username.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`];
  if (env) return env;
  const fromStdin = stdinJson()[username];
  if (typeof fromStdin === 'string' && fromStdin) return fromStdin;
  throw new ObfError(
    'VALIDATION',
    `no passphrase for "${username}": set OBF_PASSPHRASE_${username.toUpperCase().replace(/[^A-Z0-9]/g, '_')} or pass {"${username}": "…"} on stdin`,
  );
}

/** Writes the signed transcript as JSON and as a printable PDF; answers both paths. */
async function writeTranscript(
  values: Values,
  signed: SignedTranscript,
): Promise<{ json: string; pdf: string }> {
  const dir =
    typeof values.transcripts === 'string'
      ? values.transcripts
      : join(dirname(dbOption(values)), 'transcripts');
  mkdirSync(dir, { recursive: true });
  const stamp = signed.transcript.endedAt.replace(/[:.]/g, '-');
  const base = join(dir, `${stamp}-${signed.transcript.ceremony}-${signed.sha256.slice(0, 12)}`);
  writeFileSync(`${base}.json`, JSON.stringify(signed, null, 2) + '\n', { mode: 0o600 });
  writeFileSync(`${base}.pdf`, await transcriptPdf(signed), { mode: 0o600 });
  return { json: `${base}.json`, pdf: `${base}.pdf` };
}

/** The transcript of a dual-control key ceremony, from what the KMS recorded. */
function keyCeremony(
  kind: 'key-generation' | 'key-import-components',
  kms: Kms,
  startedAt: string,
  people: { principal: Principal; part: string; kcv?: string }[],
  label: string,
  kcv: string,
): Transcript {
  const endedAt = new Date().toISOString();
  const kcvs: Record<string, string> = { [label]: kcv };
  for (const p of people) if (p.kcv) kcvs[`${p.part} (${p.principal.username})`] = p.kcv.toLowerCase();
  return {
    version: 1,
    ceremony: kind,
    stationId: kms.stationId(),
    startedAt,
    endedAt,
    participants: people.map((p) => ({
      username: p.principal.username,
      role: p.principal.role,
      part: p.part,
    })),
    steps: [
      ...people.map((p) => ({
        at: new Date(p.principal.authenticatedAt).toISOString(),
        actor: p.principal.username,
        what: p.kcv
          ? `authenticated; entered ${p.part}, KCV ${p.kcv.toUpperCase()}`
          : `authenticated as ${p.part}`,
      })),
      { at: endedAt, actor: 'station', what: `${label} stored, KCV ${kcv.toUpperCase()}` },
    ],
    kcvs,
  };
}

function dbOption(values: Values): string {
  if (typeof values.db !== 'string' || !values.db) throw new ObfError('VALIDATION', '--db PATH is required');
  return values.db;
}

function userOption(values: Values, name = 'user'): string {
  const v = values[name];
  if (typeof v !== 'string' || !v) throw new ObfError('VALIDATION', `--${name} NAME is required`);
  return v;
}

/** Opens the station, unlocks it as --user, runs `work`, and always locks it again. */
function withStation<T>(values: Values, work: (kms: Kms, user: Principal) => T): T {
  const kms = Kms.open(dbOption(values));
  const user = userOption(values);
  const principal = kms.unlock(user, passphraseFor(user));
  try {
    return work(kms, principal);
  } finally {
    kms.lock(user);
  }
}

const setupFile = z.object({
  users: z.array(z.object({ username: z.string(), role: z.enum(roles) })).min(2),
  recovery: z.object({ threshold: z.number().int(), shares: z.number().int() }),
  scrypt: z.object({ N: z.number().int(), r: z.number().int(), p: z.number().int() }).optional(),
  stationId: z.string().optional(),
});

const common = { db: { type: 'string' }, user: { type: 'string' }, json: jsonOption } as const;

function enumOption<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ObfError(
      'VALIDATION',
      `--${name} must be one of ${allowed.join(', ')}; got "${String(value)}"`,
    );
  }
  return value as T;
}

export const kmsCommands: CommandGroup = {
  summary:
    'the station KMS: initialise, check a login, list keys, generate and import keys under dual control',
  subcommands: {
    init: {
      summary: 'create the encrypted station database, its users and the M-of-N recovery shares (shown once)',
      usage:
        'obf-station kms init --db PATH --setup FILE.json [--json]   (passphrases: OBF_PASSPHRASE_<USER> or stdin JSON)',
      options: {
        db: { type: 'string' },
        setup: { type: 'string' },
        transcripts: { type: 'string' },
        json: jsonOption,
      },
      async run(values) {
        if (typeof values.setup !== 'string')
          throw new ObfError('VALIDATION', '--setup FILE.json is required');
        let raw: unknown;
        try {
          raw = JSON.parse(readFileSync(values.setup, 'utf8'));
        } catch (err) {
          throw new ObfError(
            'VALIDATION',
            `--setup ${values.setup}: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
        const parsed = setupFile.safeParse(raw);
        if (!parsed.success) {
          const i = parsed.error.issues[0]!;
          throw new ObfError('VALIDATION', `--setup ${values.setup}: ${i.path.join('.')}: ${i.message}`);
        }
        const setup = parsed.data;
        const users = setup.users.map((u) => ({ ...u, passphrase: passphraseFor(u.username) }));
        const { kms, shares, transcript } = await Kms.initialize(dbOption(values), {
          users,
          recovery: setup.recovery,
          ...(setup.scrypt ? { scrypt: setup.scrypt } : {}),
          ...(setup.stationId ? { stationId: setup.stationId } : {}),
        });
        const stationId = kms.stationId();
        kms.lock('setup');
        const files = await writeTranscript(values, transcript);
        const text = [
          `Station ${stationId} initialised. Recovery: any ${setup.recovery.threshold} of these ${shares.length} shares.`,
          'Give each share to its custodian now: they are shown once and stored nowhere.',
          ...shares.map((s) => `  share ${s.index}: ${s.share}  (check ${s.checksum})`),
          `Transcript to print and sign: ${files.pdf}`,
        ].join('\n');
        printResult(
          values,
          { stationId, threshold: setup.recovery.threshold, shares, transcript: files },
          text,
        );
        return 0;
      },
    },
    unlock: {
      summary: 'check that a user can unlock the station (the passphrase, lockout and role)',
      usage: 'obf-station kms unlock --db PATH --user NAME [--json]',
      options: common,
      run(values) {
        const result = withStation(values, (kms) => ({
          ok: true,
          user: userOption(values),
          stationId: kms.stationId(),
        }));
        printResult(values, result, `unlocked station ${result.stationId} as ${result.user}`);
        return Promise.resolve(0);
      },
    },
    keys: {
      summary: 'list the key records: labels, types, usages, KCVs and states (never key bytes)',
      usage: 'obf-station kms keys --db PATH --user NAME [--json]',
      options: common,
      run(values) {
        const keys = withStation(values, (kms) => kms.listKeys());
        const text = keys.length
          ? keys
              .map((k) => `${k.label}\t${k.type}\t${k.usage}\tKCV ${k.kcv}\t${k.state}\t${k.origin}`)
              .join('\n')
          : 'no keys';
        printResult(values, { keys }, text);
        return Promise.resolve(0);
      },
    },
    generate: {
      summary: 'generate a key inside the station under dual control (two security officers)',
      usage:
        'obf-station kms generate --db PATH --user NAME --second NAME --label L --type T --usage U [--json]',
      options: {
        ...common,
        transcripts: { type: 'string' },
        second: { type: 'string' },
        label: { type: 'string' },
        type: { type: 'string' },
        usage: { type: 'string' },
      },
      async run(values) {
        const type = enumOption<KeyType>('type', values.type, keyTypes);
        const usage = enumOption<KeyUsage>('usage', values.usage, keyUsages);
        const label = typeof values.label === 'string' ? values.label : '';
        const startedAt = new Date().toISOString();
        const { record, signed } = withStation(values, (kms, first) => {
          const second = kms.authenticate(
            userOption(values, 'second'),
            passphraseFor(userOption(values, 'second')),
          );
          const record = kms.generateKey({ label, type, usage }, [first, second]);
          const people = [
            { principal: first, part: 'first security officer' },
            { principal: second, part: 'second security officer' },
          ];
          return {
            record,
            signed: kms.signCeremony(
              keyCeremony('key-generation', kms, startedAt, people, label, record.kcv),
            ),
          };
        });
        const transcript = await writeTranscript(values, signed);
        printResult(
          values,
          { ...record, transcript },
          `generated ${record.label} (${record.type}, ${record.usage}) KCV ${record.kcv}\ntranscript: ${transcript.pdf}`,
        );
        return 0;
      },
    },
    'import-components': {
      summary: 'import a key from 2 or 3 components, each from a different security officer, checked by KCV',
      usage:
        'obf-station kms import-components --db PATH --user NAME --label L --type T --usage U --kcv KCV [--json]   (stdin: {"components":[{"custodian","component","kcv"}], "<user>": passphrase…})',
      options: {
        ...common,
        transcripts: { type: 'string' },
        label: { type: 'string' },
        type: { type: 'string' },
        usage: { type: 'string' },
        kcv: { type: 'string' },
      },
      async run(values) {
        const type = enumOption<KeyType>('type', values.type, keyTypes);
        const usage = enumOption<KeyUsage>('usage', values.usage, keyUsages);
        const parsed = z
          .array(
            z.object({
              custodian: z.string(),
              component: z.string().regex(/^(?:[0-9a-fA-F]{2})+$/),
              kcv: z.string().regex(/^[0-9a-fA-F]{6}$/),
            }),
          )
          .min(2)
          .max(3)
          .safeParse(stdinJson().components);
        if (!parsed.success)
          throw new ObfError(
            'VALIDATION',
            'stdin "components": 2 or 3 of {custodian, component (hex), kcv (6 hex)}',
          );
        if (typeof values.kcv !== 'string' || !/^[0-9a-fA-F]{6}$/.test(values.kcv))
          throw new ObfError('VALIDATION', '--kcv must be 6 hex digits');
        const label = typeof values.label === 'string' ? values.label : '';
        const startedAt = new Date().toISOString();
        const { record, signed } = withStation(values, (kms) => {
          const components = parsed.data.map((c) => ({
            custodian: kms.authenticate(c.custodian, passphraseFor(c.custodian)),
            component: fromHex(c.component),
            kcv: c.kcv,
          }));
          const people = components.map((c, i) => ({
            principal: c.custodian,
            part: `component ${i + 1}`,
            kcv: c.kcv,
          }));
          const record = kms.importFromComponents(
            { label, type, usage, expectedKcv: String(values.kcv) },
            components,
          );
          return {
            record,
            signed: kms.signCeremony(
              keyCeremony('key-import-components', kms, startedAt, people, label, record.kcv),
            ),
          };
        });
        const transcript = await writeTranscript(values, signed);
        printResult(
          values,
          { ...record, transcript },
          `imported ${record.label} (${record.type}, ${record.usage}) KCV ${record.kcv}\ntranscript: ${transcript.pdf}`,
        );
        return 0;
      },
    },
  },
};

export const auditCommands: CommandGroup = {
  summary: 'the tamper-evident audit log',
  subcommands: {
    verify: {
      summary:
        'recompute the hash chain of the station, or of an export file: {"ok","rows","firstBroken"}; exit code 1 when broken',
      usage: 'obf-station audit verify (--db PATH --user NAME | --file EXPORT.json) [--json]',
      options: { ...common, file: { type: 'string' } },
      run(values) {
        let verdict: AuditVerdict;
        let signature: boolean | undefined;
        if (typeof values.file === 'string') {
          let raw: unknown;
          try {
            raw = JSON.parse(readFileSync(values.file, 'utf8'));
          } catch (err) {
            throw new ObfError(
              'VALIDATION',
              `--file ${values.file}: ${err instanceof Error ? err.message : String(err)}`,
            );
          }
          ({ chain: verdict, signature } = verifyAuditExport(raw));
        } else {
          verdict = withStation(values, (kms) => kms.verifyAudit());
        }
        const ok = verdict.ok && signature !== false;
        const text = [
          verdict.ok
            ? `audit chain intact: ${verdict.rows} rows`
            : `audit chain BROKEN at row ${verdict.firstBroken}: ${verdict.reason}`,
          ...(signature === undefined
            ? []
            : [
                signature
                  ? 'station signature valid'
                  : 'station signature INVALID: the file was changed after export',
              ]),
        ].join('\n');
        printResult(
          values,
          {
            ok,
            rows: verdict.rows,
            firstBroken: verdict.firstBroken,
            ...(signature === undefined ? {} : { signature }),
          },
          text,
        );
        return Promise.resolve(ok ? 0 : 1);
      },
    },
    export: {
      summary: 'write the whole chain, signed by the station, for an auditor (dual control)',
      usage: 'obf-station audit export --db PATH --user NAME --second NAME --out FILE [--json]',
      options: { ...common, second: { type: 'string' }, out: { type: 'string' } },
      run(values) {
        if (typeof values.out !== 'string' || !values.out)
          throw new ObfError('VALIDATION', '--out FILE is required');
        const out = values.out;
        const exported = withStation(values, (kms, first) => {
          const second = kms.authenticate(
            userOption(values, 'second'),
            passphraseFor(userOption(values, 'second')),
          );
          return kms.exportAudit([first, second]);
        });
        writeFileAtomic(out, JSON.stringify(exported, null, 2) + '\n');
        printResult(
          values,
          { file: out, rows: exported.record.rows.length, sha256: exported.sha256 },
          `audit export: ${exported.record.rows.length} rows, sha256 ${exported.sha256}\nwritten to ${out}`,
        );
        return Promise.resolve(0);
      },
    },
  },
};
