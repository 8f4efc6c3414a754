/**
 * The `obf-resource-server` command: `serve` runs the server; `admin …` manages it directly
 * through the database (enrolment codes, stations, the application registry, permissions) and
 * shows what it holds without printing a secret (keys as KCVs, personal data only on --reveal).
 * Every command takes --data DIR (SQLite and master.key there) or DATABASE_URL (PostgreSQL).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ProtocolError } from '../core/sync/protocol.js';
import { startResourceServer } from './resource-server.js';
import { ServerStore, StoreError } from './store/server-store.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

class UsageError extends Error {}

const common: Options = { data: { type: 'string' }, json: { type: 'boolean', default: false } };

interface Command {
  usage: string;
  options: Options;
  run(v: Values): Promise<number>;
}

function dataDir(v: Values): string {
  if (typeof v.data === 'string' && v.data) return v.data;
  if (process.env.OBF_SERVER_DATA) return process.env.OBF_SERVER_DATA;
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'obf-resource-server');
}

function storeOpts(v: Values) {
  const url = process.env.DATABASE_URL;
  return { dataDir: dataDir(v), ...(url ? { databaseUrl: url } : {}) };
}

async function withStore<T>(v: Values, fn: (s: ServerStore) => Promise<T>): Promise<T> {
  const store = await ServerStore.open(storeOpts(v));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function required(v: Values, name: string): string {
  const x = v[name];
  if (typeof x !== 'string' || x === '') throw new UsageError(`--${name} is required`);
  return x;
}

function print(v: Values, data: unknown, text: string): void {
  process.stdout.write((v.json ? JSON.stringify(data) : text) + '\n');
}

/** `15m`, `2h`, `30s`, `1d` → milliseconds. */
export function parseTtl(s: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(s);
  if (!m) throw new UsageError(`--ttl must be a number and a unit (s, m, h, d), e.g. 15m; got "${s}"`);
  const ms =
    Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  if (ms <= 0) throw new UsageError('--ttl must be more than zero');
  return ms;
}

const commands: Record<string, Command> = {
  serve: {
    usage: 'serve [--data DIR] [--port N] [--host 127.0.0.1] [--rate-limit BATCHES_PER_S]',
    options: {
      ...common,
      port: { type: 'string' },
      host: { type: 'string' },
      'rate-limit': { type: 'string' },
    },
    async run(v) {
      const port = v.port === undefined ? 8740 : Number(v.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535 || !/^\d+$/.test(String(v.port ?? '0')))
        throw new UsageError(`--port must be 0-65535; got "${String(v.port)}"`);
      if (v.host !== undefined && v.host !== '127.0.0.1')
        throw new UsageError('--host: this server binds loopback only (127.0.0.1); put a TLS proxy in front');
      let rateLimit: { batchesPerSecond: number } | undefined;
      if (v['rate-limit'] !== undefined) {
        const n = Number(v['rate-limit']);
        if (!(n > 0))
          throw new UsageError(`--rate-limit must be a positive number; got "${String(v['rate-limit'])}"`);
        rateLimit = { batchesPerSecond: n };
      }
      const server = await startResourceServer({
        ...storeOpts(v),
        port,
        ...(rateLimit ? { rateLimit } : {}),
      });
      process.stdout.write(
        JSON.stringify({
          url: server.url,
          backend: server.store.backend,
          serverId: server.store.keys.serverId,
          pid: process.pid,
        }) + '\n',
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await server.close();
      return 0;
    },
  },
  'admin enrol-code': {
    usage: 'admin enrol-code --name NAME [--ttl 15m] [--station ID (re-enrolment of that station)] [--json]',
    options: {
      ...common,
      name: { type: 'string' },
      ttl: { type: 'string', default: '15m' },
      station: { type: 'string' },
    },
    async run(v) {
      const name = required(v, 'name');
      const ttl = parseTtl(String(v.ttl));
      const station = typeof v.station === 'string' ? v.station : undefined;
      const r = await withStore(v, (s) => s.createEnrolCode(name, ttl, new Date(), station));
      print(v, r, `${r.code}  (for "${name}", one use, expires ${r.expiresAt})`);
      return 0;
    },
  },
  'admin revoke': {
    usage: 'admin revoke --station ID [--json]',
    options: { ...common, station: { type: 'string' } },
    async run(v) {
      const r = await withStore(v, (s) => s.revokeStation(required(v, 'station')));
      print(v, r, `station ${r.stationId} revoked at ${r.revokedAt}`);
      return 0;
    },
  },
  'admin stations': {
    usage: 'admin stations [--json]',
    options: common,
    async run(v) {
      const r = await withStore(v, (s) => s.listStations());
      print(
        v,
        r,
        r.length
          ? r
              .map(
                (s) =>
                  `${s.stationId}\t${s.state}\tnext ${s.nextSeq}\tanchor ${s.anchor?.seq ?? '-'}\t${s.name}`,
              )
              .join('\n')
          : 'no stations enrolled',
      );
      return 0;
    },
  },
  'admin app add': {
    usage: 'admin app add --id APP_ID --name NAME --provider PROVIDER [--json]',
    options: { ...common, id: { type: 'string' }, name: { type: 'string' }, provider: { type: 'string' } },
    async run(v) {
      const app = { appId: required(v, 'id'), name: required(v, 'name'), provider: required(v, 'provider') };
      if (!/^[\w.:@-]{1,128}$/.test(app.appId))
        throw new UsageError('--id: 1-128 of letters, digits and . : @ _ -');
      const r = await withStore(v, (s) => s.addApplication(app));
      print(v, r, `application ${r.appId} added (${r.state})`);
      return 0;
    },
  },
  'admin app state': {
    usage: 'admin app state --id APP_ID --state active|suspended|retired [--json]',
    options: { ...common, id: { type: 'string' }, state: { type: 'string' } },
    async run(v) {
      const state = required(v, 'state');
      if (state !== 'active' && state !== 'suspended' && state !== 'retired')
        throw new UsageError(`--state must be active, suspended or retired; got "${state}"`);
      const r = await withStore(v, (s) => s.setApplicationState(required(v, 'id'), state));
      print(v, r, `application ${r.appId} is ${r.state}`);
      return 0;
    },
  },
  'admin permit': {
    usage: 'admin permit --iccid ICCID --app APP_ID [--deny] [--json]',
    options: {
      ...common,
      iccid: { type: 'string' },
      app: { type: 'string' },
      deny: { type: 'boolean', default: false },
    },
    async run(v) {
      const r = await withStore(v, (s) => s.permit(required(v, 'iccid'), required(v, 'app'), !v.deny));
      print(v, r, `${r.iccid} ${r.granted ? 'may use' : 'may not use'} ${r.appId}`);
      return 0;
    },
  },
  'admin devices': {
    usage: 'admin devices [--station ID] [--json]',
    options: { ...common, station: { type: 'string' } },
    async run(v) {
      const r = await withStore(v, (s) =>
        s.listDevices(typeof v.station === 'string' ? v.station : undefined),
      );
      print(
        v,
        r,
        r.map((d) => `${d.iccid}\t${d.state}\t${d.profile}\t${d.stationId}#${d.stationSeq}`).join('\n') ||
          'no devices',
      );
      return 0;
    },
  },
  'admin device': {
    usage: 'admin device --iccid ICCID [--json]',
    options: { ...common, iccid: { type: 'string' } },
    async run(v) {
      const r = await withStore(v, (s) => s.device(required(v, 'iccid')));
      const kcvs = Object.entries(r.serverKcvs)
        .map(
          ([n, k]) =>
            `  ${n}: kcv ${k}${r.stationKcvs[n] === undefined ? '' : r.stationKcvs[n] === k ? ' (matches the station)' : ` (station said ${r.stationKcvs[n]})`}`,
        )
        .join('\n');
      print(
        v,
        r,
        `${r.iccid}  ${r.state}  profile ${r.profile}  IMSI ${r.imsi}  IMPI ${r.impi}${r.eid ? `  EID ${r.eid}` : ''}\n  station ${r.stationId} record ${r.stationSeq}, batch ${r.batchId}, verified ${r.verifiedAt}\n${kcvs}`,
      );
      return 0;
    },
  },
  'admin bindings': {
    usage: 'admin bindings --iccid ICCID [--reveal] [--json]',
    options: { ...common, iccid: { type: 'string' }, reveal: { type: 'boolean', default: false } },
    async run(v) {
      const r = await withStore(v, (s) => s.bindings(required(v, 'iccid'), v.reveal === true));
      print(
        v,
        r,
        [
          ...r.bindings.map(
            (b) =>
              `${b.bindingId}\t${b.state}\t${b.custodianKind} ${b.custodianId}\t${b.startedAt}${b.endedAt ? ` → ${b.endedAt}` : ''}${b.erasedAt ? '\terased' : ''}${b.personalData ? `\t${JSON.stringify(b.personalData)}` : ''}`,
          ),
          ...r.events.map(
            (e) => `  ${e.at}\t${e.action}\t${e.bindingId}\tby ${e.operator} at ${e.stationId}#${e.seq}`,
          ),
        ].join('\n') || `no bindings for ${r.iccid}`,
      );
      return 0;
    },
  },
  'admin records': {
    usage: 'admin records --station ID [--json]',
    options: { ...common, station: { type: 'string' } },
    async run(v) {
      const r = await withStore(v, (s) => s.records(required(v, 'station')));
      print(
        v,
        r,
        r
          .map((x) => `${x.seq}\t${x.status}\t${x.kind}\t${x.ref}${x.reason ? `\t${x.reason}` : ''}`)
          .join('\n') || 'no records',
      );
      return 0;
    },
  },
};

function help(): string {
  return [
    'obf-resource-server: the OBF Resource Server (devices, credentials, custody bindings, application registry)',
    '',
    ...Object.values(commands).map((c) => `  obf-resource-server ${c.usage}`),
    '',
    'Storage: SQLite in --data DIR (default $OBF_SERVER_DATA or ~/.local/share/obf-resource-server),',
    'or PostgreSQL when DATABASE_URL=postgres://… is set. Master key: OBF_SERVER_MASTER_KEY or DIR/master.key.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const wantsJson = argv.includes('--json');
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      process.stdout.write(help() + '\n');
      return 0;
    }
    const words: string[] = [];
    for (const a of argv) {
      if (a.startsWith('-')) break;
      words.push(a);
    }
    let name = '';
    for (let n = words.length; n > 0; n--) {
      if (commands[words.slice(0, n).join(' ')]) {
        name = words.slice(0, n).join(' ');
        break;
      }
    }
    const command = commands[name];
    if (!command)
      throw new UsageError(`unknown command "${words.join(' ')}"; run obf-resource-server --help`);
    const rest = argv.slice(name.split(' ').length);
    if (rest.includes('--help')) {
      process.stdout.write(`Usage: obf-resource-server ${command.usage}\n`);
      return 0;
    }
    let values: Values;
    try {
      values = parseArgs({ args: rest, options: command.options, strict: true, allowPositionals: false })
        .values as Values;
    } catch (e) {
      throw new UsageError(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
    return await command.run(values);
  } catch (e) {
    const code =
      e instanceof UsageError
        ? 'VALIDATION'
        : e instanceof StoreError || e instanceof ProtocolError
          ? e.code
          : 'ERROR';
    const message = (e as Error).message ?? String(e);
    process.stderr.write(`obf-resource-server: error: ${message}\n`);
    if (wantsJson) process.stdout.write(JSON.stringify({ error: { code, message } }) + '\n');
    return e instanceof UsageError ? 2 : 1;
  }
}
