/**
 * `npm start`: Electron when its binary is present; otherwise the web host opened in
 * Chromium's app mode with a throw-away profile, or just its URL when no Chromium exists.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './package-info.js';

const chromiumCandidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(): string | null {
  return chromiumCandidates.find((p) => existsSync(p)) ?? null;
}

/** Runs Electron on the built main process; resolves with its exit code. */
export function launchElectron(binary: string, args: string[] = []): Promise<number> {
  const child = spawn(binary, [projectRoot(), ...args], { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

/**
 * Opens the URL in a Chromium app window (no tabs, no address bar). The profile is created for
 * this launch and removed when the window closes. Resolves when the window is closed.
 */
export function openAppWindow(chromium: string, url: string): Promise<void> {
  const profile = mkdtempSync(join(tmpdir(), 'obf-station-chromium-'));
  const args = [
    `--app=${url}`,
    `--user-data-dir=${profile}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--window-size=1280,800',
  ];
  if (process.getuid?.() === 0) args.push('--no-sandbox'); // Chromium refuses to run as root otherwise
  const child = spawn(chromium, args, { stdio: 'ignore' });
  return new Promise((resolve) => {
    child.on('exit', () => {
      rmSync(profile, { recursive: true, force: true });
      resolve();
    });
    child.on('error', () => resolve());
  });
}
