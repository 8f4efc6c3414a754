/**
 * The Machine KYC part of the contract (clause 3.2.4 of Y.OBF_Trust: a device bound to its
 * custodian): methods `kyc.*` and the `kyc` event.
 *
 * The schemas check shape (required, lengths, characters, enums) with a message per field; the
 * KYC service then checks meaning (check digits, a device bound twice) and answers in the same
 * form, so the UI places every message beside its field:
 *
 *   VALIDATION  "kyc.capture: custodian.pan: a PAN is 10 characters (AAAAA9999A), got 9; device.imei: …"
 *
 * `kycFieldErrors` turns such a message back into `{ 'custodian.pan': '…', … }`.
 *
 * Personal data (name, ID numbers, phone, address, signatures, images) never leaves the station
 * in clear except to the screen that captured or displays it; an Aadhaar number is accepted in
 * `kyc.capture`/`kyc.transfer`/`kyc.correct`/`kyc.validateField` only, and comes back as its
 * last 4 digits (UIDAI's masked form), never whole.
 */
import { z } from 'zod';
import { credentials, done, empty } from './contract-common.js';

// ── Vocabulary ────────────────────────────────────────────────────────────────────────────

export const custodianKinds = ['individual', 'organisation'] as const;
export type CustodianKind = (typeof custodianKinds)[number];

/**
 * Identity documents. `aadhaar` is kept as last 4 digits + a keyed hash only; the others are
 * kept whole, sealed. An organisation shows a `gstin`, `pan` or `cin` (company identification
 * number); an individual any of the others or `pan`.
 */
export const idDocumentTypes = [
  'aadhaar',
  'pan',
  'passport',
  'voter-id',
  'driving-licence',
  'gstin',
  'cin',
] as const;
export type IdDocumentType = (typeof idDocumentTypes)[number];

/** Why the device is bound; the purpose also sets how long the personal data is kept. */
export const kycPurposes = [
  'vehicle-tracking',
  'fleet-management',
  'emergency-call',
  'insurance-telematics',
  'rental',
] as const;
export type KycPurpose = (typeof kycPurposes)[number];

export const evidenceKinds = [
  'custodian-photo',
  'id-front',
  'id-back',
  'address-proof',
  'vehicle-registration',
  'other',
] as const;
export type EvidenceKind = (typeof evidenceKinds)[number];

/**
 * A binding's state. `active`: the device's current custodian. `superseded`: replaced by a
 * correction (same custodian). `transferred`: the device passed to another custodian.
 * `withdrawn`: the custodian withdrew consent. `erased`: its personal data was removed at
 * retention end or after withdrawal; the row and its device identifiers stay for the history.
 */
export const bindingStates = ['active', 'superseded', 'transferred', 'withdrawn', 'erased'] as const;
export type BindingState = (typeof bindingStates)[number];

/**
 * What `kyc.validateField` checks: the validators of core/kyc (ICCID, EID, IMEI, VIN, PAN,
 * GSTIN, registration mark, E.164 phone) plus the identity documents and the postal PIN.
 */
export const kycFieldKinds = [
  'iccid',
  'eid',
  'imei',
  'vin',
  'pan',
  'gstin',
  'regno',
  'phone',
  'aadhaar',
  'passport',
  'voter-id',
  'driving-licence',
  'cin',
  'pincode',
] as const;
export type KycFieldKind = (typeof kycFieldKinds)[number];

/** Decoded image bytes per evidence item (a phone photo at full resolution fits). */
export const MAX_EVIDENCE_BYTES = 5 * 1024 * 1024;
/** Decoded bytes of a drawn signature (a PNG of the signature pad). */
export const MAX_SIGNATURE_BYTES = 512 * 1024;
export const MAX_EVIDENCE_ITEMS = 8;

const base64Length = (bytes: number) => Math.ceil(bytes / 3) * 4;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

// ── Field schemas (each with its own message) ─────────────────────────────────────────────

/** A required line of text: trimmed, 1..max characters, no control characters. */
function text(what: string, max: number) {
  return z
    .string({ error: `${what} is required` })
    .trim()
    .min(1, `${what} is required`)
    .max(max, `${what} is at most ${max} characters`)
    .regex(/^[^\p{Cc}]*$/u, `${what} contains a control character`);
}

/** An identifier as typed or scanned: the service validates it (check digits) and normalises it. */
function identifier(what: string, max: number) {
  return z
    .string({ error: `${what} is required` })
    .trim()
    .min(1, `${what} is required`)
    .max(max, `${what} is at most ${max} characters`);
}

function image(what: string, maxBytes: number) {
  return z
    .string({ error: `${what} is required (base64)` })
    .min(1, `${what} is required (base64)`)
    .max(base64Length(maxBytes), `${what} is at most ${maxBytes / (1024 * 1024)} MB`)
    .regex(BASE64, `${what} is base64 (A-Z a-z 0-9 + /, no data: prefix)`);
}

export const kycDeviceInput = z
  .object({
    /** Read from the SE (kyc.readCard) or typed/scanned: E.118, Luhn-checked. */
    iccid: identifier('the ICCID', 32),
    /** eUICC id, SGP.29: 32 digits, mod 97. */
    eid: identifier('the EID', 40).optional(),
    imei: identifier('the IMEI', 24).optional(),
    make: text('the make', 64).optional(),
    model: text('the model', 64).optional(),
    /** ISO 3779; a chassis number of an older vehicle is accepted with a warning-free form check only when 17 characters. */
    vin: identifier('the VIN / chassis number', 32).optional(),
    engineNumber: identifier('the engine number', 32)
      .regex(/^[A-Za-z0-9 -]+$/, 'the engine number is letters, digits, spaces and hyphens')
      .optional(),
    registration: identifier('the registration number', 32).optional(),
    trackerSerial: identifier('the tracker serial number', 64)
      .regex(/^[A-Za-z0-9 ._/-]+$/, 'the tracker serial number is letters, digits and . _ / -')
      .optional(),
  })
  .strict();
export type KycDeviceInput = z.input<typeof kycDeviceInput>;

export const kycAddress = z
  .object({
    line1: text('the address (line 1)', 200),
    line2: text('the address (line 2)', 200).optional(),
    city: text('the city / town', 100),
    state: text('the state', 100),
    /** India Post PIN: 6 digits, first 1-9. */
    pincode: identifier('the PIN code', 10),
    /** ISO 3166-1 alpha-2; IN by default. */
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'the country is an ISO 3166 two-letter code (IN)')
      .default('IN'),
  })
  .strict();
export type KycAddress = z.input<typeof kycAddress>;

export const kycCustodianInput = z
  .object({
    kind: z.enum(custodianKinds, { error: 'the custodian is an individual or an organisation' }),
    /** Full name of the person, or the registered name of the organisation. */
    name: text('the name', 200),
    idDocument: z
      .object({
        type: z.enum(idDocumentTypes, {
          error: `the ID document type is one of ${idDocumentTypes.join(', ')}`,
        }),
        /** Aadhaar: 12 digits (Verhoeff); kept only as last 4 + keyed hash. */
        number: identifier('the ID document number', 32),
      })
      .strict(),
    /** Required for an organisation (a company PAN); optional for an individual. */
    pan: identifier('the PAN', 16).optional(),
    /** Optional; when given with a PAN, characters 3-12 must be that PAN. */
    gstin: identifier('the GSTIN', 20).optional(),
    /** E.164: +91 and 10 digits. */
    phone: identifier('the phone number', 24),
    address: kycAddress,
  })
  .strict();
export type KycCustodianInput = z.input<typeof kycCustodianInput>;

export const kycConsentInput = z
  .object({
    /** The `version` of the notice the custodian was shown (kyc.notice); must be the current one. */
    noticeVersion: z.string().min(1, 'the notice version is required').max(32),
    /** The signature drawn on screen, PNG, base64. */
    signaturePng: image('the signature', MAX_SIGNATURE_BYTES),
  })
  .strict();
export type KycConsentInput = z.input<typeof kycConsentInput>;

export const kycEvidenceInput = z
  .object({
    kind: z.enum(evidenceKinds, { error: `the evidence kind is one of ${evidenceKinds.join(', ')}` }),
    source: z.enum(['camera', 'file'], { error: 'the evidence source is camera or file' }),
    mime: z.enum(['image/jpeg', 'image/png'], { error: 'an evidence image is image/jpeg or image/png' }),
    /** The image, base64; its metadata (EXIF, text chunks) is stripped before it is sealed. */
    dataBase64: image('the image', MAX_EVIDENCE_BYTES),
  })
  .strict();
export type KycEvidenceInput = z.input<typeof kycEvidenceInput>;

const bindingId = z.string().regex(/^kb-[0-9a-f-]{36}$/, 'a binding id is kb- and a UUID');
const reason = text('the reason', 512);
const dealer = text('the dealer / station', 128);
const purpose = z.enum(kycPurposes, { error: `the purpose is one of ${kycPurposes.join(', ')}` });
const evidenceList = z
  .array(kycEvidenceInput)
  .max(MAX_EVIDENCE_ITEMS, `at most ${MAX_EVIDENCE_ITEMS} evidence images`);

export const kycCaptureInput = z
  .object({
    device: kycDeviceInput,
    custodian: kycCustodianInput,
    purpose,
    /** Where the binding is made: the dealer or station name shown on the record. */
    dealer,
    consent: kycConsentInput,
    /** At least a custodian photo (`custodian-photo`) for an individual. */
    evidence: evidenceList,
    /** The draft this capture came from: discarded when the binding is saved. */
    fromDraft: z.literal(true).optional(),
  })
  .strict();
export type KycCaptureInput = z.input<typeof kycCaptureInput>;

/** Everything optional: a form part-way through. Drafts are sealed; an Aadhaar number is never kept in one. */
export const kycDraft = z
  .object({
    step: z.string().max(64),
    device: z.record(z.string(), z.string().max(64)).optional(),
    custodian: z
      .object({
        kind: z.enum(custodianKinds).optional(),
        name: z.string().max(200).optional(),
        idDocument: z
          .object({ type: z.enum(idDocumentTypes).optional(), number: z.string().max(32).optional() })
          .strict()
          .optional(),
        pan: z.string().max(16).optional(),
        gstin: z.string().max(20).optional(),
        phone: z.string().max(24).optional(),
        address: z.record(z.string(), z.string().max(200)).optional(),
      })
      .strict()
      .optional(),
    purpose: z.enum(kycPurposes).optional(),
    dealer: z.string().max(128).optional(),
    noticeVersion: z.string().max(32).optional(),
    signaturePng: z.string().max(base64Length(MAX_SIGNATURE_BYTES)).regex(BASE64).optional(),
    evidence: z
      .array(
        z
          .object({
            kind: z.enum(evidenceKinds),
            source: z.enum(['camera', 'file']),
            mime: z.enum(['image/jpeg', 'image/png']),
            dataBase64: z.string().max(base64Length(MAX_EVIDENCE_BYTES)).regex(BASE64),
          })
          .strict(),
      )
      .max(MAX_EVIDENCE_ITEMS)
      .optional(),
  })
  .strict();
export type KycDraft = z.input<typeof kycDraft>;

// ── Views ─────────────────────────────────────────────────────────────────────────────────

export const kycDeviceView = z.object({
  iccid: z.string(),
  eid: z.string().optional(),
  imei: z.string().optional(),
  make: z.string().optional(),
  model: z.string().optional(),
  vin: z.string().optional(),
  engineNumber: z.string().optional(),
  registration: z.string().optional(),
  trackerSerial: z.string().optional(),
});
export type KycDeviceView = z.infer<typeof kycDeviceView>;

/** The custodian as displayed; null once erased. An Aadhaar number shows as its last 4 digits only. */
export const kycCustodianView = z.object({
  kind: z.enum(custodianKinds),
  name: z.string(),
  idDocument: z.object({
    type: z.enum(idDocumentTypes),
    /** Whole for every type but Aadhaar, which is "XXXX XXXX 1234". */
    display: z.string(),
    last4: z.string(),
  }),
  pan: z.string().optional(),
  gstin: z.string().optional(),
  phone: z.string(),
  address: z.object({
    line1: z.string(),
    line2: z.string().optional(),
    city: z.string(),
    state: z.string(),
    pincode: z.string(),
    country: z.string(),
  }),
});
export type KycCustodianView = z.infer<typeof kycCustodianView>;

export const kycEvidenceView = z.object({
  id: z.string(),
  bindingId: z.string(),
  kind: z.enum(evidenceKinds),
  source: z.enum(['camera', 'file']),
  mime: z.enum(['image/jpeg', 'image/png']),
  /** Stored size after stripping metadata, and the SHA-256 of those bytes. */
  bytes: z.number().int(),
  sha256: z.string(),
  /** Metadata bytes removed (EXIF, XMP, comments, text chunks). */
  strippedBytes: z.number().int(),
  capturedAt: z.string(),
  /** False once erased. */
  available: z.boolean(),
});
export type KycEvidenceView = z.infer<typeof kycEvidenceView>;

export const kycBindingView = z.object({
  id: z.string(),
  state: z.enum(bindingStates),
  /** The binding this one replaced (correction or transfer), and the one that replaced it. */
  supersedes: z.string().nullable(),
  supersededBy: z.string().nullable(),
  /** How this binding began. */
  action: z.enum(['bind', 'correct', 'transfer']),
  device: kycDeviceView,
  /** A station-local opaque id: the same custodian across corrections, without personal data. */
  custodianId: z.string(),
  custodianKind: z.enum(custodianKinds),
  custodian: kycCustodianView.nullable(),
  purpose: z.enum(kycPurposes),
  dealer: z.string(),
  operator: z.string(),
  createdAt: z.string(),
  /** The reason given for a correction or transfer; null for a first binding. */
  reason: z.string().nullable(),
  consent: z.object({
    noticeVersion: z.string(),
    purpose: z.enum(kycPurposes),
    at: z.string(),
    /** SHA-256 of the signature PNG; null once erased. */
    signatureSha256: z.string().nullable(),
  }),
  /** Set when the binding ended (superseded, transferred, withdrawn). */
  ended: z
    .object({
      at: z.string(),
      by: z.string(),
      reason: z.string().nullable(),
      /** Withdrawal only: SHA-256 of the custodian's signature under the withdrawal. */
      signatureSha256: z.string().nullable(),
    })
    .nullable(),
  retentionUntil: z.string(),
  erased: z.object({ at: z.string(), by: z.string(), reason: z.string() }).nullable(),
  evidence: z.array(kycEvidenceView),
});
export type KycBindingView = z.infer<typeof kycBindingView>;

/** One line of a search result. */
export const kycBindingSummary = z.object({
  id: z.string(),
  state: z.enum(bindingStates),
  iccid: z.string(),
  imei: z.string().nullable(),
  vin: z.string().nullable(),
  registration: z.string().nullable(),
  custodianId: z.string(),
  custodianKind: z.enum(custodianKinds),
  /** Null once erased. */
  custodianName: z.string().nullable(),
  purpose: z.enum(kycPurposes),
  dealer: z.string(),
  operator: z.string(),
  createdAt: z.string(),
  supersedes: z.string().nullable(),
});
export type KycBindingSummary = z.infer<typeof kycBindingSummary>;

export const kycValidation = z.object({
  valid: z.boolean(),
  errors: z.array(z.string()),
  warnings: z.array(z.string()),
  /** The canonical form to store; never set for an Aadhaar number (only `last4` is). */
  normalized: z.string().optional(),
  last4: z.string().optional(),
});
export type KycValidation = z.infer<typeof kycValidation>;

export const kycDeviceCheck = z.object({
  iccid: z.string(),
  /** A card of a batch personalised on this station. */
  personalisedHere: z.boolean(),
  /** Its perso state; `verified` = secured and proven (keys rotated, authentication checked). */
  cardState: z.enum(['assigned', 'issuer-keys', 'secured', 'verified', 'rejected']).nullable(),
  secured: z.boolean(),
  batchId: z.string().nullable(),
  verifiedAt: z.string().nullable(),
  /** The device's active binding, if it has one (a new capture is refused: use kyc.transfer). */
  activeBinding: z
    .object({ id: z.string(), custodianKind: z.enum(custodianKinds), createdAt: z.string() })
    .nullable(),
  /** One sentence for the operator: what this means for the capture. */
  message: z.string(),
});
export type KycDeviceCheck = z.infer<typeof kycDeviceCheck>;

export const kycNotice = z.object({
  version: z.string(),
  language: z.string(),
  title: z.string(),
  /** Paragraphs, shown in order. */
  paragraphs: z.array(z.string()),
  /** How long the personal data is kept, per purpose, in days. */
  retentionDays: z.record(z.enum(kycPurposes), z.number().int()),
});
export type KycNoticeView = z.infer<typeof kycNotice>;

export const kycDraftView = z.object({
  draft: kycDraft,
  savedAt: z.string(),
  /** True when an Aadhaar number was typed: it is not kept in drafts, so it must be typed again. */
  aadhaarDropped: z.boolean(),
});
export type KycDraftView = z.infer<typeof kycDraftView>;

// ── Methods ───────────────────────────────────────────────────────────────────────────────

export const kycMethods = {
  /** The consent notice the custodian reads and signs (current version). */
  'kyc.notice': { input: empty, output: kycNotice },
  /** Instant field-level check, the same rules kyc.capture applies. Nothing is stored. */
  'kyc.validateField': {
    input: z
      .object({
        kind: z.enum(kycFieldKinds, { error: `the field kind is one of ${kycFieldKinds.join(', ')}` }),
        value: z.string().max(200, 'a value is at most 200 characters'),
      })
      .strict(),
    output: kycValidation,
  },
  /** Was this ICCID personalised here, is it secured, is it bound already? */
  'kyc.lookupDevice': {
    input: z.object({ iccid: identifier('the ICCID', 32) }).strict(),
    output: kycDeviceCheck,
  },
  /** Reads the ICCID (and the EID when the SE has one) from the card in a reader, then checks it as lookupDevice does. */
  'kyc.readCard': {
    input: z.object({ reader: z.string().min(1, 'the reader is required').max(200) }).strict(),
    output: z.object({
      reader: z.string(),
      iccid: z.string(),
      eid: z.string().nullable(),
      check: kycDeviceCheck,
    }),
  },
  /** A new binding of an unbound device. Any logged-in user. */
  'kyc.capture': { input: kycCaptureInput, output: kycBindingView },
  /** The device passes to a new custodian: previous binding, reason, the new custodian's consent. */
  'kyc.transfer': {
    input: z
      .object({
        bindingId,
        reason,
        custodian: kycCustodianInput,
        purpose: purpose.optional(),
        dealer,
        consent: kycConsentInput,
        evidence: evidenceList,
      })
      .strict(),
    output: kycBindingView,
  },
  /**
   * A correction of the active binding (same custodian, same consent): a new binding with the
   * changed fields supersedes it; the old one stays in the history. The ICCID cannot change
   * (a different device is a new capture). `custodian` replaces the custodian's data whole.
   */
  'kyc.correct': {
    input: z
      .object({
        bindingId,
        reason,
        device: kycDeviceInput.omit({ iccid: true }).optional(),
        custodian: kycCustodianInput.optional(),
        dealer: dealer.optional(),
        evidence: evidenceList.optional(),
      })
      .strict(),
    output: kycBindingView,
  },
  /** The custodian withdraws consent, signing as they did to give it. The binding ends. */
  'kyc.withdraw': {
    input: z
      .object({ bindingId, reason, signaturePng: image('the signature', MAX_SIGNATURE_BYTES) })
      .strict(),
    output: kycBindingView,
  },
  /**
   * Erases the personal data (sealed fields, evidence, search tokens) of a withdrawn binding or
   * one past its retention date, with its superseded history. The logged-in user and a second
   * person, a supervisor or security officer, who authenticates here (DESIGN §10).
   */
  'kyc.erase': {
    input: z.object({ bindingId, reason, second: credentials }).strict(),
    output: kycBindingView,
  },
  /** Erases every binding past its retention date or withdrawn; same second person as kyc.erase. */
  'kyc.purgeExpired': {
    input: z.object({ second: credentials }).strict(),
    output: z.object({ erased: z.array(z.string()) }),
  },
  /**
   * Search by ICCID, IMEI, VIN, registration number (exact, after normalising) or custodian name
   * (whole words, any case). `by` narrows to one key; `any` tries each.
   */
  'kyc.bindings': {
    input: z
      .object({
        query: z.string().trim().min(1, 'the search is required').max(200),
        by: z.enum(['any', 'iccid', 'imei', 'vin', 'registration', 'name']).default('any'),
        includeHistory: z.boolean().default(false),
        limit: z.number().int().min(1).max(500).default(100),
      })
      .strict(),
    output: z.array(kycBindingSummary),
  },
  /** The most recent bindings (the list the KYC page opens on). */
  'kyc.recent': {
    input: z.object({ limit: z.number().int().min(1).max(500).default(50) }).strict(),
    output: z.array(kycBindingSummary),
  },
  /** One binding with its personal data opened for display, and its whole history, oldest first. */
  'kyc.binding': {
    input: z.object({ id: bindingId }).strict(),
    output: z.object({ binding: kycBindingView, history: z.array(kycBindingView) }),
  },
  /** An evidence image for display (audited). */
  'kyc.evidence': {
    input: z
      .object({ id: z.string().regex(/^ke-[0-9a-f-]{36}$/, 'an evidence id is ke- and a UUID') })
      .strict(),
    output: z.object({
      id: z.string(),
      mime: z.enum(['image/jpeg', 'image/png']),
      dataBase64: z.string(),
    }),
  },
  /** The logged-in user's draft (one per user), sealed; survives a restart. */
  'kyc.saveDraft': {
    input: z.object({ draft: kycDraft }).strict(),
    output: z.object({ savedAt: z.string(), aadhaarDropped: z.boolean() }),
  },
  'kyc.draft': { input: empty, output: kycDraftView.nullable() },
  'kyc.discardDraft': { input: empty, output: done },
} as const;

export const kycEvents = {
  /** A binding changed (any client refreshes its list). No personal data. */
  kyc: z.object({
    action: z.enum(['bind', 'correct', 'transfer', 'withdraw', 'erase']),
    bindingId: z.string(),
    iccid: z.string(),
    at: z.string(),
  }),
} as const;

/**
 * The field messages of a VALIDATION error, by field path: "kyc.capture: custodian.pan: …;
 * device.imei: …" → { 'custodian.pan': '…', 'device.imei': '…' }. A message without a field
 * path lands under ''.
 */
export function kycFieldErrors(message: string): Record<string, string> {
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
