import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, it, expect } from 'vitest';
import { fromHex, toHex } from '../../core/index.js';
import { VIRTUAL_ATR, VirtualCard } from './virtual-card.js';
import { VpcdLink, type LinkState } from './vpcd-link.js';

const SELECT_ISD = fromHex('00a4040008a000000151000000');
const SELECT_OBF = fromHex('00a4040007f04f4246434c01');
const GET_CIN = fromHex('80ca004500');

function frame(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(2 + payload.length);
  out.writeUInt16BE(payload.length, 0);
  out.set(payload, 2);
  return out;
}

/** One accepted connection, seen from the vpcd (server) side: sends frames, reads framed replies. */
class VpcdConnection {
  private buffer = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiter: (() => void) | null = null;
  readonly closed: Promise<void>;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 2) {
        const n = this.buffer.readUInt16BE(0);
        if (this.buffer.length < 2 + n) break;
        this.frames.push(Buffer.from(this.buffer.subarray(2, 2 + n)));
        this.buffer = this.buffer.subarray(2 + n);
      }
      this.waiter?.();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  send(payload: Uint8Array): void {
    this.socket.write(frame(payload));
  }

  /** The next frame the card sends, as hex. */
  async reply(timeoutMs = 2000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (Date.now() > deadline) throw new Error('no reply from the card');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
      this.waiter = null;
    }
    return toHex(this.frames.shift()!);
  }

  /** Sends, in one write, the given frames and then an ATR request; returns every reply up to the ATR. */
  async repliesBeforeAtr(...payloads: Uint8Array[]): Promise<string[]> {
    this.socket.write(Buffer.concat([...payloads, Uint8Array.of(4)].map(frame)));
    const replies: string[] = [];
    for (;;) {
      const r = await this.reply();
      if (r === toHex(VIRTUAL_ATR)) return replies;
      replies.push(r);
    }
  }
}

class FakeVpcd {
  private readonly server: Server = createServer((socket) => this.accept(socket));
  private readonly pending: VpcdConnection[] = [];
  private waiter: ((c: VpcdConnection) => void) | null = null;
  readonly connections: VpcdConnection[] = [];
  port = 0;

  async listen(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  private accept(socket: Socket): void {
    const connection = new VpcdConnection(socket);
    this.connections.push(connection);
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(connection);
    } else this.pending.push(connection);
  }

  connection(timeoutMs = 2000): Promise<VpcdConnection> {
    const ready = this.pending.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the card did not connect')), timeoutMs);
      this.waiter = (c) => {
        clearTimeout(timer);
        resolve(c);
      };
    });
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function untilState(link: VpcdLink, state: LinkState, timeoutMs = 2000): Promise<void> {
  if (link.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      link.off('state', onState);
      reject(new Error(`link did not reach "${state}" (is "${link.state}")`));
    }, timeoutMs);
    const onState = (s: LinkState) => {
      if (s !== state) return;
      clearTimeout(timer);
      link.off('state', onState);
      resolve();
    };
    link.on('state', onState);
  });
}

describe('VpcdLink', () => {
  let vpcd: FakeVpcd;
  let link: VpcdLink | undefined;

  async function inserted(serial = 1) {
    vpcd = new FakeVpcd();
    await vpcd.listen();
    link = new VpcdLink(new VirtualCard({ serial }), vpcd.port);
    const states: LinkState[] = [];
    link.on('state', (s) => states.push(s));
    link.insert();
    const connection = await vpcd.connection();
    await untilState(link, 'inserted');
    return { link, connection, states };
  }

  afterEach(async () => {
    link?.remove();
    link = undefined;
    await vpcd?.close();
  });

  it('starts removed and connects to 127.0.0.1 by default', () => {
    const l = new VpcdLink(new VirtualCard({ serial: 1 }), 35963);
    expect(l.state).toBe('removed');
    expect(l.host).toBe('127.0.0.1');
    expect(l.port).toBe(35963);
  });

  it('goes from connecting to inserted once vpcd accepts the connection', async () => {
    const { states } = await inserted();
    expect(states).toEqual(['connecting', 'inserted']);
  });

  it('answers the ATR request (control byte 4) with the ATR frame', async () => {
    const { connection } = await inserted();
    connection.send(Uint8Array.of(4));
    expect(await connection.reply()).toBe(toHex(VIRTUAL_ATR));
  });

  it('answers a command APDU with the card response ending 9000', async () => {
    const { connection } = await inserted();
    connection.send(SELECT_ISD);
    const response = await connection.reply();
    expect(response.endsWith('9000')).toBe(true);
    expect(response).toContain('a000000151000000');
  });

  it('answers frames that arrive split across several TCP chunks', async () => {
    const { connection } = await inserted();
    const bytes = frame(SELECT_ISD);
    connection.socket.write(bytes.subarray(0, 1));
    await new Promise((r) => setTimeout(r, 20));
    connection.socket.write(bytes.subarray(1, 6));
    await new Promise((r) => setTimeout(r, 20));
    connection.socket.write(bytes.subarray(6));
    expect((await connection.reply()).endsWith('9000')).toBe(true);
  });

  it('does not answer power off, power on or reset (control bytes 0, 1, 2)', async () => {
    const { connection } = await inserted();
    const replies = await connection.repliesBeforeAtr(Uint8Array.of(0), Uint8Array.of(1), Uint8Array.of(2));
    expect(replies).toEqual([]);
  });

  it('resets the card on power on, so the ISD is selected again', async () => {
    const { connection } = await inserted();
    const replies = await connection.repliesBeforeAtr(SELECT_OBF, GET_CIN, Uint8Array.of(1), GET_CIN);
    expect(replies.map((r) => r.slice(-4))).toEqual(['9000', '6a88', '9000']);
  });

  it('swallows the next command unanswered after stall(), then answers again', async () => {
    const { link, connection } = await inserted();
    link.stall();
    expect(await connection.repliesBeforeAtr(SELECT_ISD)).toEqual([]);
    expect(await connection.repliesBeforeAtr(SELECT_ISD)).toHaveLength(1);
  });

  it('still answers control bytes while a stall is pending', async () => {
    const { link, connection } = await inserted();
    link.stall();
    connection.send(Uint8Array.of(4));
    expect(await connection.reply()).toBe(toHex(VIRTUAL_ATR));
    expect(await connection.repliesBeforeAtr(SELECT_ISD)).toEqual([]);
  });

  it('goes back to connecting when vpcd drops the socket, then reconnects and is inserted again', async () => {
    const { link, connection, states } = await inserted();
    connection.socket.destroy();
    await untilState(link, 'connecting');
    const second = await vpcd.connection();
    await untilState(link, 'inserted');
    expect(states).toEqual(['connecting', 'inserted', 'connecting', 'inserted']);
    second.send(SELECT_ISD);
    expect((await second.reply()).endsWith('9000')).toBe(true);
  });

  it('closes the socket on remove() and stops reconnecting', async () => {
    const { link, connection, states } = await inserted();
    link.remove();
    await connection.closed;
    expect(link.state).toBe('removed');
    expect(states.at(-1)).toBe('removed');
    await new Promise((r) => setTimeout(r, 400));
    expect(vpcd.connections).toHaveLength(1);
    expect(link.state).toBe('removed');
  });

  it('cancels a pending reconnection when removed while connecting', async () => {
    const { link, connection } = await inserted();
    connection.socket.destroy();
    await untilState(link, 'connecting');
    link.remove();
    await new Promise((r) => setTimeout(r, 400));
    expect(vpcd.connections).toHaveLength(1);
    expect(link.state).toBe('removed');
  });

  it('connects only once when insert() is called twice', async () => {
    const { link } = await inserted();
    link.insert();
    await new Promise((r) => setTimeout(r, 100));
    expect(vpcd.connections).toHaveLength(1);
  });
});
