/**
 * `obf-station sim`: plugs N virtual cards into vpcd. Slot i connects to port base+i (vpcd's
 * first reader entry serves 35963 and 35964, the second 35965 and 35966, …). It runs in its own
 * process, never beside the PC/SC binding: a synchronous reset there would deadlock waiting
 * for the ATR this process answers.
 *
 * Control lines on stdin: `insert N`, `remove N`, `stall N` (the next command is not answered),
 * `swap N` (a blank card replaces the one in slot N without the reader seeing it: what a card
 * handler does between two PC/SC presence polls, on the station's word), `status`, `quit`. Every state change is one JSON line on stdout. The simulator runs until
 * `quit` or its abort signal (SIGINT/SIGTERM in the CLI); a closed stdin only ends the control
 * lines, so `obf-station sim --slots 4 &` keeps its cards plugged in.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { join } from 'node:path';
import { FileCardStore } from './card-state.js';
import { VirtualCard } from './virtual-card.js';
import { VpcdLink } from './vpcd-link.js';

export const VPCD_BASE_PORT = 0x8c7b; // 35963, vsmartcard's default CHANNELID

export interface VpcdSimOptions {
  slots: number;
  basePort?: number;
  host?: string;
  empty?: boolean;
  input: Readable;
  output: Writable;
  signal?: AbortSignal;
  /** Keep each card's state in DIR/card-N.json across runs, like a real card keeps its keys. */
  stateDir?: string;
}

export function runVpcdSim(options: VpcdSimOptions): Promise<void> {
  const basePort = options.basePort ?? VPCD_BASE_PORT;
  const say = (obj: Record<string, unknown>) => options.output.write(JSON.stringify(obj) + '\n');
  const fed = new Array<number>(options.slots).fill(0);
  // Slot s's n-th blank card: serial 0x2000 + s for the first (as before feeding existed), then
  // one range of 2^20 serials per slot, so fed cards never share a CIN or a KDD.
  const blank = (slot: number) => {
    const serial = fed[slot] === 0 ? 0x2000 + slot : 0x01000000 + slot * 0x100000 + fed[slot]!;
    fed[slot]!++;
    const name = fed[slot] === 1 ? `card-${slot}.json` : `card-${slot}-${fed[slot]! - 1}.json`;
    const store = options.stateDir ? new FileCardStore(join(options.stateDir, name)) : undefined;
    return new VirtualCard({ serial, ...(store ? { store } : {}) });
  };
  const links = Array.from({ length: options.slots }, (_, slot) => {
    const link = new VpcdLink(blank(slot), basePort + slot, options.host);
    link.on('state', (state) => say({ event: 'state', slot, state, port: link.port }));
    return link;
  });
  say({ event: 'ready', slots: options.slots, ports: links.map((l) => l.port) });
  if (!options.empty) links.forEach((l) => l.insert());

  return new Promise((resolve) => {
    const rl = createInterface({ input: options.input });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      links.forEach((l) => l.remove());
      rl.close();
      say({ event: 'stopped' });
      resolve();
    };
    if (options.signal?.aborted) return finish();
    options.signal?.addEventListener('abort', finish, { once: true });
    rl.on('line', (line) => {
      const [verb, arg] = line.trim().split(/\s+/);
      if (!verb) return;
      if (verb === 'quit') return finish();
      if (verb === 'status') return say({ event: 'status', states: links.map((l) => l.state) });
      const slot = Number(arg);
      const link = Number.isInteger(slot) ? links[slot] : undefined;
      if (!link || !['insert', 'remove', 'stall', 'swap'].includes(verb)) {
        return say({ event: 'error', message: `unknown control line "${line.slice(0, 80)}"` });
      }
      if (verb === 'insert') link.insert();
      else if (verb === 'remove') link.remove();
      else if (verb === 'swap') link.swapCard(blank(slot));
      else link.stall();
      say({ event: 'ack', verb, slot, ...(verb === 'swap' ? { cards: fed[slot] } : {}) });
    });
  });
}
