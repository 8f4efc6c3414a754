import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, it, expect } from 'vitest';
import { runVpcdSim, VPCD_BASE_PORT } from './vpcd-sim.js';

type Line = Record<string, unknown> & { event: string };

/** Reads the JSON lines the simulator writes and lets a test wait for one. */
class Lines {
  readonly all: Line[] = [];
  private rest = '';
  private waiters: (() => void)[] = [];

  constructor(stream: PassThrough) {
    stream.on('data', (chunk: Buffer) => {
      const text = this.rest + chunk.toString('utf8');
      const parts = text.split('\n');
      this.rest = parts.pop() ?? '';
      for (const p of parts) this.all.push(JSON.parse(p) as Line);
      this.waiters.splice(0).forEach((w) => w());
    });
  }

  async next(match: (l: Line) => boolean, from = 0, timeoutMs = 2000): Promise<Line> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.all.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching line in ${JSON.stringify(this.all)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }
}

describe('runVpcdSim', () => {
  let server: Server | undefined;
  let sockets: Socket[] = [];
  let controller: AbortController | undefined;
  let running: Promise<void> | undefined;

  async function fakeVpcd(): Promise<number> {
    server = createServer((s) => sockets.push(s));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }

  function start(options: { slots: number; basePort: number; empty?: boolean }) {
    const input = new PassThrough();
    const output = new PassThrough();
    const lines = new Lines(output);
    controller = new AbortController();
    running = runVpcdSim({ ...options, host: '127.0.0.1', input, output, signal: controller.signal });
    return { input, lines };
  }

  afterEach(async () => {
    controller?.abort();
    await running;
    controller = undefined;
    running = undefined;
    for (const s of sockets) s.destroy();
    sockets = [];
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
  });

  it('uses vsmartcard’s default port 35963 as the base', () => {
    expect(VPCD_BASE_PORT).toBe(35963);
  });

  it('says ready with its slots and their ports, then plugs the card in', async () => {
    const port = await fakeVpcd();
    const { lines } = start({ slots: 1, basePort: port });
    expect(await lines.next((l) => l.event === 'ready')).toEqual({ event: 'ready', slots: 1, ports: [port] });
    await lines.next((l) => l.event === 'state' && l.state === 'inserted');
    expect(sockets).toHaveLength(1);
  });

  it('gives slot i the port base+i', async () => {
    const { lines } = start({ slots: 3, basePort: 40000, empty: true });
    expect(await lines.next((l) => l.event === 'ready')).toEqual({
      event: 'ready',
      slots: 3,
      ports: [40000, 40001, 40002],
    });
  });

  it('leaves every slot removed when started empty', async () => {
    const { input, lines } = start({ slots: 2, basePort: 40000, empty: true });
    input.write('status\n');
    expect(await lines.next((l) => l.event === 'status')).toEqual({
      event: 'status',
      states: ['removed', 'removed'],
    });
  });

  it('removes a card on "remove 0", acknowledges it and reports the new state', async () => {
    const port = await fakeVpcd();
    const { input, lines } = start({ slots: 1, basePort: port });
    await lines.next((l) => l.event === 'state' && l.state === 'inserted');
    const from = lines.all.length;
    input.write('remove 0\n');
    expect(await lines.next((l) => l.event === 'ack', from)).toEqual({
      event: 'ack',
      verb: 'remove',
      slot: 0,
    });
    expect(await lines.next((l) => l.event === 'state', from)).toEqual({
      event: 'state',
      slot: 0,
      state: 'removed',
      port,
    });
    input.write('status\n');
    expect(await lines.next((l) => l.event === 'status', from)).toEqual({
      event: 'status',
      states: ['removed'],
    });
  });

  it('inserts a card again on "insert 0"', async () => {
    const port = await fakeVpcd();
    const { input, lines } = start({ slots: 1, basePort: port, empty: true });
    input.write('insert 0\n');
    await lines.next((l) => l.event === 'ack' && l.verb === 'insert');
    await lines.next((l) => l.event === 'state' && l.state === 'inserted');
    expect(sockets).toHaveLength(1);
  });

  it('answers an unknown control line with an error event', async () => {
    const { input, lines } = start({ slots: 1, basePort: 40000, empty: true });
    input.write('eject 0\n');
    const error = await lines.next((l) => l.event === 'error');
    expect(error.message).toContain('eject 0');
  });

  it('answers a slot that does not exist with an error event', async () => {
    const { input, lines } = start({ slots: 1, basePort: 40000, empty: true });
    input.write('remove 5\n');
    input.write('stall x\n');
    await lines.next((l) => l.event === 'error' && String(l.message).includes('remove 5'));
    await lines.next((l) => l.event === 'error' && String(l.message).includes('stall x'));
    expect(lines.all.some((l) => l.event === 'ack')).toBe(false);
  });

  it('ignores blank lines', async () => {
    const { input, lines } = start({ slots: 1, basePort: 40000, empty: true });
    input.write('\n   \nstatus\n');
    await lines.next((l) => l.event === 'status');
    expect(lines.all.map((l) => l.event)).toEqual(['ready', 'status']);
  });

  it('ends with a stopped line when aborted, and removes its cards', async () => {
    const port = await fakeVpcd();
    const { lines } = start({ slots: 1, basePort: port });
    await lines.next((l) => l.event === 'state' && l.state === 'inserted');
    const closed = once(sockets[0]!, 'close');
    controller!.abort();
    await running;
    await closed;
    expect(lines.all.at(-1)).toEqual({ event: 'stopped' });
    expect(lines.all.filter((l) => l.event === 'state').at(-1)).toMatchObject({ state: 'removed' });
  });

  it('ends with a stopped line on "quit"', async () => {
    const { input, lines } = start({ slots: 1, basePort: 40000, empty: true });
    input.write('quit\n');
    await running;
    expect(lines.all.at(-1)).toEqual({ event: 'stopped' });
  });

  it('stops at once when its signal is already aborted', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const lines = new Lines(output);
    await runVpcdSim({ slots: 1, basePort: 40000, empty: true, input, output, signal: AbortSignal.abort() });
    await new Promise((r) => setImmediate(r));
    expect(lines.all.map((l) => l.event)).toEqual(['ready', 'stopped']);
  });
});
