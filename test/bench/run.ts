/**
 * `npm run bench [-- NAME… [--readers N] [--cards N] [--records N]]`: benchmarks by name (apdu, kms, perso, sync;
 * all when none is named). Each result goes to stdout and to test-results/bench/NAME.json.
 * Speed targets live here, never in timed tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { benchApdu } from './apdu.js';
import { benchKms } from './kms.js';
import { benchPerso } from './perso.js';
import { benchSync } from './sync.js';

const { values, positionals: asked } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    readers: { type: 'string', default: '8' },
    cards: { type: 'string', default: '2000' },
    records: { type: 'string', default: '100000' },
  },
});
const readers = Number(values.readers);
const cards = Number(values.cards);
const records = Number(values.records);
if (![2, 4, 6, 8].includes(readers) || !Number.isInteger(cards) || cards < 1 || cards > 1_000_000) {
  process.stderr.write('bench: --readers is 2, 4, 6 or 8 (vpcd slots); --cards is 1..1000000\n');
  process.exit(2);
}
if (!Number.isInteger(records) || records < 1 || records > 10_000_000) {
  process.stderr.write('bench: --records is 1..10000000\n');
  process.exit(2);
}
const benches: Record<string, () => Promise<Record<string, unknown>>> = {
  apdu: benchApdu,
  kms: benchKms,
  perso: () => benchPerso({ readers, cards }),
  sync: () => benchSync({ records }),
};
const unknown = asked.filter((n) => !benches[n]);
if (unknown.length) {
  process.stderr.write(
    `bench: unknown benchmark ${unknown.join(', ')} (one of: ${Object.keys(benches).join(', ')})\n`,
  );
  process.exit(2);
}
mkdirSync('test-results/bench', { recursive: true });
for (const name of asked.length ? asked : Object.keys(benches)) {
  const result = { ...(await benches[name]!()), at: new Date().toISOString(), node: process.version };
  writeFileSync(`test-results/bench/${name}.json`, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
process.exit(0);
