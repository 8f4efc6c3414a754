/**
 * The consent notice a custodian reads and signs at the counter (clause 3.2.4; India's Digital
 * Personal Data Protection Act 2023 §5 asks for a notice naming the data, the purpose and how
 * to withdraw). Its version is recorded with every consent: changing a word means a new version.
 */
import type { KycPurpose } from '../api/contract-kyc.js';

/**
 * How long personal data is kept after a binding starts, per purpose, in days: the station's
 * default data-retention policy, configurable per station (KycStoreOptions.retentionDays).
 */
export const DEFAULT_RETENTION_DAYS: Record<KycPurpose, number> = {
  'vehicle-tracking': 3 * 365,
  'fleet-management': 3 * 365,
  'emergency-call': 5 * 365,
  'insurance-telematics': 7 * 365,
  rental: 365,
};

export const KYC_NOTICE_VERSION = '2026-11-1';

export function kycNotice(retentionDays: Record<KycPurpose, number>) {
  const years = (p: KycPurpose) => {
    const d = retentionDays[p];
    return d % 365 === 0 ? `${d / 365} year${d === 365 ? '' : 's'}` : `${d} days`;
  };
  return {
    version: KYC_NOTICE_VERSION,
    language: 'en',
    title: 'Notice and consent: binding a connected device to you',
    paragraphs: [
      'This dealer binds the device named on the form (its SIM/eSIM identifiers, IMEI and vehicle details) to you as its custodian, so that the network and service providers know who is responsible for it.',
      'We collect: your name, an identity document (for an Aadhaar number we keep only its last 4 digits and a protected fingerprint of it, never the whole number), PAN or GSTIN where given, your phone number and address, a photograph of you, images of your documents, and your signature on this notice.',
      'We use this data only for the purpose you choose on the form, and share it only with the OBF Resource Server operator and the service providers of that device, encrypted to them.',
      `We keep it for the purpose's retention period (vehicle tracking ${years('vehicle-tracking')}, fleet management ${years('fleet-management')}, emergency call ${years('emergency-call')}, insurance telematics ${years('insurance-telematics')}, rental ${years('rental')}) and then erase it.`,
      'You may withdraw your consent at any dealer at any time by signing a withdrawal; the binding then ends and your personal data is erased, keeping only a record that the binding existed.',
      'You may ask to see or correct your data at any dealer; every correction is recorded and the earlier record kept until it is erased.',
    ],
    retentionDays: { ...retentionDays },
  };
}
