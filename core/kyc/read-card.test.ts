import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../bytes.js';
import type { CardChannel } from '../card/transport.js';
import { encodeIccid } from '../card/obf/obf-applet.js';
import { OBF_APPLET_AID } from '../card/obf/profile.js';
import { isObfError } from '../errors.js';
import { readDeviceIdentity } from './read-card.js';
import { iccidFor } from './kyc.fixture.js';

const OK = Uint8Array.of(0x90, 0x00);
const sw = (v: number) => Uint8Array.of(v >> 8, v & 0xff);

/** A scripted card: answers by command header/data; anything else is 6D00 (INS not supported). */
function card(answers: Record<string, Uint8Array>): CardChannel & { log: string[] } {
  const log: string[] = [];
  return {
    reader: 'Test Reader 0',
    atr: Uint8Array.of(0x3b, 0x00),
    protocol: 'T=1',
    log,
    transmit(apdu: Uint8Array) {
      const hex = toHex(apdu);
      log.push(hex);
      const hit = Object.entries(answers).find(([prefix]) => hex.startsWith(prefix));
      return Promise.resolve(hit ? hit[1] : sw(0x6d00));
    },
    disconnect: () => Promise.resolve(),
  };
}

const EID = '89049032123451234512345678901235';
const selectIccidFile = '00a4080402' + '2fe2';
const readBinary = '00b000000a';
const selectIsdR = '00a4040010a0000005591010ffffffff8900000100';
const getEid = '80e2910006bf3e035c015a';

describe('reading a device identity from its SE', () => {
  it('reads EF_ICCID (2FE2) and the EID from the ISD-R of an eUICC', async () => {
    const c = card({
      [selectIccidFile]: OK,
      [readBinary]: concatBytes(encodeIccid(iccidFor(7)), OK),
      [selectIsdR]: OK,
      [getEid]: concatBytes(fromHex('bf3e125a10'), fromHex(EID), OK),
    });
    expect(await readDeviceIdentity(c)).toEqual({ iccid: iccidFor(7), eid: EID });
  });

  it('falls back to the OBF applet identity on a card without a file system, and answers no EID', async () => {
    const c = card({
      [selectIccidFile]: sw(0x6a86),
      ['00a40400' + toHex(Uint8Array.of(OBF_APPLET_AID.length)) + toHex(OBF_APPLET_AID)]: OK,
      '80ca0101': concatBytes(encodeIccid(iccidFor(8)), OK),
      [selectIsdR]: sw(0x6a82),
    });
    const got = await readDeviceIdentity(c);
    expect(got).toEqual({ iccid: iccidFor(8), eid: null });
  });

  it('says what to do when the card has no ICCID to read', async () => {
    try {
      await readDeviceIdentity(card({}));
      expect.unreachable();
    } catch (err) {
      expect(isObfError(err, 'BAD_RESPONSE')).toBe(true);
      expect((err as Error).message).toMatch(/no ICCID to read .*: type or scan it instead/);
    }
  });
});
