/**
 * From what the counter sent to what the station keeps: every field checked with the shared
 * validators and normalised, every problem collected under its field path, so one answer tells
 * the operator everything that is wrong. Nothing here touches the database.
 */
import { createHash } from 'node:crypto';
import type {
  IdDocumentType,
  KycFieldKind,
  kycCustodianInput,
  kycDeviceInput,
  kycEvidenceInput,
  KycValidation,
} from '../api/contract-kyc.js';
import { MAX_EVIDENCE_BYTES, MAX_SIGNATURE_BYTES } from '../api/contract-kyc.js';
import { ObfError } from '../errors.js';
import type { z } from 'zod';
import {
  validateCin,
  validateDrivingLicence,
  validatePassport,
  validatePincode,
  validateVoterId,
} from './documents.js';
import { ImageFormatError, stripImageMetadata, type ImageMime } from './image-metadata.js';
import {
  aadhaarLast4AndHash,
  kycValidators,
  validatePan,
  validateGstin,
  type ValidationResult,
} from './validators.js';
import { randomBytes } from 'node:crypto';

export type DeviceInput = z.output<typeof kycDeviceInput>;
export type CustodianInput = z.output<typeof kycCustodianInput>;
export type EvidenceInput = z.output<typeof kycEvidenceInput>;

/** Problems by field path, reported together as one VALIDATION error. */
export class FieldErrors {
  private readonly list: string[] = [];

  add(path: string, message: string): void {
    this.list.push(path ? `${path}: ${message}` : message);
  }

  /** Adds the validator's errors under `path`; answers its normalised value when valid. */
  check(path: string, result: ValidationResult): string | undefined {
    if (result.valid) return result.normalized;
    this.add(path, result.errors.join('; '));
    return undefined;
  }

  get count(): number {
    return this.list.length;
  }

  /** "kyc.capture: device.imei: …; custodian.pan: …" */
  throwIfAny(method: string): void {
    if (this.list.length > 0) throw new ObfError('VALIDATION', `${method}: ${this.list.join('; ')}`);
  }
}

/** The device as stored: identifiers normalised (digits only, upper case). */
export interface Device {
  iccid: string;
  eid?: string;
  imei?: string;
  make?: string;
  model?: string;
  vin?: string;
  engineNumber?: string;
  registration?: string;
  trackerSerial?: string;
}

/** Drops undefined fields, so stored JSON and protocol records carry only what was given. */
export function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function normalizeDevice(
  d: Partial<DeviceInput>,
  prefix: string,
  errors: FieldErrors,
): Partial<Device> {
  const at = (f: string) => `${prefix}.${f}`;
  const opt = (f: keyof DeviceInput, kind: keyof typeof kycValidators) =>
    d[f] === undefined ? undefined : errors.check(at(f), kycValidators[kind](d[f]));
  return defined({
    iccid: opt('iccid', 'iccid'),
    eid: opt('eid', 'eid'),
    imei: opt('imei', 'imei'),
    vin: opt('vin', 'vin'),
    registration: opt('registration', 'regno'),
    make: d.make,
    model: d.model,
    engineNumber: d.engineNumber?.replace(/[\s-]/g, '').toUpperCase(),
    trackerSerial: d.trackerSerial,
  });
}

/** The custodian as sealed: an Aadhaar number reduced to last 4 digits and a keyed hash. */
export interface Custodian {
  kind: 'individual' | 'organisation';
  name: string;
  idDocument: { type: IdDocumentType; number?: string; last4: string; sha256?: string };
  pan?: string;
  gstin?: string;
  phone: string;
  address: {
    line1: string;
    line2?: string;
    city: string;
    state: string;
    pincode: string;
    country: string;
  };
}

const INDIVIDUAL_DOCS: IdDocumentType[] = ['aadhaar', 'pan', 'passport', 'voter-id', 'driving-licence'];
const ORGANISATION_DOCS: IdDocumentType[] = ['gstin', 'pan', 'cin'];

function documentValidator(type: IdDocumentType): (v: string) => ValidationResult {
  switch (type) {
    case 'pan':
      return validatePan;
    case 'gstin':
      return validateGstin;
    case 'passport':
      return validatePassport;
    case 'voter-id':
      return validateVoterId;
    case 'driving-licence':
      return validateDrivingLicence;
    case 'cin':
      return validateCin;
    case 'aadhaar':
      throw new Error('Aadhaar is checked by aadhaarLast4AndHash');
  }
}

/**
 * Checks a custodian; `aadhaarSalt` is the station's secret salt. Returns the custodian to seal
 * and the document's canonical "type:number" (for the custodian id), or null when invalid.
 */
export function normalizeCustodian(
  c: CustodianInput,
  prefix: string,
  errors: FieldErrors,
  aadhaarSalt: Uint8Array,
): { custodian: Custodian; documentKey: string } | null {
  const before = errors.count;
  const at = (f: string) => `${prefix}.${f}`;
  const allowed = c.kind === 'individual' ? INDIVIDUAL_DOCS : ORGANISATION_DOCS;
  const docType = c.idDocument.type;
  let idDocument: Custodian['idDocument'] | undefined;
  let documentKey = '';
  if (!allowed.includes(docType)) {
    errors.add(
      at('idDocument.type'),
      c.kind === 'individual'
        ? 'an individual shows an Aadhaar, PAN, passport, voter ID or driving licence'
        : 'an organisation shows its GSTIN, PAN or CIN',
    );
  } else if (docType === 'aadhaar') {
    const digest = aadhaarLast4AndHash(c.idDocument.number, aadhaarSalt);
    if (digest.valid) {
      idDocument = { type: 'aadhaar', last4: digest.last4, sha256: digest.sha256 };
      documentKey = `aadhaar:${digest.sha256}`;
    } else errors.add(at('idDocument.number'), digest.errors.join('; '));
  } else {
    const number = errors.check(at('idDocument.number'), documentValidator(docType)(c.idDocument.number));
    if (number) {
      idDocument = { type: docType, number, last4: number.slice(-4) };
      documentKey = `${docType}:${number}`;
    }
  }
  const pan = c.pan === undefined ? undefined : errors.check(at('pan'), validatePan(c.pan));
  if (pan) {
    const holder = pan[3];
    if (c.kind === 'individual' && holder !== 'P')
      errors.add(at('pan'), `the 4th character of an individual's PAN is P, got ${holder}`);
    if (c.kind === 'organisation' && holder === 'P')
      errors.add(at('pan'), "this is an individual's PAN (4th character P): give the organisation's PAN");
  }
  if (c.kind === 'organisation' && c.pan === undefined)
    errors.add(at('pan'), 'an organisation gives its PAN');
  const gstin = c.gstin === undefined ? undefined : errors.check(at('gstin'), validateGstin(c.gstin));
  if (gstin && pan && gstin.slice(2, 12) !== pan)
    errors.add(at('gstin'), `characters 3-12 of a GSTIN are the holder's PAN, expected ${pan}`);
  const phone = errors.check(at('phone'), kycValidators.phone(c.phone));
  const pincode = errors.check(at('address.pincode'), validatePincode(c.address.pincode));
  if (errors.count > before || !idDocument || !phone || !pincode) return null;
  return {
    custodian: defined({
      kind: c.kind,
      name: c.name.normalize('NFC'),
      idDocument,
      pan,
      gstin,
      phone,
      address: defined({ ...c.address, pincode }),
    }),
    documentKey,
  };
}

/** An image as stored: metadata stripped, with its digest. */
export interface CleanImage {
  bytes: Uint8Array;
  sha256: string;
  strippedBytes: number;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Decodes base64, checks size and magic number, strips metadata. */
export function cleanImage(
  base64: string,
  mime: ImageMime,
  maxBytes: number,
  path: string,
  errors: FieldErrors,
): CleanImage | null {
  const bytes = new Uint8Array(Buffer.from(base64, 'base64'));
  if (bytes.length === 0) {
    errors.add(path, 'the image is empty');
    return null;
  }
  if (bytes.length > maxBytes) {
    errors.add(path, `the image is ${bytes.length} bytes; at most ${maxBytes} are accepted`);
    return null;
  }
  try {
    const stripped = stripImageMetadata(bytes, mime);
    return {
      bytes: stripped.bytes,
      sha256: sha256Hex(stripped.bytes),
      strippedBytes: stripped.strippedBytes,
    };
  } catch (err) {
    if (err instanceof ImageFormatError) {
      errors.add(path, err.message);
      return null;
    }
    throw err;
  }
}

export function cleanSignature(base64: string, path: string, errors: FieldErrors): CleanImage | null {
  return cleanImage(base64, 'image/png', MAX_SIGNATURE_BYTES, path, errors);
}

export interface CleanEvidence extends CleanImage {
  kind: EvidenceInput['kind'];
  source: EvidenceInput['source'];
  mime: ImageMime;
}

export function cleanEvidence(list: EvidenceInput[], prefix: string, errors: FieldErrors): CleanEvidence[] {
  return list.flatMap((e, i) => {
    const img = cleanImage(e.dataBase64, e.mime, MAX_EVIDENCE_BYTES, `${prefix}.${i}.dataBase64`, errors);
    return img ? [{ ...img, kind: e.kind, source: e.source, mime: e.mime }] : [];
  });
}

/** kyc.validateField: the same rules as a capture, for one value. An Aadhaar answer carries last4 only. */
export function validateField(kind: KycFieldKind, value: string): KycValidation {
  switch (kind) {
    case 'aadhaar': {
      // The hash is not answered, so any salt will do; the number is not kept.
      const d = aadhaarLast4AndHash(value, randomBytes(16));
      return d.valid
        ? { valid: true, errors: [], warnings: d.warnings, last4: d.last4 }
        : { valid: false, errors: d.errors, warnings: d.warnings };
    }
    case 'passport':
      return validatePassport(value);
    case 'voter-id':
      return validateVoterId(value);
    case 'driving-licence':
      return validateDrivingLicence(value);
    case 'cin':
      return validateCin(value);
    case 'pincode':
      return validatePincode(value);
    default:
      return kycValidators[kind](value);
  }
}
