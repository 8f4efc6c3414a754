/**
 * The capture form as the screen holds it (every field a string, as typed or scanned), and its
 * translations: to a draft (kyc.saveDraft), from a draft, and to the inputs of kyc.capture,
 * kyc.transfer and kyc.correct. Only types come from core/api (the lint rule): the few rules
 * checked here are the shape rules of contract-kyc.ts that need no round trip (required, allowed
 * characters, lengths); identifiers are checked by the station (kyc.validateField).
 */
import type {
  CustodianKind,
  IdDocumentType,
  KycBindingView,
  KycCustodianInput,
  KycDeviceInput,
  KycDraft,
  KycEvidenceInput,
  KycFieldKind,
  KycPurpose,
} from '../../../../core/api/index.js';

export const deviceKeys = [
  'iccid',
  'eid',
  'imei',
  'make',
  'model',
  'vin',
  'engineNumber',
  'registration',
  'trackerSerial',
] as const;
export type DeviceKey = (typeof deviceKeys)[number];
export type DeviceForm = Record<DeviceKey, string>;

export const addressKeys = ['line1', 'line2', 'city', 'state', 'pincode', 'country'] as const;
export type AddressKey = (typeof addressKeys)[number];

export interface CustodianForm {
  kind: CustodianKind;
  name: string;
  idType: IdDocumentType;
  idNumber: string;
  pan: string;
  gstin: string;
  phone: string;
  address: Record<AddressKey, string>;
}

/** A captured image as the screen shows it (a data URL) and where it came from. */
export interface Picture {
  dataUrl: string;
  source: 'camera' | 'file';
}

export interface KycForm {
  device: DeviceForm;
  custodian: CustodianForm;
  purpose: KycPurpose;
  dealer: string;
  photo: Picture | null;
  idFront: Picture | null;
  /** The notice version shown when the custodian signed. */
  noticeVersion: string;
  /** The signature, PNG data URL. */
  signature: string | null;
}

export const emptyDevice = (): DeviceForm => ({
  iccid: '',
  eid: '',
  imei: '',
  make: '',
  model: '',
  vin: '',
  engineNumber: '',
  registration: '',
  trackerSerial: '',
});

export const emptyCustodian = (): CustodianForm => ({
  kind: 'individual',
  name: '',
  idType: 'aadhaar',
  idNumber: '',
  pan: '',
  gstin: '',
  phone: '+91',
  address: { line1: '', line2: '', city: '', state: '', pincode: '', country: 'IN' },
});

export const emptyForm = (dealer = ''): KycForm => ({
  device: emptyDevice(),
  custodian: emptyCustodian(),
  purpose: 'vehicle-tracking',
  dealer,
  photo: null,
  idFront: null,
  noticeVersion: '',
  signature: null,
});

// ── Labels ───────────────────────────────────────────────────────────────────────────────

export const deviceLabels: Record<DeviceKey, string> = {
  iccid: 'ICCID',
  eid: 'EID',
  imei: 'IMEI',
  make: 'Make',
  model: 'Model',
  vin: 'VIN / chassis number',
  engineNumber: 'Engine number',
  registration: 'Vehicle registration number',
  trackerSerial: 'Tracker serial number',
};

export const addressLabels: Record<AddressKey, string> = {
  line1: 'Address line 1',
  line2: 'Address line 2',
  city: 'City / town',
  state: 'State',
  pincode: 'PIN code',
  country: 'Country',
};

export const idTypeLabels: Record<IdDocumentType, string> = {
  aadhaar: 'Aadhaar',
  pan: 'PAN card',
  passport: 'Passport',
  'voter-id': 'Voter ID (EPIC)',
  'driving-licence': 'Driving licence',
  gstin: 'GSTIN certificate',
  cin: 'Company identification number (CIN)',
};

export const purposeLabels: Record<KycPurpose, string> = {
  'vehicle-tracking': 'Vehicle tracking',
  'fleet-management': 'Fleet management',
  'emergency-call': 'Emergency call',
  'insurance-telematics': 'Insurance telematics',
  rental: 'Rental',
};

/** The identity documents each kind of custodian shows (contract-kyc.ts idDocumentTypes). */
export const idTypesFor: Record<CustodianKind, readonly IdDocumentType[]> = {
  individual: ['aadhaar', 'pan', 'passport', 'voter-id', 'driving-licence'],
  organisation: ['gstin', 'pan', 'cin'],
};

// ── Field paths, kinds and local rules ──────────────────────────────────────────────────────

/** The station's validator for each identifier field, by its path in kyc.capture's input. */
export const deviceKinds: Partial<Record<DeviceKey, KycFieldKind>> = {
  iccid: 'iccid',
  eid: 'eid',
  imei: 'imei',
  vin: 'vin',
  registration: 'regno',
};

export function idKind(type: IdDocumentType): KycFieldKind {
  return type;
}

/** Required device fields (contract: the ICCID only; the others are optional). */
const requiredDevice = new Set<DeviceKey>(['iccid']);

const CONTROL = /\p{Cc}/u;

/** The contract's shape rule for a line of text, with the same message. */
function textRule(what: string, max: number, required: boolean, value: string): string | null {
  const v = value.trim();
  if (v === '') return required ? `${what} is required` : null;
  if (v.length > max) return `${what} is at most ${max} characters`;
  if (CONTROL.test(v)) return `${what} contains a control character`;
  return null;
}

/**
 * The local message of a device field that has no station validator (make, model, engine and
 * tracker numbers), and the required check of the others; null when the station checks it.
 */
export function deviceRule(key: DeviceKey, value: string): string | null {
  const v = value.trim();
  const what = `the ${deviceLabels[key] === 'ICCID' ? 'ICCID' : deviceLabels[key].toLowerCase()}`;
  if (v === '') return requiredDevice.has(key) ? `${what} is required` : null;
  switch (key) {
    case 'make':
    case 'model':
      return textRule(what, 64, false, v);
    case 'engineNumber':
      if (v.length > 32) return 'the engine number is at most 32 characters';
      return /^[A-Za-z0-9 -]+$/.test(v) ? null : 'the engine number is letters, digits, spaces and hyphens';
    case 'trackerSerial':
      if (v.length > 64) return 'the tracker serial number is at most 64 characters';
      return /^[A-Za-z0-9 ._/-]+$/.test(v)
        ? null
        : 'the tracker serial number is letters, digits and . _ / -';
    default:
      return null;
  }
}

export function custodianTextRule(
  key: 'name' | 'line1' | 'line2' | 'city' | 'state' | 'country',
  value: string,
): string | null {
  switch (key) {
    case 'name':
      return textRule('the name', 200, true, value);
    case 'line1':
      return textRule('the address (line 1)', 200, true, value);
    case 'line2':
      return textRule('the address (line 2)', 200, false, value);
    case 'city':
      return textRule('the city / town', 100, true, value);
    case 'state':
      return textRule('the state', 100, true, value);
    case 'country':
      return /^[A-Z]{2}$/.test(value.trim()) ? null : 'the country is an ISO 3166 two-letter code (IN)';
  }
}

// ── Images ───────────────────────────────────────────────────────────────────────────────

/** "data:image/png;base64,AAAA" → "AAAA" (the contract takes bare base64). */
export function base64Of(dataUrl: string): string {
  return dataUrl.slice(dataUrl.indexOf(',') + 1);
}

export function dataUrlOf(mime: string, base64: string): string {
  return `data:${mime};base64,${base64}`;
}

function mimeOf(dataUrl: string): 'image/jpeg' | 'image/png' {
  return dataUrl.startsWith('data:image/png') ? 'image/png' : 'image/jpeg';
}

export function evidenceOf(form: Pick<KycForm, 'photo' | 'idFront'>): KycEvidenceInput[] {
  const out: KycEvidenceInput[] = [];
  const add = (kind: KycEvidenceInput['kind'], p: Picture | null) => {
    if (p) out.push({ kind, source: p.source, mime: mimeOf(p.dataUrl), dataBase64: base64Of(p.dataUrl) });
  };
  add('custodian-photo', form.photo);
  add('id-front', form.idFront);
  return out;
}

// ── To the station ───────────────────────────────────────────────────────────────────────

/** The device as kyc.capture takes it: empty optional fields left out. */
export function deviceInput(d: DeviceForm): KycDeviceInput {
  const out: Record<string, string> = {};
  for (const k of deviceKeys) if (d[k].trim() !== '') out[k] = d[k].trim();
  return { ...out, iccid: d.iccid.trim() };
}

export function custodianInput(c: CustodianForm): KycCustodianInput {
  const a = c.address;
  return {
    kind: c.kind,
    name: c.name.trim(),
    idDocument: { type: c.idType, number: c.idNumber.trim() },
    ...(c.pan.trim() ? { pan: c.pan.trim() } : {}),
    ...(c.gstin.trim() ? { gstin: c.gstin.trim() } : {}),
    phone: c.phone.trim(),
    address: {
      line1: a.line1.trim(),
      ...(a.line2.trim() ? { line2: a.line2.trim() } : {}),
      city: a.city.trim(),
      state: a.state.trim(),
      pincode: a.pincode.trim(),
      country: a.country.trim() || 'IN',
    },
  };
}

/** The draft of the form: everything typed (the station never keeps an Aadhaar number of it). */
export function toDraft(form: KycForm, step: string): KycDraft {
  const device: Record<string, string> = {};
  for (const k of deviceKeys) if (form.device[k] !== '') device[k] = form.device[k].slice(0, 64);
  const c = form.custodian;
  const address: Record<string, string> = {};
  for (const k of addressKeys) if (c.address[k] !== '') address[k] = c.address[k].slice(0, 200);
  return {
    step,
    device,
    custodian: {
      kind: c.kind,
      name: c.name.slice(0, 200),
      idDocument: {
        type: c.idType,
        // An Aadhaar number goes too: the station drops it before sealing the draft and says so
        // (aadhaarDropped), so the restored form asks for it again.
        ...(c.idNumber !== '' ? { number: c.idNumber.slice(0, 32) } : {}),
      },
      pan: c.pan.slice(0, 16),
      gstin: c.gstin.slice(0, 20),
      phone: c.phone.slice(0, 24),
      address,
    },
    purpose: form.purpose,
    dealer: form.dealer.slice(0, 128),
    ...(form.noticeVersion ? { noticeVersion: form.noticeVersion } : {}),
    ...(form.signature ? { signaturePng: base64Of(form.signature) } : {}),
    evidence: evidenceOf(form),
  };
}

export function fromDraft(draft: KycDraft, dealer: string): KycForm {
  const form = emptyForm(dealer);
  for (const k of deviceKeys) form.device[k] = draft.device?.[k] ?? '';
  const c = draft.custodian;
  if (c) {
    form.custodian = {
      kind: c.kind ?? 'individual',
      name: c.name ?? '',
      idType: c.idDocument?.type ?? 'aadhaar',
      idNumber: c.idDocument?.number ?? '',
      pan: c.pan ?? '',
      gstin: c.gstin ?? '',
      phone: c.phone ?? '+91',
      address: { ...form.custodian.address },
    };
    for (const k of addressKeys) form.custodian.address[k] = c.address?.[k] ?? form.custodian.address[k];
  }
  form.purpose = draft.purpose ?? form.purpose;
  form.dealer = draft.dealer ?? dealer;
  form.noticeVersion = draft.noticeVersion ?? '';
  form.signature = draft.signaturePng ? dataUrlOf('image/png', draft.signaturePng) : null;
  for (const e of draft.evidence ?? []) {
    const p = { dataUrl: dataUrlOf(e.mime, e.dataBase64), source: e.source };
    if (e.kind === 'custodian-photo') form.photo = p;
    if (e.kind === 'id-front') form.idFront = p;
  }
  return form;
}

/** A binding's device and custodian back into the form (a correction starts from them). */
export function formOfBinding(b: KycBindingView): Pick<KycForm, 'device' | 'custodian'> {
  const device = emptyDevice();
  for (const k of deviceKeys) device[k] = b.device[k] ?? '';
  const custodian = emptyCustodian();
  const c = b.custodian;
  if (c) {
    custodian.kind = c.kind;
    custodian.name = c.name;
    custodian.idType = c.idDocument.type;
    // An Aadhaar number is never given back whole: a correction of the custodian types it again.
    custodian.idNumber = c.idDocument.type === 'aadhaar' ? '' : c.idDocument.display;
    custodian.pan = c.pan ?? '';
    custodian.gstin = c.gstin ?? '';
    custodian.phone = c.phone;
    custodian.address = {
      line1: c.address.line1,
      line2: c.address.line2 ?? '',
      city: c.address.city,
      state: c.address.state,
      pincode: c.address.pincode,
      country: c.address.country,
    };
  }
  return { device, custodian };
}

/**
 * The field messages of a VALIDATION error, by path: "kyc.capture: custodian.pan: …; device.imei:
 * …" → { 'custodian.pan': '…', 'device.imei': '…' }; a message without a path lands under ''.
 * The same parsing as kycFieldErrors in contract-kyc.ts, which the renderer may not import.
 */
export function fieldErrors(message: string): Record<string, string> {
  const body = message.replace(/^kyc\.\w+: /, '');
  const out: Record<string, string> = {};
  for (const part of body.split(/; (?=[a-zA-Z][\w]*(?:\.\w+)*: )/)) {
    const m = /^([a-zA-Z][\w]*(?:\.\w+)*): ([\s\S]*)$/.exec(part);
    const key = m ? m[1]! : '';
    const text = m ? m[2]! : part;
    out[key] = out[key] ? `${out[key]}; ${text}` : text;
  }
  return out;
}
