/**
 * `npm run bench -- perso [--readers 8] [--cards 2000]`: a whole order personalised through
 * real pcscd + vpcd, the station in this process, the virtual cards in the simulator process,
 * this bench as the card handler (a finished card is swapped for a blank at once). Reports
 * cards/s, APDUs/s, the station's CPU ms per card and its event-loop lag p99 during the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ReaderManager } from '../../core/card/index.js';
import { Kms } from '../../core/kms/index.js';
import { BatchRunner, BatchStore, openPersoKeys, zeroPersoKeys } from '../../core/perso/index.js';
import { PcscReaderBackend } from '../../native/pcsc/index.js';
import { PcscHarness } from '../harness/pcsc-harness.js';
import { createPersoStation, PASSPHRASES } from '../harness/perso-station.js';

export async function benchPerso(args: { readers: number; cards: number }): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'obf-bench-perso-'));
  const harness = await PcscHarness.start({ slots: args.readers });
  const readers = new ReaderManager(new PcscReaderBackend());
  try {
    const station = await createPersoStation(dir, { cards: args.cards, batchId: 'BENCH' });
    const kms = Kms.open(station.dbPath);
    kms.unlock('oscar', PASSPHRASES.oscar);
    const store = new BatchStore(kms.records());
    store.createBatch(station.order, 'oscar');
    const keys = openPersoKeys(kms, station.order);
    readers.start();
    await readers.ready(10_000);
    let apdus = 0;
    const connect = readers.connect.bind(readers);
    readers.connect = async (name) => {
      const channel = await connect(name);
      return {
        ...channel,
        transmit: (a) => (apdus++, channel.transmit(a)),
        disconnect: () => channel.disconnect(),
      };
    };
    const runner = new BatchRunner(readers, store, 'BENCH', keys, {
      readers: harness.readerNames,
      handler: 'auto',
    });
    runner.on('card', ({ reader, outcome }) => {
      if (outcome.kind === 'verified' || outcome.kind === 'rejected')
        harness.swap(harness.readerNames.indexOf(reader));
    });
    const lag = monitorEventLoopDelay({ resolution: 5 });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    lag.enable();
    const summary = await runner.run();
    lag.disable();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    zeroPersoKeys(keys);
    kms.lock();
    const verified = summary.counts.verified;
    return {
      name: 'perso',
      path: 'station (this process) → pcscd → vpcd → virtual cards (sim process), TCP_NODELAY shim',
      readers: args.readers,
      cards: args.cards,
      verified,
      rejected: summary.counts.rejected,
      seconds: Number(seconds.toFixed(2)),
      cardsPerSecond: Number((verified / seconds).toFixed(1)),
      apdusPerSecond: Math.round(apdus / seconds),
      apdusPerCard: Number((apdus / Math.max(1, verified)).toFixed(1)),
      stationCpuMsPerCard: Number(((cpu.user + cpu.system) / 1000 / Math.max(1, verified)).toFixed(2)),
      eventLoopLagP99Ms: Number((lag.percentile(99) / 1e6).toFixed(2)),
      eventLoopLagMaxMs: Number((lag.max / 1e6).toFixed(2)),
      targets: { cardsPerSecond: 100, eventLoopLagP99Ms: 20 },
    };
  } finally {
    await readers.stop();
    await harness.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
