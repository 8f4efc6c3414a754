/** Starts the built web host (`obf-station web --json`) as its own process and reads its URL. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'obf-station.js');

export interface WebHostProcess {
  url: string;
  origin: string;
  stop(): Promise<void>;
}

/** Each web host gets a fresh data folder (its own station database), removed when it stops. */
export function startWebHostProcess(args: string[]): Promise<WebHostProcess> {
  const data = mkdtempSync(join(tmpdir(), 'obf-web-data-'));
  const child = spawn(process.execPath, [BIN, 'web', '--json', '--data', data, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.once('exit', () => rmSync(data, { recursive: true, force: true }));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`web host did not start within 15 s: ${stderr}`)),
      15_000,
    );
    child.once('exit', (code) => reject(new Error(`web host exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      const { url, origin } = JSON.parse(line) as { url: string; origin: string };
      resolve({
        url,
        origin,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
