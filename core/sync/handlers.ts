/** The `sync.*` methods of the contract over the engine (DESIGN.md §6). */
import type { HandlersFor } from '../api/dispatch.js';
import { ObfError } from '../errors.js';
import type { KmsService } from '../kms/kms-service.js';
import type { SyncEngine } from './engine.js';

export type SyncMethodName = 'sync.status' | 'sync.enrol' | 'sync.now' | 'sync.quarantine' | 'sync.registry';

export function syncHandlers(engine: SyncEngine, kms: KmsService): HandlersFor<SyncMethodName> {
  return {
    'sync.status': () => Promise.resolve(engine.status()),
    /**
     * Enrolment decides where every card key goes from now on, so it is dual control like a
     * key export: the logged-in security officer and a second, different one (DESIGN.md §10).
     */
    'sync.enrol': async ({ serverUrl, code, stationName, second }) => {
      const { kms: station, user } = kms.unlockedStation();
      if (user.role !== 'security_officer')
        throw new ObfError('DUAL_CONTROL_REQUIRED', 'enrolment is done by a security officer');
      if (second.username === user.username)
        throw new ObfError('DUAL_CONTROL_REQUIRED', 'the second security officer must be someone else');
      const other = station.authenticate(second.username, second.passphrase);
      if (other.role !== 'security_officer')
        throw new ObfError('DUAL_CONTROL_REQUIRED', `${other.username} is not a security officer`);
      return engine.enrol({ serverUrl, code, ...(stationName ? { stationName } : {}) }, [
        user.username,
        other.username,
      ]);
    },
    'sync.now': () => engine.syncNow(),
    'sync.quarantine': ({ limit }) => Promise.resolve(engine.quarantine(limit)),
    'sync.registry': ({ limit }) => Promise.resolve(engine.registry(limit)),
  };
}
