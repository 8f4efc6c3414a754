/**
 * Builds the one Workstation a host exposes, choosing the reader backend: PC/SC when the
 * binding loads and pcscd has readers, simulated readers otherwise (the demo default).
 */
import type { HostKind } from '../core/api/index.js';
import { ReaderManager, type ReaderBackend } from '../core/card/index.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ObfError, Workstation } from '../core/index.js';
import { KmsService } from '../core/kms/index.js';
import { loadBinding, PcscReaderBackend, PCSC_INSTALL_HINT } from '../native/pcsc/index.js';
import { SimReaderBackend } from '../native/vcard/index.js';
import { packageVersion } from './package-info.js';

export const readerModes = ['auto', 'pcsc', 'sim'] as const;
export type ReaderMode = (typeof readerModes)[number];

export function parseReaderMode(value: string): ReaderMode {
  if ((readerModes as readonly string[]).includes(value)) return value as ReaderMode;
  throw new ObfError('VALIDATION', `--readers must be one of ${readerModes.join(', ')}; got "${value}"`);
}

export interface ReaderChoice {
  backend: ReaderBackend;
  /** One line saying why this backend was chosen, for the console and the UI. */
  notice: string;
}

function simulated(slots: number, reason: string): ReaderChoice {
  return {
    backend: new SimReaderBackend({ slots, cardsPresent: true, reason }),
    notice: `${slots} simulated readers: ${reason}`,
  };
}

export function chooseReaders(mode: ReaderMode, simSlots = 4): ReaderChoice {
  if (mode === 'sim') return simulated(simSlots, 'simulated readers were asked for');
  if (mode === 'pcsc') return { backend: new PcscReaderBackend(), notice: 'PC/SC readers through pcscd' };
  const loaded = loadBinding();
  if ('error' in loaded) return simulated(simSlots, loaded.error);
  try {
    const context = new loaded.binding.Context();
    let count = 0;
    try {
      count = context.listReaders().length;
    } catch {
      count = 0;
    } finally {
      context.close();
    }
    if (count > 0) return { backend: new PcscReaderBackend(), notice: `PC/SC: ${count} reader(s) found` };
    return simulated(simSlots, 'pcscd has no reader attached');
  } catch {
    return simulated(simSlots, `pcscd is not running (${PCSC_INSTALL_HINT})`);
  }
}

/**
 * Where the station keeps its database: OBF_STATION_DATA, else the XDG data folder
 * (~/.local/share/obf-station). Electron passes its own userData folder instead.
 */
export function defaultDataDir(): string {
  if (process.env.OBF_STATION_DATA) return process.env.OBF_STATION_DATA;
  const base = process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share');
  return join(base, 'obf-station');
}

export function createWorkstation(
  host: HostKind,
  backend: ReaderBackend,
  dataDir: string | null = defaultDataDir(),
): Workstation {
  const kms = new KmsService(dataDir ? join(dataDir, 'station.db') : null);
  return new Workstation({ host, version: packageVersion(), readers: new ReaderManager(backend), kms });
}
