/**
 * The virtual OBF secure element: "OBF card profile v1" (docs/card-profile-obf-v1.md). An ISD
 * with the SCP03 card side, key sets by KVN, the GP life cycle, PUT KEY, INSTALL [for
 * personalization], STORE DATA into the OBF applet and SET STATUS; the OBF applet answers its
 * identity and AUTHENTICATE (Milenage, TS 31.102 §7.1.2, SQN freshness per TS 33.102 Annex C).
 * Everything else gets the ISO 7816-4 status word a real card would give.
 */
import { bytesEqual, concatBytes, fromHex, toHex } from '../../core/bytes.js';
import { decodeCommand, encodeResponse, type CommandApdu } from '../../core/card/index.js';
import { decodeDgis } from '../../core/card/obf/dgi.js';
import {
  AUTH_SUCCESS_TAG,
  AUTH_SYNC_FAILURE_TAG,
  Dgi,
  isSensitiveDgi,
  ISD_AID,
  Lifecycle,
  OBF_APPLET_AID,
  SQN_DELTA,
} from '../../core/card/obf/profile.js';
import {
  aesCbcDecrypt,
  cryptogram,
  deriveSessionKeys,
  kcvAes,
  milenage,
  pseudoRandomCardChallenge,
  unpad80,
  xor,
} from '../../core/crypto/index.js';
import { isObfError } from '../../core/index.js';
import { kddForSerial, MemoryCardStore, newCardState, type CardState, type CardStore } from './card-state.js';
import { CardSecureChannel } from './scp03-card.js';

export { ISD_AID, OBF_APPLET_AID };

// ISO 7816-3 §8.2: TS=3B, T0=8A (TD1 follows, 10 historical bytes), TD1=80 (TD2 follows, T=0),
// TD2=01 (T=1); the historical bytes say "OBF-VSE-v1"; TCK is the XOR of T0..last byte.
function buildAtr(): Uint8Array {
  const body = Uint8Array.from([0x8a, 0x80, 0x01, ...new TextEncoder().encode('OBF-VSE-v1')]);
  const tck = body.reduce((x, b) => x ^ b, 0);
  return Uint8Array.from([0x3b, ...body, tck]);
}
export const VIRTUAL_ATR = buildAtr();

export const SW = {
  OK: 0x9000,
  WRONG_LENGTH: 0x6700,
  SECURITY_STATUS: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  CONDITIONS_OF_USE: 0x6985,
  WRONG_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  WRONG_P1P2: 0x6a86,
  DATA_NOT_FOUND: 0x6a88,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  AUTH_MAC_FAILURE: 0x9862,
} as const;

type Reply = { data: Uint8Array; sw: number };
const sw = (code: number): Reply => ({ data: new Uint8Array(0), sw: code });
const ok = (data: Uint8Array = new Uint8Array(0)): Reply => ({ data, sw: SW.OK });

function tlv(tag: number[], value: Uint8Array): Uint8Array {
  const len = value.length < 0x80 ? [value.length] : [0x81, value.length];
  return Uint8Array.from([...tag, ...len, ...value]);
}

const VALID_LEVELS = [0x01, 0x03, 0x11, 0x13, 0x33];

export interface VirtualCardOptions {
  /** Distinguishes cards: goes into the CIN, the CPLC IC serial number and the KDD. */
  serial: number;
  /** Where the card keeps its state; memory by default. */
  store?: CardStore;
  /** The vendor master its transport keys are diversified from (the dev profile by default). */
  vendorMaster?: Uint8Array;
}

export class VirtualCard {
  readonly atr = VIRTUAL_ATR;
  private readonly store: CardStore;
  private state: CardState;
  private selected: 'isd' | 'obf' = 'isd';
  private channel: CardSecureChannel | null = null;
  private pendingHostChallenge: Uint8Array | null = null;
  private pendingCardChallenge: Uint8Array | null = null;
  /** The static DEK of the key set that opened the session: it decrypts PUT KEY and STORE DATA. */
  private sessionDek: Uint8Array | null = null;
  private persoTarget = false;

  constructor(options: VirtualCardOptions) {
    this.store = options.store ?? new MemoryCardStore();
    const loaded = this.store.load();
    this.state = loaded ?? newCardState(options.serial, options.vendorMaster);
    if (!loaded) this.store.save(this.state);
  }

  get lifecycle(): number {
    return this.state.lifecycle;
  }

  /** Power-on or reset: the ISD is selected by default (GP Card Spec §11.9.2), no session survives. */
  reset(): void {
    this.selected = 'isd';
    this.closeSession();
  }

  process(apdu: Uint8Array): Uint8Array {
    let command: CommandApdu;
    try {
      command = decodeCommand(apdu);
    } catch (err) {
      if (isObfError(err, 'VALIDATION')) return encodeResponse(new Uint8Array(0), SW.WRONG_LENGTH);
      throw err;
    }
    let reply: Reply;
    try {
      reply = this.handle(command);
    } catch {
      // A real card's answer to an internal fault: no precise diagnosis, and no session left.
      this.closeSession();
      reply = sw(0x6f00);
    }
    return encodeResponse(reply.data, reply.sw);
  }

  private handle(raw: CommandApdu): Reply {
    const cls = raw.cla & 0xf0;
    if (cls !== 0x00 && cls !== 0x80) return sw(SW.CLA_NOT_SUPPORTED);
    if (this.state.lifecycle === Lifecycle.TERMINATED) return sw(SW.FUNCTION_NOT_SUPPORTED);
    const secured = (raw.cla & 0x04) !== 0;
    if (raw.ins === 0xa4) return this.select(raw);
    let command = raw;
    const channel = this.channel;
    if (secured) {
      if (!channel || (!channel.authenticated && raw.ins !== 0x82)) return sw(SW.SECURITY_STATUS);
      const plain = channel.unwrap(raw);
      if (!plain) {
        this.closeSession();
        return sw(SW.SECURITY_STATUS);
      }
      command = plain;
    } else if (channel?.authenticated && this.selected === 'isd' && raw.ins !== 0x50) {
      // GP Amd D §6.2.4: inside a session every command must carry its C-MAC.
      this.closeSession();
      return sw(SW.SECURITY_STATUS);
    }
    const reply = this.selected === 'isd' ? this.isd(command, secured) : this.applet(command);
    return secured && this.channel ? this.channel.wrap(reply.data, reply.sw) : reply;
  }

  private closeSession(): void {
    this.channel = null;
    this.pendingHostChallenge = null;
    this.pendingCardChallenge = null;
    this.sessionDek = null;
    this.persoTarget = false;
  }

  private save(): void {
    this.store.save(this.state);
  }

  // ISO 7816-4 §11.2.2 SELECT by DF name; GP §11.9: an empty AID selects the ISD. Selecting
  // ends any secure channel session (GP Card Spec §10.2.3).
  private select({ p1, p2, data }: CommandApdu): Reply {
    if (p1 !== 0x04 || (p2 & 0xf3) !== 0x00) return sw(SW.WRONG_P1P2);
    this.closeSession();
    if (data.length === 0 || bytesEqual(data, ISD_AID)) {
      this.selected = 'isd';
      return ok(
        tlv([0x6f], concatBytes(tlv([0x84], ISD_AID), tlv([0xa5], tlv([0x9f, 0x65], Uint8Array.of(0xff))))),
      );
    }
    if (bytesEqual(data, OBF_APPLET_AID)) {
      this.selected = 'obf';
      return ok(tlv([0x6f], tlv([0x84], OBF_APPLET_AID)));
    }
    return sw(SW.FILE_NOT_FOUND);
  }

  private isd(command: CommandApdu, secured: boolean): Reply {
    switch (command.ins) {
      case 0xca:
        return this.getData((command.p1 << 8) | command.p2);
      case 0xf2:
        return this.getStatus(command);
      case 0x50:
        return secured ? sw(SW.CLA_NOT_SUPPORTED) : this.initializeUpdate(command);
      case 0x82:
        return this.externalAuthenticate(command);
      case 0xd8:
        return this.authenticated() ? this.putKey(command) : sw(SW.SECURITY_STATUS);
      case 0xe6:
        return this.authenticated() ? this.install(command) : sw(SW.SECURITY_STATUS);
      case 0xe2:
        return this.authenticated() ? this.storeData(command) : sw(SW.SECURITY_STATUS);
      case 0xf0:
        return this.authenticated() ? this.setStatus(command) : sw(SW.SECURITY_STATUS);
      default:
        return sw(SW.INS_NOT_SUPPORTED);
    }
  }

  private authenticated(): boolean {
    return this.channel?.authenticated === true;
  }

  // GP Card Spec §11.3 GET DATA: CPLC (9F7F), CIN (0045), IIN (0042), key information (00E0),
  // and the key diversification data (00CF) KDF3 needs.
  private getData(tag: number): Reply {
    const serial = new Uint8Array(4);
    new DataView(serial.buffer).setUint32(0, this.state.serial >>> 0);
    switch (tag) {
      case 0x9f7f: {
        const cplc = new Uint8Array(42); // GP Card Spec Table H-3
        cplc.set(fromHex('4f42' + '0001' + '4f42' + '6331' + '0100' + '6331'), 0);
        cplc.set(serial, 12);
        return ok(tlv([0x9f, 0x7f], cplc));
      }
      case 0x0045:
        return ok(tlv([0x45], concatBytes(fromHex('4f4246564345'), serial)));
      case 0x0042:
        return ok(tlv([0x42], fromHex('4f4246')));
      case 0x00cf:
        return ok(tlv([0xcf], kddForSerial(this.state.serial)));
      case 0x00e0: {
        const keys = this.state.keySets.flatMap((set) => {
          const type = 0x88;
          const len = fromHex(set.enc).length;
          return [1, 2, 3].map((id) => tlv([0xc0], Uint8Array.of(id, set.kvn, type, len)));
        });
        return ok(tlv([0xe0], concatBytes(...keys)));
      }
      default:
        return sw(SW.DATA_NOT_FOUND);
    }
  }

  // GP Card Spec §11.4 GET STATUS for the ISD (P1 = 80): AID and life cycle state.
  private getStatus({ p1 }: CommandApdu): Reply {
    if (p1 !== 0x80) return sw(SW.WRONG_P1P2);
    return ok(
      tlv([0xe3], concatBytes(tlv([0x4f], ISD_AID), tlv([0x9f, 0x70], Uint8Array.of(this.state.lifecycle)))),
    );
  }

  // GP Amd D §7.1.1: INITIALIZE UPDATE with a pseudo-random card challenge (i = 70).
  private initializeUpdate({ cla, p1, p2, data }: CommandApdu): Reply {
    if (cla !== 0x80) return sw(SW.CLA_NOT_SUPPORTED);
    if (p2 !== 0x00) return sw(SW.WRONG_P1P2);
    if (data.length !== 8) return sw(SW.WRONG_LENGTH);
    const set = p1 === 0 ? this.state.keySets[0] : this.state.keySets.find((k) => k.kvn === p1);
    if (!set) {
      this.closeSession();
      return sw(SW.DATA_NOT_FOUND);
    }
    this.state.sequenceCounter = (this.state.sequenceCounter + 1) & 0xffffff;
    this.save();
    const seq = Uint8Array.of(
      this.state.sequenceCounter >> 16,
      (this.state.sequenceCounter >> 8) & 0xff,
      this.state.sequenceCounter & 0xff,
    );
    const keys = { enc: fromHex(set.enc), mac: fromHex(set.mac) };
    const cardChallenge = pseudoRandomCardChallenge(keys.enc, seq, ISD_AID);
    const sessionKeys = deriveSessionKeys(keys, data, cardChallenge);
    this.closeSession();
    this.channel = new CardSecureChannel(sessionKeys);
    this.pendingHostChallenge = data.slice();
    this.pendingCardChallenge = cardChallenge;
    this.sessionDek = fromHex(set.dek);
    const cardCryptogram = cryptogram(sessionKeys.sMac, 'card', data, cardChallenge);
    return ok(
      concatBytes(
        kddForSerial(this.state.serial),
        Uint8Array.of(set.kvn, 0x03, 0x70),
        cardChallenge,
        cardCryptogram,
        seq,
      ),
    );
  }

  // GP Amd D §7.1.2: EXTERNAL AUTHENTICATE (its C-MAC was checked by unwrap already).
  private externalAuthenticate({ p1, data }: CommandApdu): Reply {
    const channel = this.channel;
    if (!channel || channel.authenticated || !this.pendingHostChallenge || !this.pendingCardChallenge) {
      return sw(SW.CONDITIONS_OF_USE);
    }
    const expected = cryptogram(
      channel.keys.sMac,
      'host',
      this.pendingHostChallenge,
      this.pendingCardChallenge,
    );
    if (!VALID_LEVELS.includes(p1)) {
      this.closeSession();
      return sw(SW.WRONG_P1P2);
    }
    if (data.length !== 8 || !bytesEqual(data, expected)) {
      this.closeSession();
      return sw(SW.SECURITY_STATUS);
    }
    channel.authenticated = true;
    channel.level = p1;
    this.pendingHostChallenge = null;
    this.pendingCardChallenge = null;
    return ok();
  }

  // GP Card Spec §11.8 PUT KEY, AES keys per Amd D §7.2: P1 = KVN to replace (00 adds a set),
  // P2 = 81 (key id 1, several keys). Data: new KVN, then per key 88 ‖ Lk+1 ‖ Lk ‖ DEK(key) ‖ 03 ‖ KCV.
  private putKey({ p1, p2, data }: CommandApdu): Reply {
    if (p2 !== 0x81) return sw(SW.WRONG_P1P2);
    if (data.length < 1) return sw(SW.WRONG_LENGTH);
    const newKvn = data[0]!;
    if (newKvn < 1 || newKvn > 0x7f) return sw(SW.WRONG_DATA);
    const dek = this.sessionDek!;
    const keys: Uint8Array[] = [];
    const kcvs: Uint8Array[] = [];
    let i = 1;
    while (i < data.length) {
      const type = data[i];
      const blockLen = data[i + 1];
      const keyLen = data[i + 2];
      if (type !== 0x88 || blockLen === undefined || keyLen === undefined) return sw(SW.WRONG_DATA);
      // Key data: the key encrypted under the DEK, padded to whole blocks (AES-192: 32 bytes).
      const encLen = blockLen - 1;
      if (![16, 24, 32].includes(keyLen) || encLen !== keyLen + ((16 - (keyLen % 16)) % 16))
        return sw(SW.WRONG_DATA);
      const encrypted = data.subarray(i + 3, i + 3 + encLen);
      const kcvLen = data[i + 3 + encLen];
      const kcv = data.subarray(i + 4 + encLen, i + 4 + encLen + 3);
      if (encrypted.length !== encLen || kcvLen !== 3 || kcv.length !== 3) return sw(SW.WRONG_LENGTH);
      const key = aesCbcDecrypt(dek, new Uint8Array(16), encrypted).slice(0, keyLen);
      if (!bytesEqual(kcvAes(key), kcv)) return sw(0x9485); // GP: invalid key check value
      keys.push(key);
      kcvs.push(kcv.slice());
      i += 4 + encLen + 3;
    }
    if (keys.length !== 3) return sw(SW.WRONG_DATA);
    const entry = { kvn: newKvn, enc: toHex(keys[0]!), mac: toHex(keys[1]!), dek: toHex(keys[2]!) };
    if (p1 === 0x00) {
      if (this.state.keySets.some((k) => k.kvn === newKvn)) return sw(SW.WRONG_DATA);
      this.state.keySets.push(entry);
    } else {
      const at = this.state.keySets.findIndex((k) => k.kvn === p1);
      if (at < 0) return sw(SW.DATA_NOT_FOUND);
      if (newKvn !== p1 && this.state.keySets.some((k) => k.kvn === newKvn)) return sw(SW.WRONG_DATA);
      // A replaced set takes effect for the next session; this one keeps the keys it opened with.
      this.state.keySets[at] = entry;
    }
    this.save();
    return ok(concatBytes(Uint8Array.of(newKvn), ...kcvs));
  }

  // GP Card Spec §11.5.2.3 INSTALL [for personalization]: 00 00 ‖ Lapp ‖ AID ‖ 00 00 00.
  private install({ p1, data }: CommandApdu): Reply {
    if (p1 !== 0x20) return sw(SW.WRONG_P1P2);
    const len = data[2];
    if (data.length < 3 || len === undefined || data.length < 3 + len) return sw(SW.WRONG_LENGTH);
    const aid = data.subarray(3, 3 + len);
    if (!bytesEqual(aid, OBF_APPLET_AID)) return sw(SW.DATA_NOT_FOUND);
    this.persoTarget = true;
    return ok();
  }

  // GP Card Spec §11.11 STORE DATA, DGI format (P1 b4b3 = 01); P1 b6b5 = 11: every DGI value is
  // DEK-encrypted (AES-CBC, zero ICV, ISO 9797-1 M2 padding). Sensitive DGIs travel only so.
  private storeData({ p1, data }: CommandApdu): Reply {
    if (!this.persoTarget) return sw(SW.CONDITIONS_OF_USE);
    if (this.state.lifecycle !== Lifecycle.OP_READY && this.state.lifecycle !== Lifecycle.INITIALIZED) {
      return sw(SW.CONDITIONS_OF_USE);
    }
    if ((p1 & 0x18) !== 0x08) return sw(SW.WRONG_P1P2);
    const encrypted = (p1 & 0x60) === 0x60;
    let records;
    try {
      records = decodeDgis(data);
    } catch {
      return sw(SW.WRONG_DATA);
    }
    const dek = this.sessionDek!;
    const applet = structuredClone(this.state.applet);
    for (const { dgi, value } of records) {
      if (isSensitiveDgi(dgi) !== encrypted) return sw(SW.WRONG_DATA);
      let plain = value;
      if (encrypted) {
        if (value.length === 0 || value.length % 16 !== 0) return sw(SW.WRONG_DATA);
        try {
          plain = unpad80(aesCbcDecrypt(dek, new Uint8Array(16), value));
        } catch {
          return sw(SW.WRONG_DATA);
        }
      }
      if (!applyDgi(applet, dgi, plain)) return sw(SW.WRONG_DATA);
    }
    this.state.applet = applet;
    this.save();
    return ok();
  }

  // GP Card Spec §11.10 SET STATUS for the card (P1 = 80) and the transitions of §5.1.1.
  private setStatus({ p1, p2 }: CommandApdu): Reply {
    if (p1 !== 0x80) return sw(SW.WRONG_P1P2);
    const from = this.state.lifecycle;
    const allowed: Record<number, number[]> = {
      [Lifecycle.OP_READY]: [Lifecycle.INITIALIZED, Lifecycle.SECURED, Lifecycle.TERMINATED],
      [Lifecycle.INITIALIZED]: [Lifecycle.SECURED, Lifecycle.TERMINATED],
      [Lifecycle.SECURED]: [Lifecycle.CARD_LOCKED, Lifecycle.TERMINATED],
      [Lifecycle.CARD_LOCKED]: [Lifecycle.SECURED, Lifecycle.TERMINATED],
    };
    if (!(allowed[from] ?? []).includes(p2)) return sw(SW.CONDITIONS_OF_USE);
    if (p2 === Lifecycle.SECURED && !personalised(this.state.applet)) return sw(SW.CONDITIONS_OF_USE);
    this.state.lifecycle = p2;
    this.save();
    return ok();
  }

  private applet(command: CommandApdu): Reply {
    switch (command.ins) {
      case 0xca:
        return this.identity((command.p1 << 8) | command.p2);
      case 0x88:
        return this.authenticate(command);
      default:
        return sw(SW.INS_NOT_SUPPORTED);
    }
  }

  private identity(tag: number): Reply {
    const a = this.state.applet;
    const value =
      tag === Dgi.ICCID && a.iccid
        ? fromHex(a.iccid)
        : tag === Dgi.IMPI && a.impi
          ? new TextEncoder().encode(a.impi)
          : tag === Dgi.DOMAIN && a.domain
            ? new TextEncoder().encode(a.domain)
            : null;
    return value ? ok(value) : sw(SW.DATA_NOT_FOUND);
  }

  // TS 31.102 §7.1.2 AUTHENTICATE, 3G context: data = 10 ‖ RAND ‖ 10 ‖ AUTN.
  private authenticate({ cla, p1, p2, data }: CommandApdu): Reply {
    if ((cla & 0xf0) !== 0x00) return sw(SW.CLA_NOT_SUPPORTED);
    if (p1 !== 0x00 || p2 !== 0x81) return sw(SW.WRONG_P1P2);
    if (data.length !== 34 || data[0] !== 16 || data[17] !== 16) return sw(SW.WRONG_LENGTH);
    const a = this.state.applet;
    if (this.state.lifecycle !== Lifecycle.SECURED || !a.k || !a.opc || !a.sqnMs)
      return sw(SW.CONDITIONS_OF_USE);
    const k = fromHex(a.k);
    const opc = fromHex(a.opc);
    const rand = data.subarray(1, 17);
    const autn = data.subarray(18, 34);
    const amf = autn.subarray(6, 8);
    const ak = milenage(k, opc, rand, new Uint8Array(6), new Uint8Array(2)).f5; // f5 does not depend on SQN
    const sqn = xor(autn.subarray(0, 6), ak);
    const out = milenage(k, opc, rand, sqn, amf);
    if (!bytesEqual(out.f1, autn.subarray(8, 16))) return sw(SW.AUTH_MAC_FAILURE);
    // TS 33.102 Annex C.2.2 (without the IND array): accept SQN above SQN_MS within Δ.
    const sqnValue = BigInt('0x' + toHex(sqn));
    const sqnMs = BigInt('0x' + a.sqnMs);
    if (sqnValue <= sqnMs || sqnValue - sqnMs > SQN_DELTA) {
      // TS 33.102 §6.3.3: AUTS = SQN_MS ⊕ AK* ‖ MAC-S, MAC-S = f1*(SQN_MS, RAND, AMF = 0000).
      const resync = milenage(k, opc, rand, fromHex(a.sqnMs), new Uint8Array(2));
      const auts = concatBytes(xor(fromHex(a.sqnMs), resync.f5star), resync.f1star);
      return ok(tlv([AUTH_SYNC_FAILURE_TAG], auts));
    }
    a.sqnMs = toHex(sqn);
    this.save();
    return ok(concatBytes(Uint8Array.of(AUTH_SUCCESS_TAG), lv(out.f2), lv(out.f3), lv(out.f4)));
  }
}

function lv(v: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(v.length), v);
}

function personalised(a: CardState['applet']): boolean {
  return Boolean(a.iccid && a.impi && a.k && a.opc && a.sqnMs);
}

/** Applies one DGI to the applet's data; false when its value is malformed. */
function applyDgi(a: CardState['applet'], dgi: number, v: Uint8Array): boolean {
  const text = () => new TextDecoder('utf-8', { fatal: true }).decode(v);
  try {
    switch (dgi) {
      case Dgi.ICCID:
        if (v.length !== 10) return false;
        a.iccid = toHex(v);
        return true;
      case Dgi.IMPI:
        if (v.length < 1 || v.length > 128) return false;
        a.impi = text();
        return true;
      case Dgi.DOMAIN:
        if (v.length < 1 || v.length > 128) return false;
        a.domain = text();
        return true;
      case Dgi.AMF:
        if (v.length !== 2) return false;
        a.amf = toHex(v);
        return true;
      case Dgi.SQN:
        if (v.length !== 6) return false;
        a.sqnMs = toHex(v);
        return true;
      case Dgi.K:
        if (v.length !== 16) return false;
        a.k = toHex(v);
        return true;
      case Dgi.OPC:
        if (v.length !== 16) return false;
        a.opc = toHex(v);
        return true;
      default: {
        const slot = dgi - Dgi.APP_KEY_BASE;
        if (slot < 1 || slot > 15 || (v.length !== 16 && v.length !== 32)) return false;
        a.appKeys[String(slot)] = toHex(v);
        return true;
      }
    }
  } catch {
    return false; // not UTF-8
  }
}
