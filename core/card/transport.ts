/**
 * The card side of the boundary. `native/pcsc` implements it over pcsc-lite, `native/vcard`
 * over in-process simulated readers; the rest of the station knows only these types.
 */
import type { ReaderSource, ServiceState } from '../api/index.js';

export type Protocol = 'T=0' | 'T=1';

/** An open connection to the card in one reader. */
export interface CardChannel {
  readonly reader: string;
  readonly atr: Uint8Array;
  readonly protocol: Protocol;
  /** Sends one command APDU and returns the response APDU (data ‖ SW1 SW2). */
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  disconnect(): Promise<void>;
}

/** What a backend reports; the reader manager turns it into snapshots and typed events. */
export type BackendEvent =
  | { type: 'reader-added'; reader: string; atr: Uint8Array | null }
  | { type: 'reader-removed'; reader: string }
  | { type: 'card-inserted'; reader: string; atr: Uint8Array }
  | { type: 'card-removed'; reader: string }
  | { type: 'service'; state: ServiceState; message: string };

export interface ReaderBackend {
  readonly source: ReaderSource;
  /** Starts watching readers; events arrive through `emit` until `stop` resolves. */
  start(emit: (event: BackendEvent) => void): void;
  stop(): Promise<void>;
  connect(reader: string): Promise<CardChannel>;
}

/** A backend whose cards can be inserted and removed by software (demo mode, tests). */
export interface SimulatedReaderBackend extends ReaderBackend {
  readonly source: 'sim';
  insert(reader: string): void;
  remove(reader: string): void;
}

export function isSimulated(backend: ReaderBackend): backend is SimulatedReaderBackend {
  return backend.source === 'sim';
}
