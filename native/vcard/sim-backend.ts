import type { BackendEvent, CardChannel, SimulatedReaderBackend } from '../../core/card/index.js';
import { ObfError } from '../../core/index.js';
import { VirtualCard } from './virtual-card.js';

interface Slot {
  card: VirtualCard | null;
  /** Bumped on every insert or removal, so an in-flight command notices its card is gone. */
  generation: number;
}

export interface SimBackendOptions {
  slots: number;
  /** Insert a card in every reader at start (the demo default). */
  cardsPresent?: boolean;
  namePrefix?: string;
  /** Why simulated readers are in use, shown with the service state. */
  reason?: string;
}

/**
 * Simulated readers in this process: the demo default when no PC/SC reader exists, and the
 * in-process transport for unit tests. Each reader holds a virtual card that can be inserted
 * or removed by software.
 */
export class SimReaderBackend implements SimulatedReaderBackend {
  readonly source = 'sim' as const;
  private readonly slots = new Map<string, Slot>();
  private emit: ((event: BackendEvent) => void) | null = null;
  private serial = 0x1000;

  constructor(private readonly options: SimBackendOptions) {
    if (!Number.isInteger(options.slots) || options.slots < 1 || options.slots > 16) {
      throw new ObfError('VALIDATION', `simulated readers: slots must be 1..16, got ${options.slots}`);
    }
    const prefix = options.namePrefix ?? 'OBF Simulated Reader';
    for (let i = 0; i < options.slots; i++) {
      this.slots.set(`${prefix} ${i}`, {
        card: options.cardsPresent === false ? null : this.newCard(),
        generation: 0,
      });
    }
  }

  get readerNames(): string[] {
    return [...this.slots.keys()];
  }

  start(emit: (event: BackendEvent) => void): void {
    this.emit = emit;
    const why = this.options.reason ? `: ${this.options.reason}` : '';
    emit({ type: 'service', state: 'up', message: `${this.slots.size} simulated readers${why}` });
    for (const [reader, slot] of this.slots)
      emit({ type: 'reader-added', reader, atr: slot.card?.atr ?? null });
  }

  stop(): Promise<void> {
    this.emit = null;
    return Promise.resolve();
  }

  insert(reader: string): void {
    const slot = this.slot(reader);
    if (slot.card) return;
    slot.card = this.newCard();
    slot.generation++;
    this.emit?.({ type: 'card-inserted', reader, atr: slot.card.atr });
  }

  remove(reader: string): void {
    const slot = this.slot(reader);
    if (!slot.card) return;
    slot.card = null;
    slot.generation++;
    this.emit?.({ type: 'card-removed', reader });
  }

  /** The reader itself goes away (a USB reader pulled out): its card with it. */
  unplug(reader: string): void {
    const slot = this.slot(reader);
    slot.card = null;
    slot.generation++;
    this.slots.delete(reader);
    this.emit?.({ type: 'reader-removed', reader });
  }

  async connect(reader: string): Promise<CardChannel> {
    await Promise.resolve(); // an unknown reader rejects, like every other failure, rather than throwing
    const slot = this.slot(reader);
    const card = slot.card;
    if (!card) throw new ObfError('NO_CARD', `no card in reader "${reader}"`);
    const generation = slot.generation;
    let open = true;
    card.reset();
    const channel: CardChannel = {
      reader,
      atr: card.atr,
      protocol: 'T=1',
      transmit: async (apdu) => {
        if (!open) throw new ObfError('VALIDATION', `the channel to "${reader}" is closed`);
        await new Promise((r) => setImmediate(r));
        if (slot.generation !== generation || !slot.card) {
          throw new ObfError('CARD_REMOVED', `the card was removed from "${reader}"`);
        }
        return card.process(apdu);
      },
      disconnect: () => {
        open = false;
        return Promise.resolve();
      },
    };
    return channel;
  }

  private slot(reader: string): Slot {
    const slot = this.slots.get(reader);
    if (!slot) throw new ObfError('NO_READER', `no simulated reader named "${reader}"`);
    return slot;
  }

  private newCard(): VirtualCard {
    return new VirtualCard({ serial: this.serial++ });
  }
}
