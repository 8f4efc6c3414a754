import { EventEmitter } from 'node:events';
import {
  createDispatcher,
  type DispatchResult,
  type EventName,
  type EventPayload,
  type Handlers,
  type HostKind,
} from './api/index.js';
import { isSimulated, type ReaderManager } from './card/index.js';
import { ObfError } from './errors.js';
import type { KmsService } from './kms/kms-service.js';
import { kycHandlers } from './kyc/kyc-handlers.js';
import { KycService } from './kyc/kyc-service.js';
import { PersoService } from './perso/perso-service.js';
import { SyncEngine, syncHandlers, type SyncEngineOptions } from './sync/index.js';

export interface WorkstationOptions {
  host: HostKind;
  version: string;
  readers: ReaderManager;
  kms: KmsService;
  /** Sync engine tuning (tests: short polls and backoff); the station comes from `kms`. */
  sync?: Omit<SyncEngineOptions, 'station'>;
}

type WorkstationEvents = { [E in EventName]: [EventPayload<E>] };

/**
 * The whole application behind one typed API. Hosts (Electron, web, CLI) only expose it:
 * they pass raw calls to `dispatch`, which validates at the boundary, and forward events.
 */
export class Workstation extends EventEmitter<WorkstationEvents> {
  readonly dispatch: (method: string, input: unknown) => Promise<DispatchResult>;
  private readonly perso: PersoService;
  private readonly kyc: KycService;
  private readonly sync: SyncEngine;

  constructor(private readonly options: WorkstationOptions) {
    super();
    const { readers } = options;
    readers.on('change', (change, snapshot) => this.emit('readers', { change, snapshot }));
    options.kms.on('status', (status) => this.emit('kms', status));
    this.perso = new PersoService(options.kms, readers);
    this.perso.on('progress', (progress) => this.emit('perso', progress));
    this.kyc = new KycService(options.kms, readers);
    this.kyc.on('change', (change) => this.emit('kyc', change));
    // The station sync works on is taken at login (not on every poll: asking the KMS service
    // for it counts as activity and would keep an unattended station from auto-locking).
    let station = unlockedOrNull(options.kms);
    this.sync = new SyncEngine({ ...options.sync, station: () => (station?.unlocked ? station : null) });
    this.sync.on('status', (status) => this.emit('sync', status));
    options.kms.on('status', (status) => {
      station = status.state === 'unlocked' ? unlockedOrNull(options.kms) : null;
      this.sync.wake(); // a login lets sync go on at once; a lock makes it wait (and say so)
    });
    this.dispatch = createDispatcher(this.handlers());
  }

  start(): void {
    this.options.readers.start();
    this.sync.start();
  }

  async stop(): Promise<void> {
    this.perso.stop();
    await this.sync.stop();
    this.options.kms.close();
    await this.options.readers.stop();
  }

  private handlers(): Handlers {
    const { readers, host, version, kms } = this.options;
    const perso = this.perso;
    return {
      'app.info': () =>
        Promise.resolve({
          name: 'OBF Provisioning Workstation',
          version,
          host,
          readerSource: readers.backend.source,
        }),
      'readers.list': () => Promise.resolve(readers.snapshot()),
      'readers.simulate': ({ reader, action }) => {
        const backend = readers.backend;
        if (!isSimulated(backend)) {
          throw new ObfError(
            'NOT_SIMULATED',
            `reader "${reader}" is a real PC/SC reader: insert or remove the card by hand`,
          );
        }
        if (action === 'insert') backend.insert(reader);
        else backend.remove(reader);
        return Promise.resolve(readers.snapshot());
      },
      'kms.status': () => Promise.resolve(kms.status()),
      'kms.initialize': ({ users, recovery }) => kms.initialize(users, recovery),
      'kms.unlock': ({ username, passphrase }) => Promise.resolve(kms.unlock(username, passphrase)),
      'kms.lock': () => Promise.resolve(kms.lock()),
      'kms.keys': () => Promise.resolve(kms.keys()),
      'kms.generateKey': ({ label, type, usage, second }) =>
        Promise.resolve(kms.generateKey({ label, type, usage }, second)),
      'kms.recover': ({ shares }) => kms.recover(shares),
      'kms.componentKcv': ({ type, component }) => Promise.resolve(kms.componentKcv(type, component)),
      'kms.beginComponentImport': ({ label, type, usage, components }) =>
        Promise.resolve(kms.beginComponentImport({ label, type, usage }, components)),
      'kms.addComponent': ({ ceremonyId, custodian, component, kcv }) =>
        Promise.resolve(kms.addComponent(ceremonyId, custodian, component, kcv)),
      'kms.finishComponentImport': ({ ceremonyId, expectedKcv }) =>
        Promise.resolve(kms.finishComponentImport(ceremonyId, expectedKcv)),
      'kms.cancelComponentImport': () => {
        kms.cancelComponentImport();
        return Promise.resolve({ done: true as const });
      },
      'kms.exportKey': ({ label, transportLabel, second }) =>
        Promise.resolve(kms.exportKey(label, transportLabel, second)),
      'kms.users': () => Promise.resolve(kms.users()),
      'kms.addUser': ({ username, role, passphrase, second }) =>
        Promise.resolve(kms.addUser({ username, role, passphrase }, second)),
      'kms.setUserRole': ({ username, role, second }) =>
        Promise.resolve(kms.setUserRole(username, role, second)),
      'kms.disableUser': ({ username, second }) => Promise.resolve(kms.disableUser(username, second)),
      'kms.resetPassphrase': ({ username, passphrase, second }) => {
        kms.resetPassphrase(username, passphrase, second);
        return Promise.resolve({ done: true as const });
      },
      'kms.changePassphrase': ({ current, next }) => {
        kms.changePassphrase(current, next);
        return Promise.resolve({ done: true as const });
      },
      'kms.changeRecovery': ({ threshold, shares, second }) =>
        kms.changeRecovery({ threshold, shares }, second),
      'perso.importOrder': ({ manifest, rowsCsv }) => Promise.resolve(perso.importOrder(manifest, rowsCsv)),
      'perso.batches': () => Promise.resolve(perso.batches()),
      'perso.cards': ({ batchId, state, limit }) => Promise.resolve(perso.cards(batchId, state, limit)),
      'perso.start': ({ batchId, readers: names, handler }) =>
        Promise.resolve(perso.start(batchId, names, handler)),
      'perso.pause': () => Promise.resolve(perso.pause()),
      'perso.resume': () => Promise.resolve(perso.resume()),
      'perso.abort': () => Promise.resolve(perso.abort()),
      'perso.progress': () => Promise.resolve(perso.progress()),
      'perso.writeOutputs': ({ batchId }) => perso.writeOutputs(batchId),
      'audit.verify': () => Promise.resolve(kms.auditVerify()),
      'audit.export': ({ second }) => Promise.resolve(kms.exportAudit(second)),
      'audit.recent': ({ limit }) => Promise.resolve(kms.auditRecent(limit)),
      ...kycHandlers(this.kyc),
      ...syncHandlers(this.sync, kms),
    };
  }
}

/** The unlocked station for sync, or null while it is locked (or in a recovery session). */
function unlockedOrNull(kms: KmsService) {
  try {
    return kms.unlockedStation().kms;
  } catch {
    return null;
  }
}
