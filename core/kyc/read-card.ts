/**
 * Reading a device's identity from its SE in a reader, for the KYC form: the ICCID and, on an
 * eUICC, the EID.
 *
 * - ICCID: EF_ICCID (FID 2FE2 under the MF, TS 102 221 §13.2), selected by path from the MF
 *   (ISO 7816-4 SELECT P1=08) and read with READ BINARY; a card without the file system (the
 *   OBF applet alone, like the virtual card) answers it from the applet's identity (GET DATA).
 * - EID: GSMA SGP.22 §5.7.20 GetEuiccData (tag 5A) on the ISD-R; a card without an ISD-R has no
 *   EID, and null is answered.
 */
import { fromHex } from '../bytes.js';
import { parseTlv } from '../card/tlv.js';
import { transmitApdu } from '../card/transmit.js';
import type { CardChannel } from '../card/transport.js';
import { decodeIccid, readIdentity, selectObfApplet } from '../card/obf/obf-applet.js';
import { ObfError } from '../errors.js';

/** SGP.02/SGP.22 ISD-R AID. */
const ISD_R_AID = fromHex('a0000005591010ffffffff8900000100');

async function iccidFromFile(channel: CardChannel): Promise<string | null> {
  const select = await transmitApdu(channel, {
    cla: 0x00,
    ins: 0xa4,
    p1: 0x08,
    p2: 0x04,
    data: Uint8Array.of(0x2f, 0xe2),
    le: 256,
  });
  if (select.sw !== 0x9000 && (select.sw & 0xff00) !== 0x6100) return null;
  const read = await transmitApdu(channel, {
    cla: 0x00,
    ins: 0xb0,
    p1: 0,
    p2: 0,
    data: new Uint8Array(0),
    le: 10,
  });
  if (read.sw !== 0x9000 || read.data.length !== 10) return null;
  const iccid = decodeIccid(read.data);
  return /^\d{18,20}$/.test(iccid) ? iccid : null;
}

async function eidOf(channel: CardChannel): Promise<string | null> {
  const select = await transmitApdu(channel, {
    cla: 0x00,
    ins: 0xa4,
    p1: 0x04,
    p2: 0x00,
    data: ISD_R_AID,
    le: 256,
  });
  if (select.sw !== 0x9000) return null;
  // STORE DATA, GetEuiccDataRequest { tagList 5A }: BF3E 03 5C 01 5A.
  const r = await transmitApdu(channel, {
    cla: 0x80,
    ins: 0xe2,
    p1: 0x91,
    p2: 0x00,
    data: fromHex('bf3e035c015a'),
    le: 256,
  });
  if (r.sw !== 0x9000) return null;
  try {
    const outer = parseTlv(r.data).find((n) => n.tag === 0xbf3e);
    const eid = outer ? parseTlv(outer.value).find((n) => n.tag === 0x5a) : undefined;
    if (!eid || eid.value.length !== 16) return null;
    return [...eid.value].map((b) => b.toString(16).padStart(2, '0')).join('');
  } catch {
    return null;
  }
}

export async function readDeviceIdentity(
  channel: CardChannel,
): Promise<{ iccid: string; eid: string | null }> {
  let iccid = await iccidFromFile(channel);
  if (!iccid) {
    try {
      await selectObfApplet(channel);
      iccid = (await readIdentity(channel)).iccid;
    } catch (err) {
      if (!(err instanceof ObfError) || !err.code.startsWith('SW_')) throw err;
    }
  }
  if (!iccid)
    throw new ObfError(
      'BAD_RESPONSE',
      `the card in ${channel.reader} has no ICCID to read (no EF_ICCID, no personalised OBF applet): type or scan it instead`,
    );
  return { iccid, eid: await eidOf(channel) };
}
