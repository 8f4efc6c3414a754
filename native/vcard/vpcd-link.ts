/**
 * The card side of vsmartcard's vpcd protocol: the virtual card is the TCP client of the
 * driver loaded by pcscd. Every frame is a 2-byte big-endian length then its payload; a
 * 1-byte payload is a control code (0 power off, 1 power on, 2 reset, 4 ATR request — only
 * the ATR request is answered); anything longer is a command APDU, answered by the response.
 * Closing the socket removes the card from the reader.
 */
import { Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import type { VirtualCard } from './virtual-card.js';

const CONTROL = { OFF: 0, ON: 1, RESET: 2, ATR: 4 } as const;
const RECONNECT_MS = 250;

export type LinkState = 'removed' | 'connecting' | 'inserted';

interface LinkEvents {
  state: [state: LinkState];
}

export class VpcdLink extends EventEmitter<LinkEvents> {
  private socket: Socket | null = null;
  private buffer = Buffer.alloc(0);
  private wanted = false;
  private stallNext = false;
  private retry: NodeJS.Timeout | null = null;
  private current: LinkState = 'removed';

  constructor(
    private card: VirtualCard,
    readonly port: number,
    readonly host = '127.0.0.1',
  ) {
    super();
  }

  get state(): LinkState {
    return this.current;
  }

  /** Inserts the card: connects to vpcd and keeps reconnecting (a restarted pcscd) until removed. */
  insert(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.open();
  }

  remove(): void {
    this.wanted = false;
    this.stallNext = false;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.socket?.destroy();
    this.socket = null;
    this.setState('removed');
  }

  /**
   * Puts another card in the reader without the reader seeing it go: what a card handler does
   * between two PC/SC presence polls. The next connection resets and talks to the new card.
   */
  swapCard(card: VirtualCard): void {
    this.card = card;
  }

  /** The next command is swallowed unanswered: lets a test pull the card mid-command. */
  stall(): void {
    this.stallNext = true;
  }

  private setState(state: LinkState): void {
    if (state === this.current) return;
    this.current = state;
    this.emit('state', state);
  }

  private open(): void {
    this.setState('connecting');
    const socket = new Socket();
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.card.reset();
      this.setState('inserted');
    });
    socket.on('data', (chunk) => this.onData(socket, chunk));
    socket.on('error', () => undefined); // 'close' follows and decides what to do
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (!this.wanted) return;
      this.setState('connecting');
      this.retry = setTimeout(() => {
        this.retry = null;
        if (this.wanted) this.open();
      }, RECONNECT_MS);
    });
    socket.connect(this.port, this.host);
  }

  private onData(socket: Socket, chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 2) {
      const length = this.buffer.readUInt16BE(0);
      if (this.buffer.length < 2 + length) return;
      const payload = this.buffer.subarray(2, 2 + length);
      this.buffer = this.buffer.subarray(2 + length);
      const reply = this.handle(payload);
      if (reply) socket.write(frame(reply));
    }
  }

  private handle(payload: Uint8Array): Uint8Array | null {
    if (payload.length === 1) {
      const code = payload[0];
      if (code === CONTROL.ATR) return this.card.atr;
      if (code === CONTROL.ON || code === CONTROL.RESET) this.card.reset();
      return null;
    }
    if (this.stallNext) {
      this.stallNext = false;
      return null;
    }
    return this.card.process(payload);
  }
}

function frame(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(2 + payload.length);
  out.writeUInt16BE(payload.length, 0);
  out.set(payload, 2);
  return out;
}
