/**
 * `npm run bench -- apdu`: APDU round-trip latency, in-process (simulated reader) and through
 * real pcscd + vpcd with the TCP_NODELAY shim.
 */
import { encodeCommand, ReaderManager, type CardChannel } from '../../core/card/index.js';
import { PcscReaderBackend } from '../../native/pcsc/index.js';
import { SimReaderBackend } from '../../native/vcard/index.js';
import { PcscHarness } from '../harness/pcsc-harness.js';

const ROUNDS = 500;
const getCin = encodeCommand({ cla: 0x80, ins: 0xca, p1: 0x00, p2: 0x45, data: new Uint8Array(0), le: 256 });

async function measure(channel: CardChannel) {
  for (let i = 0; i < 20; i++) await channel.transmit(getCin); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    await channel.transmit(getCin);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) =>
    Number(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(4));
  return { rounds: ROUNDS, medianMs: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}

async function simulated() {
  const backend = new SimReaderBackend({ slots: 1 });
  const manager = new ReaderManager(backend);
  manager.start();
  const channel = await manager.connect(backend.readerNames[0]!);
  const result = await measure(channel);
  await manager.stop();
  return result;
}

async function pcsc() {
  const harness = await PcscHarness.start({ slots: 2 });
  const manager = new ReaderManager(new PcscReaderBackend());
  manager.start();
  try {
    await manager.ready();
    const channel = await manager.connect(harness.readerNames[0]!);
    const result = await measure(channel);
    await channel.disconnect();
    return result;
  } finally {
    await manager.stop();
    await harness.stop();
  }
}

export async function benchApdu() {
  return {
    benchmark: 'apdu-latency',
    apdu: 'GET DATA CIN (80 CA 00 45 00)',
    simulatedInProcess: await simulated(),
    pcscdVpcdNodelay: await pcsc(),
  };
}
