/** Valid KYC inputs for the tests (unit and CLI): every identifier with a correct check digit. */
import type { KycCaptureInput } from '../api/contract-kyc.js';
import { iccidWithCheckDigit, luhnCheckDigit } from '../card/iccid.js';
import { jpegWithExif, pngWithText } from './image.fixture.js';
import { KYC_NOTICE_VERSION } from './notice.js';
import { gstinCheckChar, verhoeffCheckDigit, vinCheckDigit } from './validators.js';

export const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

export function iccidFor(n: number): string {
  return iccidWithCheckDigit(`8949001${String(n).padStart(12, '0')}`);
}

export function imeiFor(n: number): string {
  const body = `35${String(n).padStart(12, '0')}`;
  return body + String(luhnCheckDigit(body));
}

export function vinFor(n: number): string {
  const draft = `MA1TA2C4X${String(n).padStart(8, '0')}`;
  return draft.slice(0, 8) + vinCheckDigit(draft) + draft.slice(9);
}

export function aadhaarFor(n: number): string {
  const body = `4${String(n).padStart(10, '0')}`;
  return body + String(verhoeffCheckDigit(body));
}

export function gstinFor(pan: string): string {
  const body = `27${pan}1Z`;
  return body + gstinCheckChar(body);
}

/** A distinctive byte run inside the evidence photo: a scan of the station folder must not find it. */
export const PHOTO_MARKER = Uint8Array.from(Buffer.from('PIXELS-OF-RAVI-KUMAR-FACE-0123456789', 'latin1'));

export function photoJpeg(): Uint8Array {
  return jpegWithExif(PHOTO_MARKER);
}

export function individualCapture(n = 1, overrides: Partial<KycCaptureInput> = {}): KycCaptureInput {
  return {
    device: {
      iccid: iccidFor(n),
      imei: imeiFor(n),
      make: 'Tata Motors',
      model: 'Nexon EV',
      vin: vinFor(n),
      engineNumber: `EN${n}X77`,
      registration: `MH12AB${String(1000 + n)}`,
      trackerSerial: `TRK-${n}`,
    },
    custodian: {
      kind: 'individual',
      name: 'Ravi Kumar Sharma',
      idDocument: { type: 'aadhaar', number: aadhaarFor(n) },
      pan: 'ABCPK1234F',
      phone: '+91 98765 43210',
      address: { line1: '12 MG Road', city: 'Pune', state: 'Maharashtra', pincode: '411001' },
    },
    purpose: 'vehicle-tracking',
    dealer: 'Pune Central Motors',
    consent: { noticeVersion: KYC_NOTICE_VERSION, signaturePng: b64(pngWithText()) },
    evidence: [
      { kind: 'custodian-photo', source: 'camera', mime: 'image/jpeg', dataBase64: b64(photoJpeg()) },
    ],
    ...overrides,
  };
}

export function organisationCustodian(): KycCaptureInput['custodian'] {
  return {
    kind: 'organisation',
    name: 'Deccan Logistics Private Limited',
    idDocument: { type: 'gstin', number: gstinFor('AAACD1234M') },
    pan: 'AAACD1234M',
    gstin: gstinFor('AAACD1234M'),
    phone: '+912067891234',
    address: { line1: 'Plot 4, MIDC', city: 'Pune', state: 'Maharashtra', pincode: '411019' },
  };
}
