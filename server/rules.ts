/**
 * The pure rules of a pushed batch, kept apart from storage so each is tested on its own:
 * whether the batch's audit links extend the anchor the server holds (DESIGN.md §5: the
 * station's audit head is anchored at the Resource Server on every sync), and what each record
 * does to devices and custody bindings (clause 7.1.2 devices, clause 3.2.4 custody bindings).
 * A record the rules refuse is `rejected` with a reason naming the thing at fault; a rejection
 * is final (the station quarantines the record and shows it).
 */
import type { AuditLink, RecordAck, SyncRecord } from '../core/sync/protocol.js';

/** The first audit row's predecessor (core/kms/audit.ts GENESIS_PREV). */
export const GENESIS_PREV = '0'.repeat(64);

export interface Anchor {
  seq: number;
  hash: string;
}

/**
 * The anchor after `links`, or a message saying why they fork from `anchor`. Links the server
 * already anchored (a retry after a lost answer resends them) are recognised by the anchor
 * itself appearing among them; what follows it must chain on.
 */
export function extendAnchor(
  anchor: Anchor | null,
  links: readonly AuditLink[],
): { ok: true; head: Anchor | null } | { ok: false; reason: string } {
  for (let i = 1; i < links.length; i++) {
    const a = links[i - 1]!;
    const b = links[i]!;
    if (b.seq !== a.seq + 1)
      return { ok: false, reason: `audit link ${i} has seq ${b.seq}; expected ${a.seq + 1}` };
    if (b.prev !== a.hash) return { ok: false, reason: `audit row ${b.seq} does not follow row ${a.seq}` };
  }
  if (links.length === 0) return { ok: true, head: anchor };
  const last = links[links.length - 1]!;
  if (anchor === null) {
    if (links[0]!.prev !== GENESIS_PREV)
      return {
        ok: false,
        reason: `no anchor is held for this station, so the first audit row must follow genesis; row ${links[0]!.seq} does not`,
      };
    return { ok: true, head: { seq: last.seq, hash: last.hash } };
  }
  const known = links.findIndex((l) => l.seq === anchor.seq);
  if (known >= 0) {
    if (links[known]!.hash !== anchor.hash)
      return {
        ok: false,
        reason: `audit row ${anchor.seq} differs from the anchored one (the chain was rewritten)`,
      };
    return { ok: true, head: { seq: last.seq, hash: last.hash } };
  }
  const first = links[0]!;
  if (first.seq !== anchor.seq + 1 || first.prev !== anchor.hash)
    return {
      ok: false,
      reason: `audit row ${first.seq} does not extend the anchored head (row ${anchor.seq} ${anchor.hash.slice(0, 12)}…)`,
    };
  return { ok: true, head: { seq: last.seq, hash: last.hash } };
}

export interface DeviceView {
  iccid: string;
  stationId: string;
  stationSeq: number;
}

export interface BindingView {
  bindingId: string;
  iccid: string;
  custodianId: string;
  state: 'active' | 'superseded' | 'withdrawn';
  erased: boolean;
}

/** What the rules see of the database: filled for the batch's ICCIDs and binding ids. */
export interface ApplyContext {
  stationId: string;
  devices: Map<string, DeviceView>;
  bindings: Map<string, BindingView>;
  /** The active binding of each ICCID. */
  activeByIccid: Map<string, string>;
  /** Records whose secret failed its check (decryption, schema, identity): seq → reason. */
  secretErrors: Map<number, string>;
}

type CardRecord = Extract<SyncRecord, { kind: 'card-personalised' }>;
type KycRecord = Extract<SyncRecord, { kind: 'kyc-event' }>;

export type Mutation =
  | { op: 'device'; record: CardRecord }
  | { op: 'binding'; record: KycRecord }
  | { op: 'end-binding'; bindingId: string; state: 'superseded' | 'withdrawn'; at: string }
  | { op: 'erase'; bindingId: string; at: string }
  | { op: 'device-state'; iccid: string; state: 'personalised' | 'bound'; eid?: string }
  | { op: 'event'; record: KycRecord };

export interface Plan {
  acks: RecordAck[];
  mutations: Mutation[];
}

/**
 * Decides each record in order; the context is updated as records apply, so a later record of
 * the same batch sees an earlier one (a bind after the card's own record).
 */
export function planRecords(ctx: ApplyContext, records: readonly SyncRecord[]): Plan {
  const acks: RecordAck[] = [];
  const mutations: Mutation[] = [];
  for (const r of records) {
    const reason =
      ctx.secretErrors.get(r.seq) ?? (r.kind === 'card-personalised' ? card(ctx, r) : kyc(ctx, r));
    if (typeof reason === 'string') acks.push({ seq: r.seq, status: 'rejected', reason });
    else {
      acks.push({ seq: r.seq, status: 'applied' });
      mutations.push(...reason);
    }
  }
  return { acks, mutations };
}

function card(ctx: ApplyContext, r: CardRecord): string | Mutation[] {
  const { iccid } = r.data;
  const known = ctx.devices.get(iccid);
  if (known)
    return known.stationId === ctx.stationId
      ? `ICCID ${iccid} already personalised by this station (record ${known.stationSeq})`
      : `ICCID ${iccid} already personalised by station ${known.stationId}`;
  ctx.devices.set(iccid, { iccid, stationId: ctx.stationId, stationSeq: r.seq });
  return [{ op: 'device', record: r }];
}

function kyc(ctx: ApplyContext, r: KycRecord): string | Mutation[] {
  const d = r.data;
  const { iccid } = d.device;
  if (!ctx.devices.has(iccid)) return `unknown device ICCID ${iccid}`;
  const activeId = ctx.activeByIccid.get(iccid);
  const active = activeId === undefined ? undefined : ctx.bindings.get(activeId);
  const event: Mutation = { op: 'event', record: r };
  const fresh = (): string | null =>
    ctx.bindings.has(d.bindingId) ? `binding ${d.bindingId} already exists` : null;
  const start = (): Mutation[] => {
    ctx.bindings.set(d.bindingId, {
      bindingId: d.bindingId,
      iccid,
      custodianId: d.custodianId,
      state: 'active',
      erased: false,
    });
    ctx.activeByIccid.set(iccid, d.bindingId);
    return [
      { op: 'binding', record: r },
      { op: 'device-state', iccid, state: 'bound', ...(d.device.eid ? { eid: d.device.eid } : {}) },
    ];
  };
  switch (d.action) {
    case 'bind': {
      if (active)
        return `ICCID ${iccid} already bound to custodian ${active.custodianId} (binding ${active.bindingId}); transfer it`;
      if (d.supersedes !== null) return `a bind supersedes nothing; got supersedes ${d.supersedes}`;
      const clash = fresh();
      if (clash) return clash;
      return [...start(), event];
    }
    case 'correct':
    case 'transfer': {
      if (!active) return `ICCID ${iccid} has no active binding to ${d.action}`;
      if (d.supersedes !== active.bindingId)
        return `${d.action} supersedes ${d.supersedes ?? 'nothing'} but the active binding of ICCID ${iccid} is ${active.bindingId}`;
      const clash = fresh();
      if (clash) return clash;
      active.state = 'superseded';
      return [
        { op: 'end-binding', bindingId: active.bindingId, state: 'superseded', at: d.at },
        ...start(),
        event,
      ];
    }
    case 'withdraw': {
      if (!active || active.bindingId !== d.bindingId)
        return `binding ${d.bindingId} is not the active binding of ICCID ${iccid}`;
      active.state = 'withdrawn';
      ctx.activeByIccid.delete(iccid);
      return [
        { op: 'end-binding', bindingId: d.bindingId, state: 'withdrawn', at: d.at },
        { op: 'device-state', iccid, state: 'personalised' },
        event,
      ];
    }
    case 'erase': {
      const b = ctx.bindings.get(d.bindingId);
      if (!b || b.iccid !== iccid) return `unknown binding ${d.bindingId} for ICCID ${iccid}`;
      if (b.state === 'active')
        return `binding ${d.bindingId} is still active; withdraw or transfer it first`;
      if (b.erased) return `binding ${d.bindingId} is already erased`;
      b.erased = true;
      return [{ op: 'erase', bindingId: d.bindingId, at: d.at }, event];
    }
  }
}
