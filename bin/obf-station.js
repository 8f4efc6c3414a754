#!/usr/bin/env node
// The obf-station command: runs the built CLI (npm install builds it; npm run build rebuilds it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/electron/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('obf-station: error: not built yet: run npm run build (npm install does it)\n');
  process.exit(1);
}
const { main } = await import(cli);
const code = await main(process.argv.slice(2));
// The PC/SC monitor thread can keep the loop alive after stop(); the command is done.
process.exit(code);
