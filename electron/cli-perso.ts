/**
 * `obf-station perso run` and `perso status`: a batch from an order file, on PC/SC readers or
 * simulated ones, progress on stderr and a JSON summary on stdout. The run can be stopped
 * (Ctrl-C) or killed at any moment and run again with the same order: it resumes.
 */
import { dirname, join } from 'node:path';
import { canonicalJson } from '../core/canonical-json.js';
import { isSimulated, ReaderManager } from '../core/card/index.js';
import { ObfError } from '../core/index.js';
import { Kms } from '../core/kms/index.js';
import {
  BatchRunner,
  BatchStore,
  openPersoKeys,
  readOrderFile,
  writeBatchOutputs,
  zeroPersoKeys,
  type BatchProgress,
} from '../core/perso/index.js';
import { intOption, jsonOption, printResult, type CommandGroup, type Values } from './cli-args.js';
import { passphraseFor } from './cli-kms.js';
import { chooseReaders, parseReaderMode } from './compose.js';

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

function progressLine(p: BatchProgress): string {
  const { counts, cardCount } = p.summary;
  const eta = p.etaSeconds === null ? '' : `, ETA ${Math.ceil(p.etaSeconds / 60)} min`;
  return `${counts.verified}/${cardCount} verified, ${counts.rejected} rejected, ${p.ratePerMinute} cards/min${eta}`;
}

export const persoCommands: CommandGroup = {
  summary: 'factory personalisation: run an order on the readers, see a batch',
  subcommands: {
    run: {
      summary:
        'personalise the cards of an order on the readers, proving each by AUTHENTICATE; resumes a batch',
      usage:
        'obf-station perso run --db PATH --user NAME --order FILE [--readers all|NAME,...] [--source auto|pcsc|sim] [--slots N] [--handler manual|auto] [--out DIR] [--json]',
      options: {
        db: { type: 'string' },
        user: { type: 'string' },
        order: { type: 'string' },
        readers: { type: 'string', default: 'all' },
        source: { type: 'string', default: 'auto' },
        slots: { type: 'string', default: '4' },
        handler: { type: 'string', default: 'manual' },
        out: { type: 'string' },
        json: jsonOption,
      },
      async run(values) {
        const handler = values.handler === 'auto' ? 'auto' : values.handler === 'manual' ? 'manual' : null;
        if (!handler)
          throw new ObfError(
            'VALIDATION',
            `--handler must be manual or auto; got "${String(values.handler)}"`,
          );
        const order = await readOrderFile(required(values, 'order'));
        const names =
          values.readers === 'all'
            ? ('all' as const)
            : String(values.readers)
                .split(',')
                .map((n) => n.trim())
                .filter(Boolean);
        const { backend } = chooseReaders(
          parseReaderMode(String(values.source)),
          intOption('slots', values.slots, 1, 16),
        );
        const kms = unlock(values);
        const readers = new ReaderManager(backend);
        let keys: ReturnType<typeof openPersoKeys> | null = null;
        const json = values.json === true;
        const say = (obj: Record<string, unknown>, text: string) =>
          process.stderr.write(json ? JSON.stringify(obj) + '\n' : text + '\n');
        try {
          const store = new BatchStore(kms.records());
          if (store.list().some((b) => b.id === order.batchId)) {
            if (canonicalJson(store.order(order.batchId)) !== canonicalJson(order))
              throw new ObfError('VALIDATION', `batch "${order.batchId}" exists here with a different order`);
          } else {
            store.createBatch(order, required(values, 'user'));
          }
          keys = openPersoKeys(kms, order);
          readers.start();
          await readers.ready(10_000);
          const runner = new BatchRunner(readers, store, order.batchId, keys, {
            readers: names,
            handler,
            progressEveryMs: 1000,
          });
          const stop = () => runner.stop();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          runner.on('progress', (p) =>
            say(
              {
                event: 'progress',
                ...p.summary.counts,
                cardCount: p.summary.cardCount,
                ratePerMinute: p.ratePerMinute,
              },
              progressLine(p),
            ),
          );
          runner.on('card', ({ reader, outcome }) => {
            const iccid = 'card' in outcome ? outcome.card.iccid : null;
            say(
              {
                event: 'card',
                reader,
                outcome: outcome.kind,
                iccid,
                ...('card' in outcome && outcome.card.lastError ? { error: outcome.card.lastError } : {}),
              },
              `${reader}: ${outcome.kind}${iccid ? ` ${iccid}` : ''}${'card' in outcome && outcome.card.lastError ? ` (${outcome.card.lastError})` : ''}`,
            );
            // Simulated readers have no operator: the station plays the card handler.
            if (isSimulated(backend) && outcome.kind !== 'retry' && outcome.kind !== 'order-complete') {
              setImmediate(() => {
                backend.remove(reader);
                backend.insert(reader);
              });
            }
          });
          const started = performance.now();
          // A finished batch only has its output files written again.
          const summary =
            store.summary(order.batchId).state === 'done' ? store.summary(order.batchId) : await runner.run();
          const elapsedMs = Math.round(performance.now() - started);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          const done = summary.state === 'done';
          let outputs = null;
          if (done) {
            const dir =
              typeof values.out === 'string'
                ? values.out
                : join(dirname(kms.dbPath), 'output', order.batchId);
            const files = await writeBatchOutputs(kms, store, order.batchId, dir, required(values, 'user'));
            outputs = {
              jwe: files.jwe && {
                path: files.jwe.path,
                sha256: files.jwe.sha256,
                records: files.jwe.records,
              },
              csv: { path: files.csv.path, sha256: files.csv.sha256, records: files.csv.records },
            };
          }
          const rejected = store.cards(order.batchId, { state: 'rejected' }).map((c) => ({
            iccid: c.iccid,
            reader: c.reader,
            failureClass: c.failureClass,
            reason: c.lastError,
          }));
          printResult(
            values,
            { batch: summary, rejected, outputs, elapsedMs },
            [
              `batch ${summary.id}: ${summary.state}; ${summary.counts.verified} verified, ${summary.counts.rejected} rejected of ${summary.cardCount} in ${(elapsedMs / 1000).toFixed(1)} s`,
              ...rejected.map((r) => `rejected ${r.iccid} (${r.failureClass}): ${r.reason}`),
              ...(outputs
                ? [`output: ${outputs.csv.path}${outputs.jwe ? `, ${outputs.jwe.path}` : ''}`]
                : []),
            ].join('\n'),
          );
          return done ? 0 : 1;
        } finally {
          if (keys) zeroPersoKeys(keys);
          await readers.stop();
          kms.lock(required(values, 'user'));
        }
      },
    },
    status: {
      summary: 'a batch as the station knows it: counts, state, rejected cards',
      usage: 'obf-station perso status --db PATH --user NAME --batch ID [--cards] [--json]',
      options: {
        db: { type: 'string' },
        user: { type: 'string' },
        batch: { type: 'string' },
        /** Every card with its state and KCVs (never a key): what a server's KCVs are checked against. */
        cards: { type: 'boolean', default: false },
        json: jsonOption,
      },
      run(values) {
        const kms = unlock(values);
        try {
          const store = new BatchStore(kms.records());
          const batchId = required(values, 'batch');
          const summary = store.summary(batchId);
          const rejected = store.cards(batchId, { state: 'rejected' }).map((c) => ({
            iccid: c.iccid,
            reader: c.reader,
            failureClass: c.failureClass,
            reason: c.lastError,
          }));
          const inProgress = store
            .cards(batchId)
            .filter((c) => c.state !== 'verified' && c.state !== 'rejected')
            .map((c) => ({ iccid: c.iccid, state: c.state, attempts: c.attempts, lastError: c.lastError }));
          const cards =
            values.cards === true
              ? store.cards(batchId).map((c) => ({ iccid: c.iccid, state: c.state, kcvs: c.kcvs }))
              : undefined;
          printResult(
            values,
            { batch: summary, rejected, inProgress, ...(cards ? { cards } : {}) },
            [
              `batch ${summary.id} (${summary.customer}): ${summary.state}`,
              `${summary.counts.verified} verified, ${summary.counts.rejected} rejected, ${inProgress.length} in progress, ${summary.cardCount - summary.assigned} not started`,
              ...rejected.map((r) => `rejected ${r.iccid} (${r.failureClass}): ${r.reason}`),
              ...(cards ?? []).map(
                (c) =>
                  `${c.iccid}\t${c.state}\t${Object.entries(c.kcvs)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(' ')}`,
              ),
            ].join('\n'),
          );
          return Promise.resolve(0);
        } finally {
          kms.lock(required(values, 'user'));
        }
      },
    },
  },
};
