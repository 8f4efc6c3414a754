#!/usr/bin/env node
// `npm test`: the whole suite, one command. Checks (and as root installs) the system packages
// the tests need, then runs lint, typecheck, build, unit, integration and e2e, and ends with one
// line totalling every runner: `N passed, N failed, N skipped`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const isRoot = process.getuid?.() === 0;

/** Debian packages and how to tell each is there. */
const systemNeeds = [
  { pkg: 'pcscd', present: () => ['/usr/sbin/pcscd', '/usr/bin/pcscd'].some(existsSync) },
  { pkg: 'libpcsclite-dev', present: () => existsSync('/usr/include/PCSC/winscard.h') },
  { pkg: 'vsmartcard-vpcd', present: () => existsSync('/usr/lib/pcsc/drivers/serial/libifdvpcd.so') },
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium') },
  // The Resource Server suite runs against PostgreSQL too (its own cluster in a temp folder).
  {
    pkg: 'postgresql',
    present: () =>
      existsSync('/usr/lib/postgresql') &&
      readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)),
  },
  {
    pkg: 'build-essential',
    present: () =>
      spawnSync('sh', ['-c', 'command -v cc && command -v make'], { stdio: 'ignore' }).status === 0,
  },
];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

/**
 * Runs a test runner under coreutils' timeout, which kills its whole process group: a runner
 * whose event loop hangs (a native call that never returns) fails the run instead of stalling
 * CI, and takes the pcscd and virtual cards it started down with it.
 */
function runBounded(minutes, cmd, args) {
  const code = run('timeout', ['--kill-after=15', String(minutes * 60), cmd, ...args]);
  if (code === 124 || code === 137)
    console.error(`${cmd} ${args.join(' ')}: killed after ${minutes} minutes`);
  return code;
}

function ensureSystemPackages() {
  const missing = systemNeeds.filter((n) => !n.present()).map((n) => n.pkg);
  if (missing.length === 0) return true;
  const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (!isRoot) {
    console.error(
      `npm test needs system packages that are missing. Install them with:\n  sudo apt-get update && sudo ${command}`,
    );
    return false;
  }
  console.log(`Installing missing system packages: ${missing.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['update', '-qq'], { env }) !== 0 || run('sh', ['-c', command], { env }) !== 0) {
    console.error(`Installing failed; run as root: apt-get update && ${command}`);
    return false;
  }
  return true;
}

function ensurePcscBinding() {
  try {
    require('smartcard');
    return true;
  } catch {
    console.log(
      'The PC/SC binding is not built (pcsc-lite headers were missing at npm install): rebuilding smartcard',
    );
    return run('npm', ['rebuild', 'smartcard']) === 0;
  }
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
const skipReasons = [];

function check(name, cmd, args) {
  const code = run(cmd, args);
  if (code === 0) totals.passed++;
  else totals.failed++;
  lines.push(`${name}: ${code === 0 ? 'ok' : `FAILED (exit ${code})`}`);
  return code === 0;
}

function vitest(name, args, report, minutes) {
  rmSync(report, { force: true });
  const code = runBounded(minutes, 'npx', ['vitest', 'run', ...args]);
  if (!existsSync(report)) {
    totals.failed++;
    lines.push(`${name}: FAILED (exit ${code}${code === 124 ? ', timed out' : ''}, no report)`);
    return;
  }
  const r = JSON.parse(readFileSync(report, 'utf8'));
  // A suite that failed before its tests ran (a beforeAll that threw) counts as a failure.
  const failedSuites = r.testResults.filter(
    (s) => s.status === 'failed' && s.assertionResults.every((a) => a.status !== 'failed'),
  ).length;
  const failed = r.numFailedTests + failedSuites;
  const skipped = r.numPendingTests + r.numTodoTests;
  totals.passed += r.numPassedTests;
  totals.failed += failed + (code !== 0 && failed === 0 ? 1 : 0);
  totals.skipped += skipped;
  lines.push(
    `${name}: ${r.numPassedTests} passed, ${failed} failed, ${skipped} skipped${code !== 0 && failed === 0 ? ` (runner exit ${code})` : ''}`,
  );
}

function playwright(name, report, minutes) {
  rmSync(report, { force: true });
  const code = runBounded(minutes, 'npx', ['playwright', 'test']);
  if (!existsSync(report)) {
    totals.failed++;
    lines.push(`${name}: FAILED (exit ${code}, no report)`);
    return;
  }
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const { expected = 0, unexpected = 0, flaky = 0, skipped = 0 } = r.stats;
  const walk = (suite) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        for (const a of t.annotations ?? [])
          if (a.type === 'skip') skipReasons.push(`${spec.title}: ${a.description ?? 'no reason given'}`);
      }
    }
    (suite.suites ?? []).forEach(walk);
  };
  (r.suites ?? []).forEach(walk);
  const errors = (r.errors ?? []).length;
  totals.passed += expected;
  totals.failed += unexpected + flaky + errors + (code !== 0 && unexpected + errors === 0 ? 1 : 0);
  totals.skipped += skipped;
  lines.push(`${name}: ${expected} passed, ${unexpected + flaky + errors} failed, ${skipped} skipped`);
}

/**
 * vpcd's fixed ports (35963–35970) lie in the kernel's ephemeral range: a client socket of an
 * HTTP-heavy test left in TIME_WAIT on one of them makes vpcd's bind fail. Reserved before any
 * runner starts, they are never handed out (test/harness/pcsc-harness.ts does the same for a
 * runner started on its own). Needs root; without it the harness prints what to run.
 */
function reserveVpcdPorts() {
  const file = '/proc/sys/net/ipv4/ip_local_reserved_ports';
  const range = '35963-35970';
  try {
    const current = readFileSync(file, 'utf8').trim();
    if (!current.split(',').includes(range)) writeFileSync(file, current ? `${current},${range}` : range);
  } catch {
    // not Linux, or not root: the harness says what to do if vpcd cannot bind
  }
}

mkdirSync('test-results', { recursive: true });
reserveVpcdPorts();
if (!ensureSystemPackages() || !ensurePcscBinding()) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
check('lint', 'npm', ['run', '-s', 'lint']);
check('typecheck', 'npm', ['run', '-s', 'typecheck']);
const built = check('build', 'npm', ['run', '-s', 'build']);
vitest('unit', [], 'test-results/unit.json', 15);
if (built) {
  vitest('integration', ['-c', 'vitest.integration.config.ts'], 'test-results/integration.json', 35);
  playwright('e2e', 'test-results/e2e.json', 30);
} else {
  totals.failed += 2;
  lines.push('integration, e2e: not run (the build failed)');
}

console.log('\n── npm test summary (lint, typecheck and build count one check each) ──');
for (const l of lines) console.log(`  ${l}`);
for (const s of skipReasons) console.log(`  skipped: ${s}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
