/**
 * A GlobalPlatform session with a card's ISD over SCP03: open (INITIALIZE UPDATE + EXTERNAL
 * AUTHENTICATE), then the personalisation commands — PUT KEY, INSTALL [for personalization],
 * STORE DATA, SET STATUS, GET STATUS — each protected at the negotiated security level.
 */
import { randomBytes } from 'node:crypto';
import { bytesEqual, concatBytes, toHex } from '../../bytes.js';
import { aesCbcEncrypt, kcvAes, pad80 } from '../../crypto/index.js';
import { ObfError } from '../../errors.js';
import type { CommandApdu, ResponseApdu } from '../apdu.js';
import { ISD_AID } from '../obf/profile.js';
import { encodeDgi, type DgiRecord } from '../obf/dgi.js';
import { expectSw, transmitApdu } from '../transmit.js';
import type { CardChannel } from '../transport.js';
import {
  initializeUpdateCommand,
  parseInitializeUpdateResponse,
  scp03Handshake,
  type Scp03Wrapper,
} from './scp03.js';

export interface StaticKeys {
  enc: Uint8Array;
  mac: Uint8Array;
  dek: Uint8Array;
}

export interface OpenOptions {
  /**
   * The key set, or how to get it from the card's key diversification data (KDF3) and the
   * version of the set the card chose (with `kvn` 0, the card's current set says which keys it holds).
   */
  keys: StaticKeys | ((kdd: Uint8Array, kvn: number) => StaticKeys);
  /** Key version to open with; 0 lets the card choose its default set. */
  kvn?: number;
  /** SCP03 security level: 01, 03, 11, 13 or 33 (default 33: everything protected). */
  level?: number;
  random?: (n: number) => Uint8Array;
}

/** Largest STORE DATA block payload: a secured short APDU carries 255 − 8 (C-MAC) − 16 (padding). */
const STORE_DATA_BLOCK = 224;

export class GpSession {
  private constructor(
    readonly channel: CardChannel,
    private readonly wrapper: Scp03Wrapper,
    private readonly dek: Uint8Array,
    readonly kvn: number,
    readonly kdd: Uint8Array,
  ) {}

  static async open(channel: CardChannel, options: OpenOptions): Promise<GpSession> {
    const level = options.level ?? 0x33;
    const random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
    expectSw(
      await transmitApdu(channel, { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: ISD_AID, le: 256 }),
      'SELECT ISD',
    );
    const hostChallenge = random(8);
    const iuData = expectSw(
      await transmitApdu(channel, initializeUpdateCommand(options.kvn ?? 0, hostChallenge)),
      'INITIALIZE UPDATE',
    );
    const iu = parseInitializeUpdateResponse(iuData);
    const keys = typeof options.keys === 'function' ? options.keys(iu.kdd, iu.kvn) : options.keys;
    const handshake = scp03Handshake(keys, hostChallenge, iu, level);
    if (!handshake.cardCryptogramValid) {
      throw new ObfError(
        'CARD_AUTH_FAILED',
        `the card cryptogram does not verify with key set ${iu.kvn.toString(16)}: wrong keys for this card`,
      );
    }
    const ea = await transmitApdu(channel, handshake.externalAuthenticate);
    expectSw(ea, 'EXTERNAL AUTHENTICATE');
    handshake.wrapper.setSecurityLevel(level);
    return new GpSession(channel, handshake.wrapper, keys.dek, iu.kvn, iu.kdd);
  }

  /** Sends one command through the secure channel and opens the response. */
  async send(command: CommandApdu): Promise<ResponseApdu> {
    const response = await transmitApdu(this.channel, this.wrapper.wrap(command));
    return this.wrapper.unwrap(response);
  }

  /**
   * GP Card Spec §11.8 PUT KEY: adds a key set (replaceKvn 0) or replaces one. Keys travel
   * encrypted under this session's DEK; the card's KCVs must equal ours.
   */
  async putKeySet(
    newKvn: number,
    keys: StaticKeys,
    replaceKvn = 0,
  ): Promise<{ enc: string; mac: string; dek: string }> {
    const fields = [keys.enc, keys.mac, keys.dek].map((key) => {
      if (![16, 24, 32].includes(key.length))
        throw new ObfError('VALIDATION', `PUT KEY: AES key of ${key.length} bytes`);
      // Card profile §4: an AES-192 key is padded with random bytes to whole blocks before
      // encryption under the DEK; the key-length byte says how much of it is key.
      const padded = concatBytes(key, new Uint8Array(randomBytes((16 - (key.length % 16)) % 16)));
      const encrypted = aesCbcEncrypt(this.dek, new Uint8Array(16), padded);
      return concatBytes(
        Uint8Array.of(0x88, encrypted.length + 1, key.length),
        encrypted,
        Uint8Array.of(3),
        kcvAes(key),
      );
    });
    const data = expectSw(
      await this.send({
        cla: 0x80,
        ins: 0xd8,
        p1: replaceKvn,
        p2: 0x81,
        data: concatBytes(Uint8Array.of(newKvn), ...fields),
        le: 256,
      }),
      'PUT KEY',
    );
    const expected = concatBytes(Uint8Array.of(newKvn), kcvAes(keys.enc), kcvAes(keys.mac), kcvAes(keys.dek));
    if (!bytesEqual(data, expected)) {
      throw new ObfError(
        'BAD_RESPONSE',
        `PUT KEY: the card confirmed ${toHex(data)}, expected ${toHex(expected)}`,
      );
    }
    return { enc: toHex(kcvAes(keys.enc)), mac: toHex(kcvAes(keys.mac)), dek: toHex(kcvAes(keys.dek)) };
  }

  /** GP Card Spec §11.5.2.3: INSTALL [for personalization] of the application `aid`. */
  async installForPersonalization(aid: Uint8Array): Promise<void> {
    const data = concatBytes(Uint8Array.of(0x00, 0x00, aid.length), aid, Uint8Array.of(0x00, 0x00, 0x00));
    expectSw(
      await this.send({ cla: 0x80, ins: 0xe6, p1: 0x20, p2: 0x00, data }),
      'INSTALL [for personalization]',
    );
  }

  /**
   * GP Card Spec §11.11 STORE DATA in DGI format: plain DGIs first, then the sensitive ones with
   * every value encrypted under the DEK (P1 b6b5 = 11), in numbered blocks, the last one flagged.
   */
  async storeDgis(plain: DgiRecord[], sensitive: DgiRecord[]): Promise<void> {
    const blocks: { p1: number; data: Uint8Array }[] = [];
    const pack = (records: Uint8Array[], p1: number) => {
      let current: Uint8Array[] = [];
      let size = 0;
      for (const r of records) {
        if (r.length > STORE_DATA_BLOCK)
          throw new ObfError('VALIDATION', `a DGI of ${r.length} bytes does not fit one STORE DATA block`);
        if (size + r.length > STORE_DATA_BLOCK) {
          blocks.push({ p1, data: concatBytes(...current) });
          current = [];
          size = 0;
        }
        current.push(r);
        size += r.length;
      }
      if (current.length) blocks.push({ p1, data: concatBytes(...current) });
    };
    pack(plain.map(encodeDgi), 0x08);
    pack(
      sensitive.map(({ dgi, value }) =>
        encodeDgi({ dgi, value: aesCbcEncrypt(this.dek, new Uint8Array(16), pad80(value)) }),
      ),
      0x68,
    );
    for (const [i, block] of blocks.entries()) {
      const last = i === blocks.length - 1 ? 0x80 : 0x00;
      if (i > 0xff) throw new ObfError('VALIDATION', 'more than 256 STORE DATA blocks');
      expectSw(
        await this.send({ cla: 0x80, ins: 0xe2, p1: block.p1 | last, p2: i, data: block.data }),
        `STORE DATA block ${i}`,
      );
    }
  }

  /** GP Card Spec §11.10 SET STATUS of the card (P1 = 80). */
  async setCardStatus(state: number): Promise<void> {
    expectSw(
      await this.send({ cla: 0x80, ins: 0xf0, p1: 0x80, p2: state, data: new Uint8Array(0) }),
      'SET STATUS',
    );
  }

  /** GP Card Spec §11.4 GET STATUS of the ISD: the card life cycle state. */
  async cardLifecycle(): Promise<number> {
    const data = expectSw(
      await this.send({ cla: 0x80, ins: 0xf2, p1: 0x80, p2: 0x00, data: Uint8Array.of(0x4f, 0x00), le: 256 }),
      'GET STATUS',
    );
    return lifecycleFromStatus(data);
  }
}

/** Reads 9F70 out of a GET STATUS (E3 …) answer. */
export function lifecycleFromStatus(data: Uint8Array): number {
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] === 0x9f && data[i + 1] === 0x70 && data[i + 2] === 0x01) return data[i + 3]!;
  }
  throw new ObfError('BAD_RESPONSE', `GET STATUS answer carries no life cycle state: ${toHex(data)}`);
}
