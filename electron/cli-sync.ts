/**
 * `obf-station enrol` and `obf-station sync`: the station and its Resource Server from the
 * command line (DESIGN.md §6). Passphrases come as for every command: OBF_PASSPHRASE_<USER>,
 * or `{"user": "…"}` on stdin. `sync` is one catch-up run: it pushes until the queue is empty,
 * pulls the registry, prints the counts, and exits 0 only when nothing is left pending.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SyncRunResult, SyncStatus } from '../core/api/index.js';
import { ObfError } from '../core/index.js';
import { Kms } from '../core/kms/index.js';
import { backoffDelay, SyncEngine, SyncHttpError } from '../core/sync/index.js';
import { intOption, jsonOption, printResult, type Command, type Values } from './cli-args.js';
import { passphraseFor } from './cli-kms.js';

function required(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || !v) throw new ObfError('VALIDATION', `--${name} is required`);
  return v;
}

function unlock(values: Values): Kms {
  const kms = Kms.open(required(values, 'db'));
  const user = required(values, 'user');
  kms.unlock(user, passphraseFor(user));
  return kms;
}

function statusLines(s: SyncStatus): string {
  return [
    `State: ${s.state} — ${s.message}`,
    s.enrolment
      ? `Server: ${s.enrolment.serverUrl} (${s.enrolment.serverId}), station ${s.enrolment.stationId} "${s.enrolment.stationName}", enrolled ${s.enrolment.enrolledAt} by ${s.enrolment.enrolledBy}`
      : 'Server: not enrolled',
    `Queue: ${s.queue ?? '?'} pending, ${s.acknowledged ?? '?'} acknowledged, ${s.quarantined ?? '?'} quarantined`,
    `Last sync: ${s.lastSyncAt ?? 'never'}`,
  ].join('\n');
}

const dbUser = { db: { type: 'string' }, user: { type: 'string' } } as const;

export const enrolCommand: Command = {
  summary: 'enrol this station with a Resource Server (a one-time code; two security officers)',
  usage:
    'obf-station enrol --db PATH --user OFFICER --second OFFICER --server URL --code XXXX-XXXX-XXXX-XXXX [--name NAME] [--json]',
  options: {
    ...dbUser,
    second: { type: 'string' },
    server: { type: 'string' },
    code: { type: 'string' },
    name: { type: 'string' },
    json: jsonOption,
  },
  async run(values) {
    const server = required(values, 'server');
    const code = required(values, 'code').trim().toUpperCase();
    if (!/^[A-Z2-9]{4}(?:-[A-Z2-9]{4}){3}$/.test(code))
      throw new ObfError(
        'VALIDATION',
        `--code must look like XXXX-XXXX-XXXX-XXXX; got "${code.slice(0, 40)}"`,
      );
    const secondName = required(values, 'second');
    const kms = unlock(values);
    try {
      // Enrolment decides where every card key goes from now on: dual control (DESIGN.md §10).
      const first = required(values, 'user');
      if (secondName === first)
        throw new ObfError('DUAL_CONTROL_REQUIRED', '--second must be another security officer than --user');
      const officers = kms.listUsers().filter((u) => u.role === 'security_officer' && u.state === 'active');
      for (const name of [first, secondName])
        if (!officers.some((u) => u.username === name))
          throw new ObfError('DUAL_CONTROL_REQUIRED', `${name} is not an active security officer`);
      kms.authenticate(secondName, passphraseFor(secondName));
      const engine = new SyncEngine({ station: () => kms });
      const status = await engine.enrol(
        { serverUrl: server, code, ...(typeof values.name === 'string' ? { stationName: values.name } : {}) },
        [first, secondName],
      );
      printResult(values, status, statusLines(status));
      return 0;
    } finally {
      kms.lock('system');
    }
  },
};

export const syncCommand: Command = {
  summary:
    'push the outbox to the Resource Server until it is empty and pull the registry; or show status / quarantine',
  usage:
    'obf-station sync [status|quarantine] --db PATH --user NAME [--retries N] [--limit N] [--json]   (exit 0: nothing left pending)',
  positionals: ['action'],
  options: {
    ...dbUser,
    retries: { type: 'string', default: '3' },
    limit: { type: 'string', default: '100' },
    json: jsonOption,
  },
  async run(values) {
    const action = values.action ?? 'run';
    if (!['run', 'status', 'quarantine'].includes(String(action)))
      throw new ObfError(
        'VALIDATION',
        `sync: unknown action "${String(action)}" (status, quarantine, or none to run)`,
      );
    const retries = intOption('retries', values.retries, 0, 100);
    const limit = intOption('limit', values.limit, 1, 1000);
    const kms = unlock(values);
    const engine = new SyncEngine({ station: () => (kms.unlocked ? kms : null) });
    try {
      if (action === 'status') {
        const status = engine.status();
        printResult(values, status, statusLines(status));
        return 0;
      }
      if (action === 'quarantine') {
        const list = engine.quarantine(limit);
        printResult(
          values,
          list,
          list.length
            ? list.map((q) => `#${q.seq}\t${q.kind}\t${q.ref}\t${q.rejectedAt}\t${q.reason}`).join('\n')
            : 'Nothing quarantined.',
        );
        return 0;
      }
      const total: SyncRunResult = {
        applied: 0,
        duplicate: 0,
        rejected: 0,
        batches: 0,
        queue: 0,
        registry: { applications: 0, permissions: 0 },
      };
      for (let attempt = 0; ; attempt++) {
        try {
          const run = await engine.syncOnce();
          total.applied += run.applied;
          total.duplicate += run.duplicate;
          total.rejected += run.rejected;
          total.batches += run.batches;
          total.queue = run.queue;
          total.registry.applications += run.registry.applications;
          total.registry.permissions += run.registry.permissions;
          break;
        } catch (e) {
          // Offline or busy: a few tries with backoff (full jitter), then give up and say why.
          if (!(e instanceof SyncHttpError) || e.kind === 'refused' || attempt >= retries) {
            throw e instanceof SyncHttpError ? new ObfError('TIMEOUT', e.message) : e;
          }
          const wait = e.details.retryAfterMs ?? backoffDelay(attempt, Math.random, 1000, 30_000);
          process.stderr.write(`sync: ${e.message}; retrying in ${Math.ceil(wait / 1000)} s\n`);
          await sleep(wait);
        }
      }
      printResult(
        values,
        total,
        `${total.applied} applied, ${total.duplicate} duplicate, ${total.rejected} rejected in ${total.batches} batches; ${total.queue} pending; registry: ${total.registry.applications} applications, ${total.registry.permissions} permissions`,
      );
      return total.queue === 0 ? 0 : 1;
    } finally {
      await engine.stop();
      kms.lock('system');
    }
  },
};
