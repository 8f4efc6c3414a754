/** The `kyc.*` methods of the contract, answered by a KycService. */
import type { HandlersFor } from '../api/index.js';
import type { KycService } from './kyc-service.js';

export type KycMethodName =
  | 'kyc.notice'
  | 'kyc.validateField'
  | 'kyc.lookupDevice'
  | 'kyc.readCard'
  | 'kyc.capture'
  | 'kyc.transfer'
  | 'kyc.correct'
  | 'kyc.withdraw'
  | 'kyc.erase'
  | 'kyc.purgeExpired'
  | 'kyc.bindings'
  | 'kyc.recent'
  | 'kyc.binding'
  | 'kyc.evidence'
  | 'kyc.saveDraft'
  | 'kyc.draft'
  | 'kyc.discardDraft';

export function kycHandlers(service: KycService): HandlersFor<KycMethodName> {
  return {
    'kyc.notice': () => Promise.resolve(service.notice()),
    'kyc.validateField': ({ kind, value }) => Promise.resolve(service.validateField(kind, value)),
    'kyc.lookupDevice': ({ iccid }) => Promise.resolve(service.lookupDevice(iccid)),
    'kyc.readCard': ({ reader }) => service.readCard(reader),
    'kyc.capture': (input) => Promise.resolve(service.capture(input)),
    'kyc.transfer': (input) => Promise.resolve(service.transfer(input)),
    'kyc.correct': (input) => Promise.resolve(service.correct(input)),
    'kyc.withdraw': (input) => Promise.resolve(service.withdraw(input)),
    'kyc.erase': ({ bindingId, reason, second }) => Promise.resolve(service.erase(bindingId, reason, second)),
    'kyc.purgeExpired': ({ second }) => Promise.resolve(service.purgeExpired(second)),
    'kyc.bindings': ({ query, by, includeHistory, limit }) =>
      Promise.resolve(service.bindings(query, { by, includeHistory, limit })),
    'kyc.recent': ({ limit }) => Promise.resolve(service.recent(limit)),
    'kyc.binding': ({ id }) => Promise.resolve(service.binding(id)),
    'kyc.evidence': ({ id }) => Promise.resolve(service.evidence(id)),
    'kyc.saveDraft': ({ draft }) => Promise.resolve(service.saveDraft(draft)),
    'kyc.draft': () => Promise.resolve(service.draft()),
    'kyc.discardDraft': () => {
      service.discardDraft();
      return Promise.resolve({ done: true as const });
    },
  };
}
