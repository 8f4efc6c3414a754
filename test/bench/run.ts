/**
 * `npm run bench [-- NAME…]`: benchmarks by name (apdu, kms; all when none is named). Each
 * result goes to stdout and to test-results/bench/NAME.json. Speed targets live here, never
 * in timed tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { benchApdu } from './apdu.js';
import { benchKms } from './kms.js';

const benches: Record<string, () => Promise<Record<string, unknown>>> = { apdu: benchApdu, kms: benchKms };
const asked = process.argv.slice(2);
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
