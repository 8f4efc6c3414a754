import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuditLink, SyncRecord } from '../core/sync/protocol.js';
import { extendAnchor, GENESIS_PREV, planRecords, type ApplyContext } from './rules.js';

function chain(n: number, salt = ''): AuditLink[] {
  const out: AuditLink[] = [];
  let prev = GENESIS_PREV;
  for (let seq = 1; seq <= n; seq++) {
    const hash = createHash('sha256').update(`${salt}${prev}${seq}`).digest('hex');
    out.push({ seq, prev, hash });
    prev = hash;
  }
  return out;
}

describe('extendAnchor', () => {
  const links = chain(6);
  const at = (i: number) => ({ seq: links[i - 1]!.seq, hash: links[i - 1]!.hash });

  it('starts from genesis when no anchor is held, and refuses a first row that does not', () => {
    expect(extendAnchor(null, links.slice(0, 3))).toEqual({ ok: true, head: at(3) });
    expect(extendAnchor(null, links.slice(1, 3))).toMatchObject({ ok: false, reason: /must follow genesis/ });
  });

  it('extends the anchor by the rows after it, and keeps it on no rows', () => {
    expect(extendAnchor(at(3), links.slice(3))).toEqual({ ok: true, head: at(6) });
    expect(extendAnchor(at(3), [])).toEqual({ ok: true, head: at(3) });
  });

  it('accepts rows it already anchored when they include the anchor unchanged (a resend)', () => {
    expect(extendAnchor(at(3), links)).toEqual({ ok: true, head: at(6) });
    expect(extendAnchor(at(6), links)).toEqual({ ok: true, head: at(6) });
  });

  it('refuses a rewritten anchored row, a skipped row, a broken link and a foreign chain', () => {
    const other = chain(6, 'x');
    expect(extendAnchor(at(3), other)).toMatchObject({ ok: false, reason: /row 3 differs/ });
    expect(extendAnchor(at(3), links.slice(4))).toMatchObject({ ok: false, reason: /does not extend/ });
    expect(extendAnchor(at(3), [links[3]!, other[4]!])).toMatchObject({
      ok: false,
      reason: /row 5 does not follow row 4/,
    });
    expect(extendAnchor(at(3), [links[3]!, links[5]!])).toMatchObject({ ok: false, reason: /expected 5/ });
  });
});

const ICCID = (n: number) => `894400000000000000${n}`;
const card = (seq: number, n: number): SyncRecord => ({
  seq,
  ref: `card:${n}`,
  createdAt: '2026-01-01T00:00:00Z',
  kind: 'card-personalised',
  data: {
    batchId: 'b',
    iccid: ICCID(n),
    imsi: '208010000000001',
    impi: 'i',
    profile: 'p',
    kcvs: {},
    verifiedAt: '2026-01-01T00:00:00Z',
  },
});
const kyc = (
  seq: number,
  action: 'bind' | 'correct' | 'transfer' | 'withdraw' | 'erase',
  n: number,
  bindingId: string,
  supersedes: string | null = null,
): SyncRecord => ({
  seq,
  ref: `kyc:${seq}`,
  createdAt: '2026-01-01T00:00:00Z',
  kind: 'kyc-event',
  data: {
    action,
    bindingId,
    supersedes,
    device: { iccid: ICCID(n) },
    custodianId: `c-${bindingId}`,
    custodianKind: 'organisation',
    purpose: 'p',
    operator: 'op',
    at: '2026-01-01T00:00:00Z',
  },
});
const ctx = (over: Partial<ApplyContext> = {}): ApplyContext => ({
  stationId: 'st-a',
  devices: new Map(),
  bindings: new Map(),
  activeByIccid: new Map(),
  secretErrors: new Map(),
  ...over,
});
const reasons = (p: ReturnType<typeof planRecords>) => p.acks.map((a) => a.reason ?? a.status);

describe('planRecords', () => {
  it('applies a new card and rejects one another station personalised, naming it', () => {
    const c = ctx({ devices: new Map([[ICCID(2), { iccid: ICCID(2), stationId: 'st-b', stationSeq: 9 }]]) });
    const p = planRecords(c, [card(1, 1), card(2, 2), card(3, 1)]);
    expect(reasons(p)).toEqual([
      'applied',
      `ICCID ${ICCID(2)} already personalised by station st-b`,
      `ICCID ${ICCID(1)} already personalised by this station (record 1)`,
    ]);
    expect(p.mutations.map((m) => m.op)).toEqual(['device']);
  });

  it('rejects a record whose secret failed its check, with that reason', () => {
    const p = planRecords(ctx({ secretErrors: new Map([[1, 'record 1: bad secret']]) }), [card(1, 1)]);
    expect(reasons(p)).toEqual(['record 1: bad secret']);
    expect(p.mutations).toEqual([]);
  });

  it('binds a device carded earlier in the same batch, and refuses a binding for an unknown device', () => {
    const p = planRecords(ctx(), [kyc(1, 'bind', 1, 'b1'), card(2, 1), kyc(3, 'bind', 1, 'b1')]);
    expect(reasons(p)).toEqual([`unknown device ICCID ${ICCID(1)}`, 'applied', 'applied']);
    expect(p.mutations.map((m) => m.op)).toEqual(['device', 'binding', 'device-state', 'event']);
  });

  it('walks a custody lifecycle and refuses each out-of-order step', () => {
    const p = planRecords(ctx(), [
      card(1, 1),
      kyc(2, 'bind', 1, 'b1'),
      kyc(3, 'bind', 1, 'b2'),
      kyc(4, 'correct', 1, 'b2', 'bX'),
      kyc(5, 'correct', 1, 'b2', 'b1'),
      kyc(6, 'transfer', 1, 'b2', 'b2'),
      kyc(7, 'transfer', 1, 'b3', 'b2'),
      kyc(8, 'erase', 1, 'b3'),
      kyc(9, 'withdraw', 1, 'b2'),
      kyc(10, 'withdraw', 1, 'b3'),
      kyc(11, 'erase', 1, 'b3'),
      kyc(12, 'erase', 1, 'b3'),
      kyc(13, 'transfer', 1, 'b4', 'b3'),
      kyc(14, 'bind', 1, 'b1'),
      kyc(15, 'bind', 1, 'b4', 'b3'),
    ]);
    expect(reasons(p)).toEqual([
      'applied',
      'applied',
      `ICCID ${ICCID(1)} already bound to custodian c-b1 (binding b1); transfer it`,
      `correct supersedes bX but the active binding of ICCID ${ICCID(1)} is b1`,
      'applied',
      'binding b2 already exists',
      'applied',
      'binding b3 is still active; withdraw or transfer it first',
      `binding b2 is not the active binding of ICCID ${ICCID(1)}`,
      'applied',
      'applied',
      'binding b3 is already erased',
      `ICCID ${ICCID(1)} has no active binding to transfer`,
      'binding b1 already exists',
      'a bind supersedes nothing; got supersedes b3',
    ]);
  });
});
