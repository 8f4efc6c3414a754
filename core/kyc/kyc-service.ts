/**
 * Machine KYC as the Workstation exposes it (clause 3.2.4): works on the unlocked station as
 * the logged-in user; one KycStore per unlocked station. Any logged-in user (an operator at the
 * counter) captures, corrects, transfers and withdraws, each audited under their name; erasing
 * personal data takes a second person, a supervisor or security officer (KycStore.erase).
 */
import { EventEmitter } from 'node:events';
import type { z } from 'zod';
import type {
  KycBindingSummary,
  KycBindingView,
  KycDeviceCheck,
  KycDraftView,
  KycFieldKind,
  KycNoticeView,
  KycValidation,
  kycEvents,
} from '../api/contract-kyc.js';
import type { ReaderManager } from '../card/reader-manager.js';
import { ObfError } from '../errors.js';
import type { Kms, Principal } from '../kms/index.js';
import type { KmsService } from '../kms/kms-service.js';
import { validateField } from './kyc-input.js';
import {
  KycStore,
  type CaptureInput,
  type CorrectInput,
  type DraftInput,
  type KycStoreOptions,
  type SearchKey,
  type TransferInput,
  type WithdrawInput,
} from './kyc-store.js';
import { DEFAULT_RETENTION_DAYS, kycNotice } from './notice.js';
import { readDeviceIdentity } from './read-card.js';

export type KycChange = z.output<(typeof kycEvents)['kyc']>;
type Second = { username: string; passphrase: string };

export class KycService extends EventEmitter<{ change: [KycChange] }> {
  private stores: { kms: Kms; store: KycStore } | null = null;

  constructor(
    private readonly kms: KmsService,
    private readonly readers: ReaderManager,
    private readonly options: KycStoreOptions = {},
  ) {
    super();
    // The derived KYC keys go with the lock, like every other key of the session.
    kms.on('status', (status) => {
      if (status.state !== 'unlocked') {
        this.stores?.store.close();
        this.stores = null;
      }
    });
  }

  notice(): KycNoticeView {
    return kycNotice({ ...DEFAULT_RETENTION_DAYS, ...this.options.retentionDays });
  }

  /** Needs no login: nothing is read or stored. */
  validateField(kind: KycFieldKind, value: string): KycValidation {
    return validateField(kind, value);
  }

  lookupDevice(iccid: string): KycDeviceCheck {
    return this.session().store.lookupDevice(iccid);
  }

  async readCard(
    reader: string,
  ): Promise<{ reader: string; iccid: string; eid: string | null; check: KycDeviceCheck }> {
    this.session();
    if (!this.readers.snapshot().readers.some((r) => r.name === reader))
      throw new ObfError('NO_READER', `reader: no reader named "${reader.slice(0, 200)}"`);
    const channel = await this.readers.connect(reader);
    let identity: { iccid: string; eid: string | null };
    try {
      identity = await readDeviceIdentity(channel);
    } finally {
      await channel.disconnect().catch(() => undefined);
    }
    return { reader, ...identity, check: this.session().store.lookupDevice(identity.iccid) };
  }

  capture(input: CaptureInput): KycBindingView {
    const { store, user } = this.session();
    return this.changed('bind', store.capture(user, input));
  }

  transfer(input: TransferInput): KycBindingView {
    const { store, user } = this.session();
    return this.changed('transfer', store.transfer(user, input));
  }

  correct(input: CorrectInput): KycBindingView {
    const { store, user } = this.session();
    return this.changed('correct', store.correct(user, input));
  }

  withdraw(input: WithdrawInput): KycBindingView {
    const { store, user } = this.session();
    return this.changed('withdraw', store.withdraw(user, input));
  }

  erase(bindingId: string, reason: string, second: Second): KycBindingView {
    const { store, user, kms } = this.session();
    const approver = kms.authenticate(second.username, second.passphrase);
    return this.changed('erase', store.erase(user, approver, bindingId, reason));
  }

  purgeExpired(second: Second): { erased: string[] } {
    const { store, user, kms } = this.session();
    const approver = kms.authenticate(second.username, second.passphrase);
    const result = store.purgeExpired(user, approver);
    const at = new Date().toISOString();
    for (const id of result.erased)
      this.emit('change', { action: 'erase', bindingId: id, iccid: store.iccidOf(id), at });
    return result;
  }

  bindings(
    query: string,
    options: { by: SearchKey; includeHistory: boolean; limit: number },
  ): KycBindingSummary[] {
    return this.session().store.bindings(query, options);
  }

  recent(limit: number): KycBindingSummary[] {
    return this.session().store.recent(limit);
  }

  binding(id: string): { binding: KycBindingView; history: KycBindingView[] } {
    const { store, user } = this.session();
    return store.binding(user, id);
  }

  evidence(id: string): { id: string; mime: 'image/jpeg' | 'image/png'; dataBase64: string } {
    const { store, user } = this.session();
    return store.evidence(user, id);
  }

  saveDraft(draft: DraftInput): { savedAt: string; aadhaarDropped: boolean } {
    const { store, user } = this.session();
    return store.saveDraft(user, draft);
  }

  draft(): KycDraftView | null {
    const { store, user } = this.session();
    return store.draft(user);
  }

  discardDraft(): void {
    const { store, user } = this.session();
    store.discardDraft(user);
  }

  private changed(action: KycChange['action'], view: KycBindingView): KycBindingView {
    this.emit('change', {
      action,
      bindingId: view.id,
      iccid: view.device.iccid,
      at: new Date().toISOString(),
    });
    return view;
  }

  /** The logged-in user and the store of the unlocked station (a new one after each unlock). */
  private session(): { kms: Kms; user: Principal; store: KycStore } {
    const { kms, user } = this.kms.unlockedStation();
    if (this.stores?.kms !== kms) this.stores = { kms, store: new KycStore(kms, this.options) };
    return { kms, user, store: this.stores.store };
  }
}
