import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeResponse } from '../../core/card/index.js';
import { MemoryCardStore, cardStateSchema } from './card-state.js';
import { VirtualCard } from './virtual-card.js';

// Commands a fuzzer should hit often: the ISD's and the applet's instructions with real classes.
const interesting = fc.record({
  cla: fc.constantFrom(0x00, 0x80, 0x84, 0x04, 0xa0, 0xff),
  ins: fc.constantFrom(0xa4, 0xca, 0xf2, 0x50, 0x82, 0xd8, 0xe6, 0xe2, 0xf0, 0x88, 0xc0, 0x00),
  p1: fc.integer({ min: 0, max: 255 }),
  p2: fc.integer({ min: 0, max: 255 }),
  data: fc.uint8Array({ maxLength: 60 }),
});
const apdu = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  interesting.map(({ cla, ins, p1, p2, data }) =>
    Uint8Array.from([cla, ins, p1, p2, ...(data.length ? [data.length, ...data] : [])]),
  ),
  fc.constant(Uint8Array.from([0x00, 0xa4, 0x04, 0x00, 0x07, 0xf0, 0x4f, 0x42, 0x46, 0x43, 0x4c, 0x01])),
);

describe('the virtual card under random APDUs', () => {
  it('always answers a well-formed response with a status word, and its stored state stays valid', () => {
    fc.assert(
      fc.property(fc.array(apdu, { maxLength: 40 }), (commands) => {
        const store = new MemoryCardStore();
        const card = new VirtualCard({ serial: 99, store });
        for (const c of commands) {
          const response = card.process(c);
          expect(response.length).toBeGreaterThanOrEqual(2);
          const { sw } = decodeResponse(response);
          expect(sw >> 8, `SW ${sw.toString(16)}`).toBeGreaterThanOrEqual(0x61);
          expect(sw >> 8).toBeLessThanOrEqual(0x9f);
        }
        // No random sequence may personalise or lock the card: that needs the keys.
        const state = cardStateSchema.parse(store.load());
        expect(state.lifecycle).toBe(0x01);
        expect(state.keySets.map((k) => k.kvn)).toEqual([0x30]);
        expect(state.applet).toEqual({ appKeys: {} });
      }),
      { numRuns: 300 },
    );
  });
});
