/**
 * What the station remembers of a personalisation batch, in the encrypted station database:
 * the order, and a row per physical card from the moment it is given an ICCID. The card's keys
 * are generated and sealed in that same transaction, before anything is written to the card,
 * so an ICCID never gets two different key sets; after that a card's state only moves forward.
 * A verified card's row, its audit event and its outbox row commit together.
 */
import { concatBytes } from '../bytes.js';
import { canonicalJson } from '../canonical-json.js';
import { ObfError } from '../errors.js';
import type { StationRecords } from '../kms/index.js';
import { enqueue } from '../sync/outbox.js';
import {
  assertIccidsFree,
  orderCard,
  orderCardCount,
  orderIccidRange,
  parseOrder,
  type Order,
  type OrderCard,
} from './order.js';

export const cardStates = ['assigned', 'issuer-keys', 'secured', 'verified', 'rejected'] as const;
export type CardState = (typeof cardStates)[number];
export type BatchState = 'open' | 'paused' | 'aborted' | 'done';

/**
 * Why a card failed, which decides what happens next: `transient` (I/O, a pulled card, pcscd)
 * is retried when the card comes back; `wrong-card` and `crypto` (keys or answers that do not
 * match) reject it at once — a card is never re-personalised with other keys.
 */
export type FailureClass = 'transient' | 'wrong-card' | 'crypto';

/** Transient failures a card may have before it is rejected. */
export const MAX_TRANSIENT_ATTEMPTS = 3;

export interface CardSecrets {
  k: Uint8Array;
  opc: Uint8Array;
  /** By slot number, in the order's appKeySlots order. */
  appKeys: Map<number, Uint8Array>;
}

/** What one attempt at a card reached, recorded with its outcome. */
export interface AttemptProgress {
  state: CardState;
  steps: StepTiming[];
  kcvs: Record<string, string>;
}

export interface StepTiming {
  step: string;
  ms: number;
  at: string;
}

export interface CardRecord {
  batchId: string;
  index: number;
  iccid: string;
  imsi: string;
  impi: string;
  cardId: string;
  state: CardState;
  /** KCVs only: K, OPc and the issuer ISD key set (ENC), never the keys. */
  kcvs: Record<string, string>;
  nextSqn: string;
  reader: string | null;
  attempts: number;
  failureClass: FailureClass | null;
  lastError: string | null;
  steps: StepTiming[];
  assignedAt: string;
  updatedAt: string;
  verifiedAt: string | null;
}

export interface BatchSummary {
  id: string;
  customer: string;
  cardCount: number;
  /** Cards given an ICCID so far (verified, rejected or in progress). */
  assigned: number;
  state: BatchState;
  counts: Record<CardState, number>;
  iccidFirst: string;
  iccidLast: string;
  createdAt: string;
  createdBy: string;
}

interface CardRow {
  batch_id: string;
  idx: number;
  iccid: string;
  imsi: string;
  impi: string;
  card_id: string;
  state: CardState;
  secrets: Buffer;
  kcvs: string;
  next_sqn: string;
  reader: string | null;
  attempts: number;
  failure_class: FailureClass | null;
  last_error: string | null;
  steps: string;
  assigned_at: string;
  updated_at: string;
  verified_at: string | null;
}

interface BatchRow {
  id: string;
  order_json: string;
  iccid_first: string;
  iccid_last: string;
  card_count: number;
  next_index: number;
  state: BatchState;
  created_at: string;
  created_by: string;
}

const ORDER_OF_STATES: Record<CardState, number> = {
  assigned: 0,
  'issuer-keys': 1,
  secured: 2,
  verified: 3,
  rejected: 3,
};

export class BatchStore {
  private readonly orders = new Map<string, Order>();
  private pending: { work: () => unknown; settle: (ok: boolean, value: unknown) => void }[] = [];

  constructor(
    private readonly records: StationRecords,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Accepts an order as a batch; refuses one whose ICCIDs overlap an existing batch. */
  createBatch(order: Order, actor: string): BatchSummary {
    const { db } = this.records;
    const range = orderIccidRange(order);
    db.transaction(() => {
      if (this.records.prepare('SELECT 1 FROM batches WHERE id = ?').get(order.batchId))
        throw new ObfError('VALIDATION', `batch "${order.batchId}" exists on this station`);
      const existing = (
        this.records.prepare('SELECT id, iccid_first, iccid_last FROM batches').all() as Pick<
          BatchRow,
          'id' | 'iccid_first' | 'iccid_last'
        >[]
      ).map((b) => ({ batchId: b.id, first: b.iccid_first, last: b.iccid_last }));
      assertIccidsFree(order, existing);
      this.records
        .prepare(
          'INSERT INTO batches (id, order_json, iccid_first, iccid_last, card_count, state, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          order.batchId,
          canonicalJson(order),
          range.first,
          range.last,
          orderCardCount(order),
          'open',
          this.now().toISOString(),
          actor,
        );
      this.records.audit(actor, {
        type: 'batch-created',
        batchId: order.batchId,
        customer: order.customer.name,
        cards: orderCardCount(order),
        iccidFirst: range.first,
        iccidLast: range.last,
      });
    })();
    this.orders.set(order.batchId, order);
    return this.summary(order.batchId);
  }

  order(batchId: string): Order {
    const cached = this.orders.get(batchId);
    if (cached) return cached;
    const row = this.batchRow(batchId);
    // Read back through the same checks as at import: explicit rows go back in as their CSV.
    const { rows, ...manifest } = JSON.parse(row.order_json) as { rows?: Order['rows'] };
    const order = parseOrder(manifest, rows ? rowsCsv(rows) : undefined);
    this.orders.set(batchId, order);
    return order;
  }

  summary(batchId: string): BatchSummary {
    const row = this.batchRow(batchId);
    const counts = Object.fromEntries(cardStates.map((s) => [s, 0])) as Record<CardState, number>;
    const rows = this.records
      .prepare('SELECT state, count(*) AS n FROM cards WHERE batch_id = ? GROUP BY state')
      .all(batchId) as { state: CardState; n: number }[];
    for (const r of rows) counts[r.state] = r.n;
    return {
      id: row.id,
      customer: this.order(batchId).customer.name,
      cardCount: row.card_count,
      assigned: row.next_index,
      state: row.state,
      counts,
      iccidFirst: row.iccid_first,
      iccidLast: row.iccid_last,
      createdAt: row.created_at,
      createdBy: row.created_by,
    };
  }

  /**
   * Every ICCID given out and every card verified or rejected. Asked after each card, so it
   * reads only the cards still in work (a range of the state index), never the whole batch.
   */
  finished(batchId: string): boolean {
    const batch = this.batchRow(batchId);
    if (batch.next_index < batch.card_count) return false;
    const open = this.records
      .prepare(
        "SELECT count(*) AS n FROM cards WHERE batch_id = ? AND state IN ('assigned', 'issuer-keys', 'secured')",
      )
      .get(batchId) as { n: number };
    return open.n === 0;
  }

  list(): BatchSummary[] {
    const ids = this.records.prepare('SELECT id FROM batches ORDER BY created_at').all() as {
      id: string;
    }[];
    return ids.map((r) => this.summary(r.id));
  }

  setState(batchId: string, state: BatchState, actor: string): BatchSummary {
    const { db } = this.records;
    const before = this.batchRow(batchId).state;
    if (before === state) return this.summary(batchId);
    if (before === 'aborted' || before === 'done')
      throw new ObfError('VALIDATION', `batch "${batchId}" is ${before}: it does not change state again`);
    db.transaction(() => {
      this.records.prepare('UPDATE batches SET state = ? WHERE id = ?').run(state, batchId);
      this.records.audit(actor, { type: `batch-${state === 'open' ? 'resumed' : state}`, batchId });
    })();
    return this.summary(batchId);
  }

  card(cardId: string): CardRecord | null {
    const row = this.records.prepare('SELECT * FROM cards WHERE card_id = ?').get(cardId) as
      CardRow | undefined;
    return row ? toRecord(row) : null;
  }

  cards(batchId: string, filter: { state?: CardState; limit?: number } = {}): CardRecord[] {
    const rows = (
      filter.state
        ? this.records.db
            .prepare('SELECT * FROM cards WHERE batch_id = ? AND state = ? ORDER BY idx LIMIT ?')
            .all(batchId, filter.state, filter.limit ?? -1)
        : this.records.db
            .prepare('SELECT * FROM cards WHERE batch_id = ? ORDER BY idx LIMIT ?')
            .all(batchId, filter.limit ?? -1)
    ) as CardRow[];
    return rows.map(toRecord);
  }

  /**
   * Gives the batch's next ICCID to this physical card, generating and sealing its keys in the
   * same transaction. Null when every ICCID of the order is taken.
   */
  assign(
    batchId: string,
    cardId: string,
    reader: string,
    makeSecrets: (card: OrderCard) => { secrets: CardSecrets; kcvs: Record<string, string> },
  ): Promise<CardRecord | null> {
    const order = this.order(batchId);
    return this.commit((): CardRecord | null => {
      const batch = this.batchRow(batchId);
      if (batch.state !== 'open') throw new ObfError('VALIDATION', `batch "${batchId}" is ${batch.state}`);
      if (batch.next_index >= batch.card_count) return null;
      if (this.records.prepare('SELECT 1 FROM cards WHERE card_id = ?').get(cardId))
        throw new ObfError('VALIDATION', `card ${cardId} already has an ICCID`);
      const card = orderCard(order, batch.next_index);
      const { secrets, kcvs } = makeSecrets(card);
      const at = this.now().toISOString();
      try {
        const sealed = this.records.seal(packSecrets(order, secrets), secretsAad(batchId, card.iccid));
        this.records
          .prepare(
            'INSERT INTO cards (batch_id, idx, iccid, imsi, impi, card_id, state, secrets, kcvs, next_sqn, reader, assigned_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(
            batchId,
            card.index,
            card.iccid,
            card.imsi,
            card.impi,
            cardId,
            'assigned',
            sealed,
            JSON.stringify(kcvs),
            nextSqnAfter(order.initialSqn),
            reader,
            at,
            at,
          );
      } finally {
        zeroSecrets(secrets);
      }
      this.records.prepare('UPDATE batches SET next_index = next_index + 1 WHERE id = ?').run(batchId);
      return this.card(cardId);
    });
  }

  /** The card's keys, opened for the step that writes or checks them; the caller zeroes them. */
  secrets(card: CardRecord): CardSecrets {
    const row = this.records.prepare('SELECT secrets FROM cards WHERE card_id = ?').get(card.cardId) as
      { secrets: Buffer } | undefined;
    if (!row) throw new ObfError('VALIDATION', `no card ${card.cardId}`);
    return unpackSecrets(
      this.order(card.batchId),
      this.records.open(row.secrets, secretsAad(card.batchId, card.iccid)),
    );
  }

  /** The proof passed: card row, audit event and outbox row in one transaction. */
  verified(cardId: string, attempt: AttemptProgress, reader: string, nextSqn: string): Promise<CardRecord> {
    const card = this.requireCard(cardId);
    const at = this.now().toISOString();
    const kcvs = { ...card.kcvs, ...attempt.kcvs };
    return this.commit(() => {
      this.records
        .prepare(
          "UPDATE cards SET state = 'verified', steps = ?, kcvs = ?, reader = ?, next_sqn = ?, updated_at = ?, verified_at = ?, failure_class = NULL, last_error = NULL WHERE card_id = ?",
        )
        .run(
          JSON.stringify([...card.steps, ...attempt.steps]),
          JSON.stringify(kcvs),
          reader,
          nextSqn,
          at,
          at,
          cardId,
        );
      const event = {
        batchId: card.batchId,
        iccid: card.iccid,
        imsi: card.imsi,
        impi: card.impi,
        kcvs,
      };
      this.records.audit('station', { type: 'card-verified', ...event, reader });
      this.enqueueCard(card, kcvs, at);
      return this.requireCard(cardId);
    });
  }

  /** The verified card for the Resource Server: identity in clear, its keys sealed (DESIGN.md §6). */
  private enqueueCard(card: CardRecord, kcvs: Record<string, string>, at: string): void {
    const order = this.order(card.batchId);
    const secrets = this.secrets(card);
    const secret = Buffer.from(
      JSON.stringify({
        iccid: card.iccid,
        k: Buffer.from(secrets.k).toString('hex'),
        opc: Buffer.from(secrets.opc).toString('hex'),
        appKeys: Object.fromEntries(
          [...secrets.appKeys].map(([slot, key]) => [String(slot), Buffer.from(key).toString('hex')]),
        ),
      }),
    );
    zeroSecrets(secrets);
    try {
      enqueue(
        this.records,
        {
          kind: 'card-personalised',
          ref: card.iccid,
          data: {
            batchId: card.batchId,
            iccid: card.iccid,
            imsi: card.imsi,
            impi: card.impi,
            profile: order.profile,
            kcvs,
            verifiedAt: at,
          },
          secret,
        },
        at,
      );
    } finally {
      secret.fill(0);
    }
  }

  /**
   * A failed attempt. Transient failures keep the card's state for the next attempt until
   * MAX_TRANSIENT_ATTEMPTS; any other class rejects the card with its reason.
   */
  failed(
    cardId: string,
    failureClass: FailureClass,
    reason: string,
    reader: string,
    attempt: AttemptProgress,
  ): Promise<CardRecord> {
    const card = this.requireCard(cardId);
    if (card.state === 'verified' || card.state === 'rejected') return Promise.resolve(card);
    const attempts = card.attempts + 1;
    const reject = failureClass !== 'transient' || attempts >= MAX_TRANSIENT_ATTEMPTS;
    return this.commit(() => {
      this.records
        .prepare(
          'UPDATE cards SET state = ?, steps = ?, kcvs = ?, attempts = ?, failure_class = ?, last_error = ?, reader = ?, updated_at = ? WHERE card_id = ?',
        )
        .run(
          reject ? 'rejected' : furthest(card.state, attempt.state),
          JSON.stringify([...card.steps, ...attempt.steps]),
          JSON.stringify({ ...card.kcvs, ...attempt.kcvs }),
          attempts,
          failureClass,
          reason.slice(0, 500),
          reader,
          this.now().toISOString(),
          cardId,
        );
      this.records.audit('station', {
        type: reject ? 'card-rejected' : 'card-attempt-failed',
        batchId: card.batchId,
        iccid: card.iccid,
        failureClass,
        reason: reason.slice(0, 200),
        attempts,
        reader,
      });
      return this.requireCard(cardId);
    });
  }

  /** Verified cards with their keys opened, for the output files; each record's keys are zeroed after it is consumed. */
  *verifiedWithSecrets(batchId: string): Generator<CardRecord & { secrets: CardSecrets }> {
    for (const card of this.cards(batchId, { state: 'verified' })) {
      const secrets = this.secrets(card);
      try {
        yield { ...card, secrets };
      } finally {
        zeroSecrets(secrets);
      }
    }
  }

  /** Audits an output file by its hash (its contents never reach the log). */
  recordOutputFile(batchId: string, kind: string, sha256: string, records: number, actor: string): void {
    this.records.audit(actor, { type: 'batch-output-file', batchId, kind, sha256, records });
  }

  /**
   * Group commit: every card write asked for in the same turn of the event loop goes to disk in
   * one transaction (one fsync for all the lanes), each in its own savepoint so that one
   * refusal does not undo the others. A caller's promise settles only once its write is durable.
   */
  private commit<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({
        work,
        settle: (ok, value) =>
          ok ? resolve(value as T) : reject(value instanceof Error ? value : new Error(String(value))),
      });
    });
  }

  private flush(): void {
    const jobs = this.pending;
    this.pending = [];
    const outcomes: { ok: boolean; value: unknown }[] = [];
    const { db } = this.records;
    try {
      db.transaction(() => {
        for (const job of jobs) {
          try {
            outcomes.push({ ok: true, value: db.transaction(job.work)() });
          } catch (err) {
            outcomes.push({ ok: false, value: err });
          }
        }
      })();
    } catch (err) {
      // The commit itself failed (disk, lock): nothing of it is on disk.
      jobs.forEach((job) => job.settle(false, err));
      return;
    }
    this.records.touch();
    jobs.forEach((job, i) => job.settle(outcomes[i]!.ok, outcomes[i]!.value));
  }

  private requireCard(cardId: string): CardRecord {
    const card = this.card(cardId);
    if (!card) throw new ObfError('VALIDATION', `no card ${cardId} on this station`);
    return card;
  }

  private batchRow(batchId: string): BatchRow {
    const row = this.records.prepare('SELECT * FROM batches WHERE id = ?').get(batchId) as
      BatchRow | undefined;
    if (!row) throw new ObfError('VALIDATION', `no batch "${batchId}" on this station`);
    return row;
  }
}

/** An order's explicit rows as the CSV they came from (header `iccid,imsi[,impi]`). */
function rowsCsv(rows: NonNullable<Order['rows']>): string {
  const withImpi = rows[0]?.impi !== undefined;
  const lines = rows.map((r) => [r.iccid, r.imsi, ...(withImpi ? [r.impi ?? ''] : [])].join(','));
  return [withImpi ? 'iccid,imsi,impi' : 'iccid,imsi', ...lines].join('\n') + '\n';
}

function furthest(a: CardState, b: CardState): CardState {
  return ORDER_OF_STATES[b] > ORDER_OF_STATES[a] ? b : a;
}

function secretsAad(batchId: string, iccid: string): string {
  return `card:${batchId}:${iccid}`;
}

/** K ‖ OPc ‖ the application keys in the order's slot order: bytes that can be zeroed, unlike JSON. */
function packSecrets(order: Order, s: CardSecrets): Uint8Array {
  const parts = [s.k, s.opc];
  for (const slot of order.appKeySlots) {
    const key = s.appKeys.get(slot);
    if (!key || key.length !== 16) throw new ObfError('INTERNAL', `application key slot ${slot} is missing`);
    parts.push(key);
  }
  if (s.k.length !== 16 || s.opc.length !== 16) throw new ObfError('INTERNAL', 'K and OPc are 16 bytes');
  return concatBytes(...parts);
}

function unpackSecrets(order: Order, packed: Uint8Array): CardSecrets {
  if (packed.length !== 32 + 16 * order.appKeySlots.length)
    throw new ObfError('KMS_INTEGRITY', 'sealed card keys have the wrong length for their order');
  const appKeys = new Map<number, Uint8Array>();
  order.appKeySlots.forEach((slot, i) => appKeys.set(slot, packed.slice(32 + 16 * i, 48 + 16 * i)));
  const secrets = { k: packed.slice(0, 16), opc: packed.slice(16, 32), appKeys };
  packed.fill(0);
  return secrets;
}

export function zeroSecrets(s: CardSecrets): void {
  s.k.fill(0);
  s.opc.fill(0);
  for (const key of s.appKeys.values()) key.fill(0);
}

/** TS 33.102 C.3.2: the first challenge uses the SQN after the card's initial one. */
function nextSqnAfter(sqnHex: string): string {
  return ((BigInt(`0x${sqnHex}`) + 1n) & 0xffffffffffffn).toString(16).padStart(12, '0');
}

function toRecord(r: CardRow): CardRecord {
  return {
    batchId: r.batch_id,
    index: r.idx,
    iccid: r.iccid,
    imsi: r.imsi,
    impi: r.impi,
    cardId: r.card_id,
    state: r.state,
    kcvs: JSON.parse(r.kcvs) as Record<string, string>,
    nextSqn: r.next_sqn,
    reader: r.reader,
    attempts: r.attempts,
    failureClass: r.failure_class,
    lastError: r.last_error,
    steps: JSON.parse(r.steps) as StepTiming[],
    assignedAt: r.assigned_at,
    updatedAt: r.updated_at,
    verifiedAt: r.verified_at,
  };
}
