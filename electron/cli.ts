/**
 * `obf-station`: the headless host over the same Workstation. Every command takes `--json`;
 * exit code 0 on success, 1 when the work failed, 2 on bad input, each with a one-line error.
 */
import { parseArgs } from 'node:util';
import type { ReadersSnapshot } from '../core/api/index.js';
import { ObfError, toErrorPayload } from '../core/index.js';
import { runVpcdSim, VPCD_BASE_PORT } from '../native/vcard/index.js';
import {
  intOption,
  jsonOption as json,
  printResult as out,
  type Command,
  type CommandGroup,
  type Values,
} from './cli-args.js';
import { cardCommands } from './cli-card.js';
import { cryptoCommands } from './cli-crypto.js';
import { auditCommands, kmsCommands } from './cli-kms.js';
import { kycCommands } from './cli-kyc.js';
import { persoCommands } from './cli-perso.js';
import { enrolCommand, syncCommand } from './cli-sync.js';
import { validateCommands } from './cli-validate.js';
import { chooseReaders, createWorkstation, defaultDataDir, parseReaderMode } from './compose.js';
import { findElectronBinary } from './electron-binary.js';
import { findChromium, launchElectron, openAppWindow } from './launch.js';
import { packageVersion, rendererDir } from './package-info.js';
import { startWebHost } from './web.js';

const readersOpt = { type: 'string', default: 'auto' } as const;
const slotsOpt = { type: 'string', default: '4' } as const;

const commands: Record<string, Command | CommandGroup> = {
  crypto: cryptoCommands,
  card: cardCommands,
  kms: kmsCommands,
  audit: auditCommands,
  perso: persoCommands,
  kyc: kycCommands,
  sync: syncCommand,
  enrol: enrolCommand,
  validate: validateCommands,
  readers: {
    summary: 'list every reader and its state (empty, or card present with ATR)',
    usage: 'obf-station readers [--json] [--readers auto|pcsc|sim] [--slots N]',
    options: { json, readers: readersOpt, slots: slotsOpt },
    async run(values) {
      const mode = parseReaderMode(String(values.readers));
      const { backend } = chooseReaders(mode, intOption('slots', values.slots, 1, 16));
      const station = createWorkstation('cli', backend, null);
      station.start();
      try {
        const result = await station.dispatch('readers.list', {});
        if (!result.ok) throw new ObfError('INTERNAL', result.error.message);
        const snapshot = result.output as ReadersSnapshot;
        if (snapshot.service.state === 'down' || snapshot.service.state === 'unavailable') {
          throw new ObfError(
            snapshot.service.state === 'down' ? 'PCSCD_DOWN' : 'PCSC_UNAVAILABLE',
            snapshot.service.message,
          );
        }
        const lines = snapshot.readers.map((r) => `${r.name}\t${r.state}${r.atr ? `\tATR ${r.atr}` : ''}`);
        out(values, snapshot, [`# ${snapshot.service.message}`, ...lines].join('\n'));
        return 0;
      } finally {
        await station.stop();
      }
    },
  },
  sim: {
    summary: 'plug N virtual OBF cards into vpcd (pcscd with the vsmartcard driver); control lines on stdin',
    usage:
      'obf-station sim --slots N [--empty] [--base-port P] [--state-dir DIR]   (stdin: insert N | remove N | stall N | status | quit)',
    options: {
      slots: slotsOpt,
      empty: { type: 'boolean', default: false },
      'base-port': { type: 'string' },
      'state-dir': { type: 'string' },
      json,
    },
    async run(values) {
      const slots = intOption('slots', values.slots, 1, 16);
      const basePort =
        values['base-port'] === undefined
          ? VPCD_BASE_PORT
          : intOption('base-port', values['base-port'], 1, 65535 - slots);
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const stateDir = typeof values['state-dir'] === 'string' ? values['state-dir'] : undefined;
      await runVpcdSim({
        slots,
        basePort,
        empty: Boolean(values.empty),
        input: process.stdin,
        output: process.stdout,
        signal: abort.signal,
        ...(stateDir ? { stateDir } : {}),
      });
      return 0;
    },
  },
  web: {
    summary: 'serve the workstation UI and API on http://127.0.0.1 with a per-launch token',
    usage: 'obf-station web [--port N] [--readers auto|pcsc|sim] [--slots N] [--open] [--data DIR] [--json]',
    options: {
      port: { type: 'string', default: '0' },
      readers: readersOpt,
      slots: slotsOpt,
      open: { type: 'boolean', default: false },
      data: { type: 'string' },
      json,
    },
    async run(values) {
      return serveWeb(values, Boolean(values.open));
    },
  },
  start: {
    summary:
      'run the workstation: Electron when its binary exists, else the web host in a Chromium app window',
    usage: 'obf-station start [--readers auto|pcsc|sim] [--slots N] [--data DIR]',
    options: {
      readers: readersOpt,
      slots: slotsOpt,
      port: { type: 'string', default: '0' },
      data: { type: 'string' },
      json,
    },
    async run(values) {
      const electron = findElectronBinary();
      if ('path' in electron) return launchElectron(electron.path, [`--readers=${String(values.readers)}`]);
      process.stderr.write(`No Electron binary (${electron.missing}): starting the web host instead.\n`);
      return serveWeb(values, true);
    },
  },
};

async function serveWeb(values: Values, open: boolean): Promise<number> {
  const port = intOption('port', values.port, 0, 65535);
  const choice = chooseReaders(
    parseReaderMode(String(values.readers)),
    intOption('slots', values.slots, 1, 16),
  );
  const station = createWorkstation(
    'web',
    choice.backend,
    typeof values.data === 'string' ? values.data : defaultDataDir(),
  );
  station.start();
  const host = await startWebHost({ workstation: station, rendererDir: rendererDir(), port });
  out(
    values,
    { url: host.url, origin: host.origin, readers: choice.notice },
    `Readers: ${choice.notice}\nOBF workstation (web host): ${host.url}`,
  );
  const shutdown = async () => {
    await host.close();
    await station.stop();
  };
  const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
  const chromium = open && !headless ? findChromium() : null;
  if (open && headless)
    process.stderr.write('No display: open the URL above in a browser (the host keeps serving).\n');
  else if (open && !chromium) process.stderr.write('No Chromium found: open the URL above in a browser.\n');
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  if (chromium) {
    const launched = Date.now();
    await Promise.race([openAppWindow(chromium, host.url), stopped]);
    // A window that closes within seconds never opened (no display, a crash): keep serving.
    if (Date.now() - launched < 5000) {
      process.stderr.write(
        'Chromium could not open its window: open the URL above in a browser (the host keeps serving).\n',
      );
      await stopped;
    }
  } else {
    await stopped;
  }
  await shutdown();
  return 0;
}

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    `obf-station ${packageVersion()}: OBF Provisioning Workstation`,
    '',
    'Usage: obf-station <command> [options]   (obf-station <command> --help for its options)',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    ...Object.entries(commands).flatMap(([name, c]) =>
      'subcommands' in c
        ? Object.entries(c.subcommands).map(([sub, s]) => `    ${name} ${sub}: ${s.summary}`)
        : [],
    ),
    '',
    'Every command takes --json for machine-readable output. Exit codes: 0 ok, 1 failed, 2 bad input.',
  ].join('\n');
}

function isGroup(c: Command | CommandGroup): c is CommandGroup {
  return 'subcommands' in c;
}

/** Resolves `name [sub]` to a command and the arguments left for it. */
function resolve(name: string, rest: string[]): { label: string; command: Command; args: string[] } {
  const entry = commands[name];
  if (!entry) throw new ObfError('VALIDATION', `unknown command "${name}" (obf-station --help lists them)`);
  if (!isGroup(entry)) return { label: name, command: entry, args: rest };
  const [sub, ...args] = rest;
  const names = Object.keys(entry.subcommands).join(', ');
  if (!sub || sub.startsWith('-')) throw new ObfError('VALIDATION', `${name} needs a subcommand: ${names}`);
  const command = entry.subcommands[sub];
  if (!command) throw new ObfError('VALIDATION', `unknown command "${name} ${sub}" (one of: ${names})`);
  return { label: `${name} ${sub}`, command, args };
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const wantsJson = argv.includes('--json');
  try {
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(help() + '\n');
      return 0;
    }
    if (name === '--version' || name === '-v') {
      process.stdout.write(packageVersion() + '\n');
      return 0;
    }
    const { label, command, args } = resolve(name, rest);
    if (args.includes('--help') || args.includes('-h')) {
      process.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n`);
      return 0;
    }
    let values: Values;
    const names = command.positionals ?? [];
    try {
      const parsed = parseArgs({
        args,
        options: command.options,
        strict: true,
        allowPositionals: names.length > 0,
      });
      values = parsed.values as Values;
      if (parsed.positionals.length > names.length)
        throw new Error(`unexpected argument "${parsed.positionals[names.length]}"`);
      names.forEach((n, i) => {
        const given = parsed.positionals[i];
        if (given !== undefined) {
          if (values[n] !== undefined) throw new Error(`${n} is given twice`);
          values[n] = given;
        }
      });
    } catch (err) {
      throw new ObfError(
        'VALIDATION',
        `${label}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
    }
    return await command.run(values);
  } catch (err) {
    const payload = toErrorPayload(err);
    process.stderr.write(`obf-station: error: ${payload.message}\n`);
    if (wantsJson) process.stdout.write(JSON.stringify({ error: payload }) + '\n');
    return payload.code === 'VALIDATION' ? 2 : 1;
  }
}
