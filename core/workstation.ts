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

export interface WorkstationOptions {
  host: HostKind;
  version: string;
  readers: ReaderManager;
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
    this.dispatch = createDispatcher(this.handlers());
  }

  start(): void {
    this.options.readers.start();
  }

  async stop(): Promise<void> {
    await this.options.readers.stop();
  }

  private handlers(): Handlers {
    const { readers, host, version } = this.options;
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
    };
  }
}
