import type { CardInterface as Card, ContextInterface as Context, Devices } from 'smartcard';
import type { BackendEvent, CardChannel, ReaderBackend } from '../../core/card/index.js';
import { ObfError } from '../../core/index.js';
import { loadBinding, type Binding } from './binding.js';
import { isServiceFailure, mapPcscError } from './errors.js';

export interface PcscBackendOptions {
  /** First retry delay after pcscd is found down; doubles up to `maxBackoffMs`, with jitter. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How often the supervisor checks that its context still reaches pcscd. */
  watchdogMs?: number;
  /** Largest response APDU accepted: extended length data plus SW. */
  maxRecvLength?: number;
  load?: () => { binding: Binding } | { error: string };
}

/** How long a card that answered nothing is watched for removal (pcscd polls about every 400 ms). */
const REMOVAL_POLL_MS = 1500;

interface Session {
  context: Context;
  devices: Devices;
  watchdog: NodeJS.Timeout;
}

/**
 * PC/SC readers over pcsc-lite, inside a supervisor: when pcscd goes away (killed, restarted,
 * never started) the reader service is reported `down`, everything is torn down, and a new
 * context and monitor are created with exponential backoff until pcscd answers again.
 */
export class PcscReaderBackend implements ReaderBackend {
  readonly source = 'pcsc' as const;
  private emit: ((event: BackendEvent) => void) | null = null;
  private binding: Binding | null = null;
  private session: Session | null = null;
  /**
   * Contexts of finished connections, kept for the next one on the same reader: a batch
   * connects once per card, and establishing a context is a round trip to pcscd each time.
   * Dropped whenever the service goes down (they die with pcscd).
   */
  private idleContexts = new Map<string, Pooled[]>();
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private readonly opts: Required<Omit<PcscBackendOptions, 'load'>> & Pick<PcscBackendOptions, 'load'>;

  constructor(options: PcscBackendOptions = {}) {
    this.opts = {
      initialBackoffMs: options.initialBackoffMs ?? 250,
      maxBackoffMs: options.maxBackoffMs ?? 5000,
      watchdogMs: options.watchdogMs ?? 1000,
      maxRecvLength: options.maxRecvLength ?? 65538,
      load: options.load,
    };
  }

  start(emit: (event: BackendEvent) => void): void {
    this.emit = emit;
    const loaded = (this.opts.load ?? loadBinding)();
    if ('error' in loaded) {
      emit({ type: 'service', state: 'unavailable', message: loaded.error });
      return;
    }
    this.binding = loaded.binding;
    this.boot();
  }

  stop(): Promise<void> {
    this.emit = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.teardown();
    return Promise.resolve();
  }

  async connect(readerName: string): Promise<CardChannel> {
    const session = this.session;
    if (!session) throw new ObfError('PCSCD_DOWN', 'pcscd is not running: cannot connect to a reader');
    const binding = this.binding!;
    // pcsc-lite serialises every call on one context behind a mutex that SCardTransmit holds for
    // the whole exchange. Each connection therefore gets a context of its own: a slow or stuck
    // card then blocks only its own worker thread, never a synchronous call made on the event
    // loop (the watchdog, another reader's connect), which would freeze the whole station.
    let context: Context;
    let card: Card;
    let reader: PcscReader | undefined;
    const idle = this.idleContexts.get(readerName)?.pop();
    try {
      context = idle?.context ?? new binding.Context();
    } catch (err) {
      throw mapPcscError(err, `connect to "${readerName}"`);
    }
    try {
      reader = idle?.reader ?? listReaders(context).find((r) => r.name === readerName);
      if (!reader) throw new ObfError('READER_GONE', `reader "${readerName}" is no longer attached`);
      card = await reader.connect(
        binding.SCARD_SHARE_SHARED,
        binding.SCARD_PROTOCOL_T0 | binding.SCARD_PROTOCOL_T1,
      );
    } catch (err) {
      closeQuietly(context);
      throw mapPcscError(err, `connect to "${readerName}"`);
    }
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the channel object outlives this call
    const self = this;
    const sessionAtConnect = session;
    let inFlight: Promise<unknown> = Promise.resolve();
    const atr = new Uint8Array(card.atr ?? card.getStatus().atr);
    const maxRecvLength = this.opts.maxRecvLength;
    return {
      reader: readerName,
      atr,
      protocol: card.protocol === binding.SCARD_PROTOCOL_T0 ? 'T=0' : 'T=1',
      async transmit(apdu) {
        let response: Buffer;
        try {
          const pending = card.transmit(Buffer.from(apdu), { maxRecvLength });
          inFlight = pending.catch(() => undefined);
          response = await pending;
        } catch (err) {
          throw mapPcscError(err, `transmit to "${readerName}"`);
        }
        if (response.length >= 2) return new Uint8Array(response);
        // vpcd (and some readers) answer an empty response when the card goes mid-command;
        // pcscd notices the removal on its next poll, so ask for the card's status a while.
        for (let waited = 0; waited <= REMOVAL_POLL_MS; waited += 50) {
          try {
            card.getStatus();
          } catch (err) {
            throw mapPcscError(err, `transmit to "${readerName}"`);
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new ObfError(
          'BAD_RESPONSE',
          `"${readerName}" answered ${response.length} bytes, no status word`,
        );
      },
      async disconnect() {
        // Never call into the context while a transmit still holds it: that would block the loop.
        await inFlight;
        let healthy = true;
        try {
          card.disconnect(binding.SCARD_LEAVE_CARD);
        } catch {
          // The card or pcscd is already gone; nothing is left to release.
          healthy = false;
        }
        // Kept for the reader's next connection, unless pcscd went away meanwhile.
        if (healthy && self.session === sessionAtConnect && self.session) {
          const list = self.idleContexts.get(readerName) ?? [];
          list.push({ context, reader });
          self.idleContexts.set(readerName, list);
        } else {
          closeQuietly(context);
        }
      },
    };
  }

  private boot(): void {
    this.retryTimer = null;
    if (!this.emit || !this.binding) return;
    const binding = this.binding;
    let context: Context;
    try {
      context = new binding.Context();
    } catch (err) {
      return this.down(err);
    }
    let readers;
    try {
      readers = listReaders(context);
    } catch (err) {
      context.close();
      return this.down(err);
    }
    const devices = new binding.Devices();
    const watchdog = setInterval(() => this.checkAlive(), this.opts.watchdogMs);
    watchdog.unref();
    this.session = { context, devices, watchdog };
    this.attempt = 0;
    this.emit({ type: 'service', state: 'up', message: `pcscd is running: ${readers.length} reader(s)` });
    for (const r of readers) this.emitReader(r.name, r.state, r.atr);

    devices.on('reader-attached', (r) => this.emitReader(r.name, r.state ?? 0, r.atr ?? null));
    devices.on('reader-detached', (r) => this.emit?.({ type: 'reader-removed', reader: r.name }));
    devices.on('card-inserted', ({ reader }) => {
      if (reader.atr)
        this.emit?.({ type: 'card-inserted', reader: reader.name, atr: new Uint8Array(reader.atr) });
    });
    devices.on('card-removed', ({ reader }) => this.emit?.({ type: 'card-removed', reader: reader.name }));
    devices.on('error', (err) => {
      if (isServiceFailure(err)) this.restart(err);
      // Other monitor errors (a card that will not power up) leave the reader as it is.
    });
    devices.start();
  }

  private emitReader(name: string, state: number, atr: Buffer | null): void {
    const present = (state & this.binding!.SCARD_STATE_PRESENT) !== 0 && atr !== null && atr.length > 0;
    this.emit?.({ type: 'reader-added', reader: name, atr: present ? new Uint8Array(atr) : null });
  }

  private checkAlive(): void {
    const session = this.session;
    if (!session) return;
    try {
      listReaders(session.context);
    } catch (err) {
      if (isServiceFailure(err)) this.restart(err);
    }
  }

  private restart(err: unknown): void {
    if (!this.session) return;
    this.teardown();
    this.down(err);
  }

  private down(err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.emit?.({ type: 'service', state: 'down', message: `pcscd is not reachable (${reason}); retrying` });
    if (!this.emit) return;
    const base = Math.min(this.opts.maxBackoffMs, this.opts.initialBackoffMs * 2 ** this.attempt);
    this.attempt++;
    const delay = base / 2 + Math.random() * (base / 2);
    this.retryTimer = setTimeout(() => this.boot(), delay);
  }

  private teardown(): void {
    const session = this.session;
    this.session = null;
    if (!session) return;
    clearInterval(session.watchdog);
    session.devices.removeAllListeners();
    session.devices.on('error', () => undefined); // late errors from a stopping monitor
    try {
      session.devices.stop();
    } catch {
      // A monitor whose daemon died may fail to stop cleanly; it is being discarded anyway.
    }
    try {
      session.context.close();
    } catch {
      // Same: the context is invalid once pcscd is gone.
    }
    for (const pooled of this.idleContexts.values()) pooled.forEach((p) => closeQuietly(p.context));
    this.idleContexts = new Map();
  }
}

type PcscReader = ReturnType<Context['listReaders']>[number];

/** A context kept from a finished connection, with the reader it found (listing is a round trip too). */
interface Pooled {
  context: Context;
  reader: PcscReader;
}

function closeQuietly(context: Context): void {
  try {
    context.close();
  } catch {
    // An invalid context (pcscd gone) has nothing to release.
  }
}

function listReaders(context: Context) {
  try {
    return context.listReaders();
  } catch (err) {
    if (err instanceof Error && /no readers? (are )?available/i.test(err.message)) return [];
    throw err;
  }
}
