/**
 * One command-response pair over a CardChannel, with the ISO/IEC 7816-3 §10.3.3 / 7816-4 §5.1.3
 * status words that ask the terminal to act handled here: 61XX (fetch with GET RESPONSE) and
 * 6CXX (re-issue with Le = XX). Callers see a single response.
 */
import { concatBytes, toHex } from '../bytes.js';
import { ObfError } from '../errors.js';
import {
  decodeResponse,
  encodeCommand,
  logicalChannelOf,
  swHex,
  withLogicalChannel,
  type CommandApdu,
  type ResponseApdu,
} from './apdu.js';
import { swError } from './status-words.js';
import type { CardChannel } from './transport.js';

export interface TransmitOptions {
  /** GET RESPONSE rounds after which a card still answering 61XX is a BAD_RESPONSE (default 32). */
  maxGetResponse?: number;
}

const DEFAULT_MAX_GET_RESPONSE = 32;

const header = (c: CommandApdu): string => toHex(Uint8Array.of(c.cla, c.ins, c.p1, c.p2)).toUpperCase();

/**
 * The class byte for GET RESPONSE (ISO 7816-4 §7.6.1): the interindustry class on the command's
 * logical channel (§5.4.1), without secure messaging, chaining or the proprietary bit. GP's
 * supplementary-channel classes C0–CF/E0–EF map to 40–4F like ISO's further interindustry ones.
 */
export function getResponseCla(cla: number): number {
  return withLogicalChannel(0x00, logicalChannelOf(cla));
}

/** Sends `command` once more with Le = SW2 if the card answers 6CXX (ISO 7816-3 §10.3.3). */
async function exchange(channel: CardChannel, command: CommandApdu): Promise<ResponseApdu> {
  const response = decodeResponse(await channel.transmit(encodeCommand(command)));
  if (response.sw >> 8 !== 0x6c) return response;
  const le = response.sw & 0xff || 256;
  const again = decodeResponse(await channel.transmit(encodeCommand({ ...command, le })));
  if (again.sw >> 8 === 0x6c)
    throw new ObfError(
      'BAD_RESPONSE',
      `command ${header(command)}: the card answered ${swHex(again.sw)} to the re-issue with Le=${le}`,
    );
  return again;
}

/**
 * Transmits `command` and returns the complete response: data of every 61XX round and of the
 * final response joined, with the final status word. A status word that is an error is returned,
 * not thrown; use `expectSw` for that.
 */
export async function transmitApdu(
  channel: CardChannel,
  command: CommandApdu,
  options: TransmitOptions = {},
): Promise<ResponseApdu> {
  const maxRounds = options.maxGetResponse ?? DEFAULT_MAX_GET_RESPONSE;
  if (!Number.isInteger(maxRounds) || maxRounds < 0)
    throw new RangeError(`maxGetResponse must be a non-negative integer, got ${maxRounds}`);

  let response = await exchange(channel, command);
  const parts: Uint8Array[] = [];
  // ISO 7816-4 §5.1.3 Table 5 / §7.6.1: 61XX, XX bytes (00: 256) wait for GET RESPONSE.
  for (let round = 0; response.sw >> 8 === 0x61; round++) {
    if (round === maxRounds)
      throw new ObfError(
        'BAD_RESPONSE',
        `command ${header(command)}: the card still answered ${swHex(response.sw)} after ${maxRounds} GET RESPONSE rounds`,
      );
    parts.push(response.data);
    const le = response.sw & 0xff || 256;
    response = await exchange(channel, {
      cla: getResponseCla(command.cla),
      ins: 0xc0,
      p1: 0,
      p2: 0,
      data: new Uint8Array(0),
      le,
    });
  }
  return parts.length ? { data: concatBytes(...parts, response.data), sw: response.sw } : response;
}

/**
 * The data of `response` if its status word is one of `accepted` (9000 when none is given),
 * else the SW_XXXX error of `swError` with `context` (e.g. "PUT KEY") leading its message.
 */
export function expectSw(response: ResponseApdu, context: string, ...accepted: number[]): Uint8Array {
  const ok = accepted.length ? accepted : [0x9000];
  if (!ok.includes(response.sw)) throw swError(response.sw, context);
  return response.data;
}
