#!/usr/bin/env node
// The obf-resource-server command: runs the built server CLI (npm install builds it; npm run build rebuilds it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/server/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write(
    'obf-resource-server: error: not built yet: run npm run build (npm install does it)\n',
  );
  process.exit(1);
}
const { main } = await import(cli);
process.exit(await main(process.argv.slice(2)));
