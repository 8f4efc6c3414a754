/**
 * What a virtual card remembers across power cycles, like a real card's EEPROM: its key sets,
 * life cycle, SCP03 sequence counter and the OBF applet's personalisation. A file store writes
 * it atomically (temporary file, fsync, rename) after every change.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { dirname } from 'node:path';
import { z } from 'zod';
import { concatBytes, fromHex, toHex } from '../../core/bytes.js';
import { Lifecycle, TRANSPORT_KVN } from '../../core/card/obf/profile.js';
import { diversifyKeySet } from '../../core/crypto/index.js';

const hex = z.string().regex(/^(?:[0-9a-f]{2})*$/);

export const cardStateSchema = z.object({
  version: z.literal(1),
  serial: z.number().int().nonnegative(),
  lifecycle: z.number().int(),
  sequenceCounter: z.number().int().nonnegative().max(0xffffff),
  keySets: z.array(z.object({ kvn: z.number().int().min(1).max(0x7f), enc: hex, mac: hex, dek: hex })),
  applet: z.object({
    iccid: hex.optional(),
    impi: z.string().optional(),
    domain: z.string().optional(),
    amf: hex.optional(),
    /** SQN_MS: the highest sequence number accepted (TS 33.102 Annex C), 6 bytes. */
    sqnMs: hex.optional(),
    k: hex.optional(),
    opc: hex.optional(),
    appKeys: z.record(z.string(), hex),
  }),
});
export type CardState = z.infer<typeof cardStateSchema>;

export interface CardStore {
  load(): CardState | null;
  save(state: CardState): void;
}

export class MemoryCardStore implements CardStore {
  private state: CardState | null = null;
  load(): CardState | null {
    return this.state ? structuredClone(this.state) : null;
  }
  save(state: CardState): void {
    this.state = structuredClone(state);
  }
}

export class FileCardStore implements CardStore {
  constructor(readonly path: string) {}

  load(): CardState | null {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return null;
    }
    const parsed = cardStateSchema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new Error(`card state file ${this.path} is corrupt: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }

  save(state: CardState): void {
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileAtomic(this.path, JSON.stringify(state, null, 2));
  }
}

/**
 * The development vendor profile of the virtual SE: the vendor master key from which every
 * card's transport key set (KVN 30) is diversified by KDF3. A real vendor delivers its master
 * (or per-card keys) to the KMS; this one is public and only for simulated cards.
 */
export const DEV_VENDOR_MASTER = fromHex('404142434445464748494a4b4c4d4e4f');

/** Key diversification data (10 bytes) of a virtual card: 'OBF' ‖ 00 ‖ serial (4) ‖ 00 00. */
export function kddForSerial(serial: number): Uint8Array {
  const s = new Uint8Array(4);
  new DataView(s.buffer).setUint32(0, serial >>> 0);
  return concatBytes(fromHex('4f424600'), s, fromHex('0000'));
}

export function newCardState(serial: number, vendorMaster: Uint8Array = DEV_VENDOR_MASTER): CardState {
  const keys = diversifyKeySet(vendorMaster, kddForSerial(serial));
  return {
    version: 1,
    serial,
    lifecycle: Lifecycle.OP_READY,
    sequenceCounter: 0,
    keySets: [{ kvn: TRANSPORT_KVN, enc: toHex(keys.enc), mac: toHex(keys.mac), dek: toHex(keys.dek) }],
    applet: { appKeys: {} },
  };
}
