/**
 * Real PC/SC for the integration and e2e tests: builds the TCP_NODELAY shim, writes a reader
 * config with two vpcd entries (4 slots; the second entry loads its own copy of the driver,
 * which keeps slot state in globals), starts pcscd in the foreground with the shim, plugs in
 * virtual cards with `obf-station sim`, and stops everything it started by PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  openSync,
  closeSync,
} from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ReaderManager } from '../../core/card/index.js';
import { PcscReaderBackend } from '../../native/pcsc/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORK = join(ROOT, '.cache', 'harness');
const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
const PCSCD_PID_FILE = '/run/pcscd/pcscd.pid';
const OUR_PID_FILE = join(WORK, 'pcscd.pid');
const BASE_PORT = 0x8c7b;
const DRIVER_CANDIDATES = [
  '/usr/lib/pcsc/drivers/serial/libifdvpcd.so',
  '/usr/lib64/pcsc/drivers/serial/libifdvpcd.so',
];
export const INSTALL_HINT = 'apt-get install pcscd libpcsclite-dev vsmartcard-vpcd build-essential';

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`harness: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** The reader name pcscd gives slot i of our config. */
export function vpcdReaderName(slot: number): string {
  return `OBF vpcd ${String.fromCharCode(65 + Math.floor(slot / 2))} 00 0${slot % 2}`;
}

export interface HarnessOptions {
  slots?: number;
  /** Start with every slot empty (no card inserted). */
  empty?: boolean;
  /** Keep every virtual card's state in this folder (the sim's --state-dir), to inspect cards afterwards. */
  stateDir?: string;
}

export class PcscHarness {
  private pcscd: ChildProcess | null = null;
  private sim: ChildProcess | null = null;
  private simStates: string[] = [];
  readonly readerNames: string[];

  private constructor(
    readonly slots: number,
    private readonly shim: string,
    private readonly confDir: string,
  ) {
    this.readerNames = Array.from({ length: slots }, (_, i) => vpcdReaderName(i));
  }

  static async start(options: HarnessOptions = {}): Promise<PcscHarness> {
    const slots = options.slots ?? 4;
    if (slots < 1 || slots > 8 || slots % 2) throw new Error('harness: slots must be 2, 4, 6 or 8');
    const pcscd = which('pcscd') ?? (existsSync('/usr/sbin/pcscd') ? '/usr/sbin/pcscd' : null);
    const driver = DRIVER_CANDIDATES.find((p) => existsSync(p));
    const cc = which('cc');
    const missing = [
      !pcscd && 'pcscd',
      !driver && 'the vpcd driver (libifdvpcd.so)',
      !cc && 'a C compiler (cc)',
    ].filter(Boolean);
    if (missing.length) throw new Error(`harness: missing ${missing.join(', ')}: ${INSTALL_HINT}`);
    if (!existsSync(join(ROOT, 'dist', 'electron', 'cli.js')))
      throw new Error('harness: run npm run build first (the sim runs the built CLI)');
    mkdirSync(WORK, { recursive: true });
    PcscHarness.clearLeftovers();
    reserveVpcdPorts(BASE_PORT, 8);

    const shim = join(WORK, 'nodelay.so');
    const build = spawnSync(
      cc!,
      ['-shared', '-fPIC', '-O2', '-o', shim, join(ROOT, 'test', 'harness', 'nodelay-shim.c'), '-ldl'],
      {
        encoding: 'utf8',
      },
    );
    if (build.status !== 0) throw new Error(`harness: building the TCP_NODELAY shim failed: ${build.stderr}`);

    const confDir = join(WORK, 'reader.conf.d');
    rmSync(confDir, { recursive: true, force: true });
    mkdirSync(confDir, { recursive: true });
    const entries: string[] = [];
    for (let e = 0; e < slots / 2; e++) {
      let lib = driver!;
      if (e > 0) {
        lib = join(WORK, `libifdvpcd-${e}.so`);
        copyFileSync(driver!, lib);
      }
      const channel = `0x${(BASE_PORT + 2 * e).toString(16).toUpperCase()}`;
      entries.push(
        `FRIENDLYNAME "OBF vpcd ${String.fromCharCode(65 + e)}"\nDEVICENAME /dev/null:${channel}\nLIBPATH ${lib}\nCHANNELID ${channel}\n`,
      );
    }
    writeFileSync(join(confDir, 'obf-vpcd'), entries.join('\n'));

    const harness = new PcscHarness(slots, shim, confDir);
    await harness.startPcscd();
    await harness.startSim(options.empty ?? false, options.stateDir);
    return harness;
  }

  /** A pcscd left by an earlier harness run that crashed is ours to stop; any other is not. */
  private static clearLeftovers(): void {
    const ours = existsSync(OUR_PID_FILE) ? Number(readFileSync(OUR_PID_FILE, 'utf8')) : NaN;
    if (Number.isInteger(ours) && alive(ours)) {
      process.kill(ours, 'SIGKILL');
      rmSync(OUR_PID_FILE, { force: true });
    }
    const running = existsSync(PCSCD_PID_FILE) ? Number(readFileSync(PCSCD_PID_FILE, 'utf8')) : NaN;
    if (Number.isInteger(running) && running !== ours && alive(running)) {
      throw new Error(
        `harness: another pcscd (pid ${running}) holds ${PCSCD_SOCKET}; pcscd allows one per machine. Stop it first (kill ${running}).`,
      );
    }
  }

  async startPcscd(): Promise<void> {
    if (this.pcscd) return;
    rmSync(PCSCD_SOCKET, { force: true });
    rmSync(PCSCD_PID_FILE, { force: true });
    const log = openSync(join(WORK, 'pcscd.log'), 'a');
    const child = spawn(which('pcscd') ?? '/usr/sbin/pcscd', ['--foreground', '--config', this.confDir], {
      env: { ...process.env, LD_PRELOAD: this.shim },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.pcscd = child;
    writeFileSync(OUR_PID_FILE, String(child.pid));
    const exit = { code: null as number | null };
    child.once('exit', (code) => (exit.code = code ?? -1));
    await waitFor('pcscd to open its socket', () => exit.code !== null || existsSync(PCSCD_SOCKET), 10_000);
    if (exit.code !== null) {
      throw new Error(`harness: pcscd exited with ${exit.code}; see ${join(WORK, 'pcscd.log')}`);
    }
  }

  async killPcscd(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.pcscd;
    if (!child) return;
    this.pcscd = null;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await gone;
    rmSync(OUR_PID_FILE, { force: true });
  }

  private async startSim(empty: boolean, stateDir: string | undefined): Promise<void> {
    const args = [join(ROOT, 'bin', 'obf-station.js'), 'sim', '--slots', String(this.slots)];
    if (empty) args.push('--empty');
    if (stateDir) args.push('--state-dir', stateDir);
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    this.sim = child;
    this.simStates = Array.from({ length: this.slots }, () => 'removed');
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { event: string; slot?: number; state?: string };
        if (msg.event === 'state' && msg.slot !== undefined && msg.state)
          this.simStates[msg.slot] = msg.state;
      } catch {
        // not a JSON line: ignore
      }
    });
    if (!empty) {
      await waitFor(
        'virtual cards to connect to vpcd',
        () => this.simStates.every((s) => s === 'inserted'),
        10_000,
      );
      await this.waitForReaders('present');
    }
  }

  /** Waits until pcscd itself reports every slot in the given state (it polls about every 400 ms). */
  async waitForReaders(state: 'present' | 'empty', timeoutMs = 10_000): Promise<void> {
    const manager = new ReaderManager(new PcscReaderBackend());
    manager.start();
    try {
      const ready = () => {
        const snap = manager.snapshot();
        return this.readerNames.every((n) => snap.readers.find((r) => r.name === n)?.state === state);
      };
      await waitFor(`pcscd to report ${this.readerNames.length} readers ${state}`, ready, timeoutMs);
    } finally {
      await manager.stop();
    }
  }

  simState(slot: number): string {
    return this.simStates[slot] ?? 'unknown';
  }

  private control(line: string): void {
    if (!this.sim?.stdin) throw new Error('harness: the sim is not running');
    this.sim.stdin.write(line + '\n');
  }

  insert(slot: number): void {
    this.control(`insert ${slot}`);
  }

  remove(slot: number): void {
    this.control(`remove ${slot}`);
  }

  stall(slot: number): void {
    this.control(`stall ${slot}`);
  }

  /** A blank card replaces slot's card without pcscd noticing: a card handler's move. */
  swap(slot: number): void {
    this.control(`swap ${slot}`);
  }

  async stop(): Promise<void> {
    const sim = this.sim;
    this.sim = null;
    if (sim && sim.exitCode === null) {
      const gone = new Promise((r) => sim.once('exit', r));
      sim.kill('SIGTERM');
      await Promise.race([gone, sleep(3000).then(() => sim.kill('SIGKILL'))]);
    }
    await this.killPcscd('SIGTERM');
  }
}

const RESERVED_PORTS = '/proc/sys/net/ipv4/ip_local_reserved_ports';

/**
 * vpcd listens on fixed ports (35963…) inside the ephemeral range (32768–60999). After the
 * HTTP-heavy suites, one of them can be held as the local port of a client connection in
 * TIME_WAIT; vpcd's bind then fails with "Address already in use" and no virtual card can
 * connect. Reserving the ports keeps the kernel from handing them out as ephemeral ports. It
 * needs root (CI runs as root); otherwise a line says what to run.
 */
function reserveVpcdPorts(base: number, count: number): void {
  const range = `${base}-${base + count - 1}`;
  let current: string;
  try {
    current = readFileSync(RESERVED_PORTS, 'utf8').trim();
  } catch {
    return; // not Linux, or no /proc: nothing to reserve
  }
  if (current.split(',').includes(range)) return;
  try {
    writeFileSync(RESERVED_PORTS, current ? `${current},${range}` : range);
  } catch {
    console.warn(
      `harness: could not reserve the vpcd ports ${range}; if vpcd reports "Address already in use", run as root: echo ${range} > ${RESERVED_PORTS}`,
    );
  }
}
