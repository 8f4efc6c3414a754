/** Machine KYC as the Workstation exposes it (clause 3.2.4). Stub: the store lands next. */
import { EventEmitter } from 'node:events';
import type { ReaderManager } from '../card/reader-manager.js';
import type { z } from 'zod';
import type {
  KycBindingSummary,
  KycBindingView,
  KycDeviceCheck,
  KycFieldKind,
  KycNoticeView,
  KycValidation,
  KycDraftView,
  kycCaptureInput,
  kycDraft,
  kycMethods,
  kycEvents,
} from '../api/contract-kyc.js';
import { ObfError } from '../errors.js';
import type { KmsService } from '../kms/kms-service.js';

type In<M extends keyof typeof kycMethods> = z.output<(typeof kycMethods)[M]['input']>;
export type CaptureInput = z.output<typeof kycCaptureInput>;
export type DraftInput = z.output<typeof kycDraft>;
type Second = { username: string; passphrase: string };

function notYet(): never {
  throw new ObfError('INTERNAL', 'Machine KYC is not available yet on this build');
}

export type KycChange = z.output<(typeof kycEvents)['kyc']>;

export class KycService extends EventEmitter<{ change: [KycChange] }> {
  constructor(
    private readonly kms: KmsService,
    private readonly readers: ReaderManager,
  ) {
    super();
  }

  notice(): KycNoticeView {
    return notYet();
  }
  validateField(_kind: KycFieldKind, _value: string): KycValidation {
    return notYet();
  }
  lookupDevice(_iccid: string): KycDeviceCheck {
    return notYet();
  }
  readCard(
    _reader: string,
  ): Promise<{ reader: string; iccid: string; eid: string | null; check: KycDeviceCheck }> {
    return Promise.reject(
      new ObfError('INTERNAL', `reading ${this.readers ? 'cards' : ''} is not available yet`),
    );
  }
  capture(_input: CaptureInput): KycBindingView {
    this.kms.unlockedStation();
    return notYet();
  }
  transfer(_input: In<'kyc.transfer'>): KycBindingView {
    return notYet();
  }
  correct(_input: In<'kyc.correct'>): KycBindingView {
    return notYet();
  }
  withdraw(_input: In<'kyc.withdraw'>): KycBindingView {
    return notYet();
  }
  erase(_bindingId: string, _reason: string, _second: Second): KycBindingView {
    return notYet();
  }
  purgeExpired(_second: Second): { erased: string[] } {
    return notYet();
  }
  bindings(
    _query: string,
    _options: {
      by: 'any' | 'iccid' | 'imei' | 'vin' | 'registration' | 'name';
      includeHistory: boolean;
      limit: number;
    },
  ): KycBindingSummary[] {
    return notYet();
  }
  recent(_limit: number): KycBindingSummary[] {
    return notYet();
  }
  binding(_id: string): { binding: KycBindingView; history: KycBindingView[] } {
    return notYet();
  }
  evidence(_id: string): { id: string; mime: 'image/jpeg' | 'image/png'; dataBase64: string } {
    return notYet();
  }
  saveDraft(_draft: DraftInput): { savedAt: string; aadhaarDropped: boolean } {
    return notYet();
  }
  draft(): KycDraftView | null {
    return notYet();
  }
  discardDraft(): void {
    notYet();
  }
}
