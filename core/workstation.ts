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

export interface WorkstationOptions {
  host: HostKind;
  version: string;
  readers: ReaderManager;
  kms: KmsService;
}

type WorkstationEvents = { [E in EventName]: [EventPayload<E>] };

/**
 * The whole application behind one typed API. Hosts (Electron, web, CLI) only expose it:
 * they pass raw calls to `dispatch`, which validates at the boundary, and forward events.
 */
export class Workstation extends EventEmitter<WorkstationEvents> {
  readonly dispatch: (method: string, input: unknown) => Promise<DispatchResult>;

  constructor(private readonly options: WorkstationOptions) {
    super();
    const { readers } = options;
    readers.on('change', (change, snapshot) => this.emit('readers', { change, snapshot }));
    options.kms.on('status', (status) => this.emit('kms', status));
    this.dispatch = createDispatcher(this.handlers());
  }

  start(): void {
    this.options.readers.start();
  }

  async stop(): Promise<void> {
    this.options.kms.close();
    await this.options.readers.stop();
  }

  private handlers(): Handlers {
    const { readers, host, version, kms } = this.options;
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
      'audit.verify': () => Promise.resolve(kms.auditVerify()),
      'audit.recent': ({ limit }) => Promise.resolve(kms.auditRecent(limit)),
    };
  }
}
