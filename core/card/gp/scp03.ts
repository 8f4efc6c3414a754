/**
 * GlobalPlatform SCP03 host side (Card Spec v2.3 Amendment D): INITIALIZE UPDATE /
 * EXTERNAL AUTHENTICATE, and the secure messaging of every command after them — C-MAC with MAC
 * chaining, C-DECRYPTION with the encryption counter, R-MAC and R-ENCRYPTION.
 */
import { bytesEqual, concatBytes } from '../../bytes.js';
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCmac,
  aesEcbEncrypt,
  cryptogram,
  deriveSessionKeys,
  pad80,
  unpad80,
  type Scp03SessionKeys,
} from '../../crypto/index.js';
import { ObfError } from '../../errors.js';
import type { CommandApdu, ResponseApdu } from '../apdu.js';

/** Amd D §5.1: security level bits (P1 of EXTERNAL AUTHENTICATE). */
export const SecurityLevel = { cMac: 0x01, cDecryption: 0x02, rMac: 0x10, rEncryption: 0x20 } as const;

/** The levels Amd D allows: C-MAC always; C-DEC and R-MAC on their own or together; R-ENC only with both. */
export const validSecurityLevels = [0x01, 0x03, 0x11, 0x13, 0x33] as const;

export function checkSecurityLevel(level: number): void {
  if (!(validSecurityLevels as readonly number[]).includes(level)) {
    const names = validSecurityLevels.map((l) => l.toString(16).padStart(2, '0')).join(', ');
    throw new ObfError(
      'VALIDATION',
      `SCP03 security level must be one of ${names}; got ${level.toString(16).padStart(2, '0')}`,
    );
  }
}

export interface InitializeUpdateResponse {
  /** Key diversification data (10 bytes): what KDF3 diversifies the card's keys with. */
  kdd: Uint8Array;
  kvn: number;
  scpId: number;
  /** The "i" parameter: b5 (0x10) pseudo-random card challenge, b6 R-MAC, b7 R-ENC support. */
  iParam: number;
  cardChallenge: Uint8Array;
  cardCryptogram: Uint8Array;
  sequenceCounter?: Uint8Array;
}

/** Amd D §7.1.1.6: 10 KDD ‖ 3 key information ‖ 8 card challenge ‖ 8 card cryptogram [‖ 3 sequence counter]. */
export function parseInitializeUpdateResponse(data: Uint8Array): InitializeUpdateResponse {
  if (data.length !== 29 && data.length !== 32) {
    throw new ObfError(
      'BAD_RESPONSE',
      `INITIALIZE UPDATE response must be 29 or 32 bytes, got ${data.length}`,
    );
  }
  const scpId = data[11]!;
  if (scpId !== 0x03)
    throw new ObfError(
      'BAD_RESPONSE',
      `the card answered SCP${scpId.toString(16).padStart(2, '0')}, not SCP03`,
    );
  const iParam = data[12]!;
  const pseudoRandom = (iParam & 0x10) !== 0;
  if (pseudoRandom !== (data.length === 32)) {
    throw new ObfError(
      'BAD_RESPONSE',
      `i=${iParam.toString(16)} and a ${data.length}-byte response disagree about the sequence counter`,
    );
  }
  return {
    kdd: data.slice(0, 10),
    kvn: data[10]!,
    scpId,
    iParam,
    cardChallenge: data.slice(13, 21),
    cardCryptogram: data.slice(21, 29),
    ...(data.length === 32 ? { sequenceCounter: data.slice(29, 32) } : {}),
  };
}

/** GP Card Spec §11.11: INITIALIZE UPDATE, P1 = KVN (00 = any), host challenge of 8 bytes. */
export function initializeUpdateCommand(kvn: number, hostChallenge: Uint8Array): CommandApdu {
  if (hostChallenge.length !== 8)
    throw new ObfError('VALIDATION', `the host challenge is 8 bytes, got ${hostChallenge.length}`);
  return { cla: 0x80, ins: 0x50, p1: kvn, p2: 0x00, data: hostChallenge, le: 256 };
}

/** Amd D §6.2.6: the 16-byte encryption counter, incremented big-endian in place. */
export function incrementCounter(counter: Uint8Array): void {
  for (let i = counter.length - 1; i >= 0; i--) {
    counter[i] = (counter[i]! + 1) & 0xff;
    if (counter[i] !== 0) return;
  }
}

/**
 * Secure messaging for one session. `wrap` protects a command for the card; `unwrap` checks and
 * opens the card's response. The MAC chaining value and the encryption counter live here.
 */
export class Scp03Wrapper {
  private chaining: Uint8Array = new Uint8Array(16);
  private readonly counter = new Uint8Array(16);

  constructor(
    private readonly keys: Scp03SessionKeys,
    private level: number,
  ) {}

  get securityLevel(): number {
    return this.level;
  }

  /** After EXTERNAL AUTHENTICATE (sent with C-MAC only) the session runs at the negotiated level. */
  setSecurityLevel(level: number): void {
    checkSecurityLevel(level);
    this.level = level;
  }

  wrap(command: CommandApdu): CommandApdu {
    let data = command.data;
    // Amd D §6.2.6: the counter is incremented before every command, with or without data.
    if (this.level & SecurityLevel.cDecryption) {
      incrementCounter(this.counter);
      if (data.length > 0) {
        const icv = aesEcbEncrypt(this.keys.sEnc, this.counter);
        data = aesCbcEncrypt(this.keys.sEnc, icv, pad80(data));
      }
    }
    const cla = (command.cla & 0xf0) | 0x04 | (command.cla & 0x03);
    // Amd D §6.2.4: C-MAC over the chaining value, the header with the final Lc, and the data.
    const lc = data.length + 8;
    if (lc > 255)
      throw new ObfError(
        'VALIDATION',
        `a secured command carries at most 247 bytes of data, got ${data.length}`,
      );
    const full = aesCmac(
      this.keys.sMac,
      concatBytes(this.chaining, Uint8Array.of(cla, command.ins, command.p1, command.p2, lc), data),
    );
    this.chaining = full;
    const wrapped: CommandApdu = {
      cla,
      ins: command.ins,
      p1: command.p1,
      p2: command.p2,
      data: concatBytes(data, full.slice(0, 8)),
    };
    if (command.le !== undefined) wrapped.le = command.le;
    return wrapped;
  }

  unwrap(response: ResponseApdu): ResponseApdu {
    let data = response.data;
    if (this.level & SecurityLevel.rMac) {
      // Amd D §6.2.5: no R-MAC on an error status without data (6xxx with nothing else).
      if (data.length === 0 && (response.sw & 0xf000) === 0x6000) return response;
      if (data.length < 8)
        throw new ObfError('BAD_RESPONSE', `response of ${data.length} bytes cannot carry an R-MAC`);
      const body = data.subarray(0, data.length - 8);
      const mac = data.subarray(data.length - 8);
      const expected = aesCmac(
        this.keys.sRmac,
        concatBytes(this.chaining, body, Uint8Array.of(response.sw >> 8, response.sw & 0xff)),
      );
      if (!bytesEqual(mac, expected.slice(0, 8)))
        throw new ObfError('BAD_RESPONSE', 'R-MAC verification failed: the response was altered');
      data = body.slice();
    }
    if (this.level & SecurityLevel.rEncryption && data.length > 0) {
      const counter = this.counter.slice();
      counter[0] = 0x80;
      const icv = aesEcbEncrypt(this.keys.sEnc, counter);
      if (data.length % 16 !== 0)
        throw new ObfError('BAD_RESPONSE', `encrypted response of ${data.length} bytes is not whole blocks`);
      try {
        data = unpad80(aesCbcDecrypt(this.keys.sEnc, icv, data));
      } catch {
        throw new ObfError('BAD_RESPONSE', 'R-ENCRYPTION: the decrypted response has no valid padding');
      }
    }
    return { data, sw: response.sw };
  }
}

export interface Scp03Handshake {
  sessionKeys: Scp03SessionKeys;
  cardCryptogramValid: boolean;
  hostCryptogram: Uint8Array;
  /** EXTERNAL AUTHENTICATE with its C-MAC, ready to send. */
  externalAuthenticate: CommandApdu;
  /** The session's secure messaging; switch it to `level` once the card accepts the EXTERNAL AUTHENTICATE. */
  wrapper: Scp03Wrapper;
}

/** Amd D §7.1.2: from the static keys, the host challenge and the card's answer, the EXTERNAL AUTHENTICATE. */
export function scp03Handshake(
  staticKeys: { enc: Uint8Array; mac: Uint8Array },
  hostChallenge: Uint8Array,
  response: InitializeUpdateResponse,
  level: number,
): Scp03Handshake {
  checkSecurityLevel(level);
  const sessionKeys = deriveSessionKeys(staticKeys, hostChallenge, response.cardChallenge);
  const expected = cryptogram(sessionKeys.sMac, 'card', hostChallenge, response.cardChallenge);
  const hostCryptogram = cryptogram(sessionKeys.sMac, 'host', hostChallenge, response.cardChallenge);
  const wrapper = new Scp03Wrapper(sessionKeys, SecurityLevel.cMac);
  const externalAuthenticate = wrapper.wrap({
    cla: 0x80,
    ins: 0x82,
    p1: level,
    p2: 0x00,
    data: hostCryptogram,
  });
  return {
    sessionKeys,
    cardCryptogramValid: bytesEqual(expected, response.cardCryptogram),
    hostCryptogram,
    externalAuthenticate,
    wrapper,
  };
}
