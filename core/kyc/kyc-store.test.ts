import { describe, expect, it } from 'vitest';
import { kycCaptureInput, kycDraft, methods, type KycCaptureInput } from '../api/contract.js';
import { isObfError } from '../errors.js';
import { Kms } from '../kms/index.js';
import { FAST, tempStation, users } from '../kms/station.fixture.js';
import { outboxAad } from '../sync/outbox.js';
import { kycEventData } from '../sync/protocol.js';
import { EXIF_SECRET, jpegWithExif, pngWithText } from './image.fixture.js';
import {
  aadhaarFor,
  b64,
  iccidFor,
  imeiFor,
  individualCapture,
  organisationCustodian,
  PHOTO_MARKER,
  vinFor,
} from './kyc.fixture.js';
import { KycStore, nameWords } from './kyc-store.js';

const station = tempStation();
const sam = { username: 'sam', role: 'supervisor' as const, passphrase: 'sam supervises well' };

async function setup(now?: () => Date) {
  const { kms } = await station.setup({ users: [...users, sam], scrypt: FAST });
  const oscar = kms.authenticate('oscar', 'oscar operator pass');
  const alice = kms.authenticate('alice', 'alice correct horse');
  const samP = kms.authenticate('sam', sam.passphrase);
  return { kms, oscar, alice, sam: samP, store: new KycStore(kms, now ? { now } : {}) };
}

const parse = (i: KycCaptureInput) => kycCaptureInput.parse(i);

function counts(kms: Kms) {
  const db = kms.database();
  const n = (t: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
  return {
    bindings: n('kyc_bindings'),
    evidence: n('kyc_evidence'),
    tokens: n('kyc_name_tokens'),
    outbox: n('outbox'),
    audit: n('audit'),
  };
}

function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isObfError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a failure');
}

function outboxRows(kms: Kms) {
  return kms
    .database()
    .prepare('SELECT seq, kind, ref, payload, secret, created_at FROM outbox ORDER BY seq')
    .all() as {
    seq: number;
    kind: string;
    ref: string;
    payload: string;
    secret: Buffer;
    created_at: string;
  }[];
}

function openSecret(kms: Kms, row: ReturnType<typeof outboxRows>[number]): Record<string, unknown> {
  const bytes = kms.records().open(row.secret, outboxAad(row.kind, row.ref, row.created_at));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

describe('capture', () => {
  it('binds a device: clear device ids, sealed personal data, Aadhaar as last 4, audit and outbox together', async () => {
    const { kms, oscar, store } = await setup();
    const before = counts(kms);
    const view = store.capture(oscar, parse(individualCapture(1)));
    expect(view).toMatchObject({
      state: 'active',
      action: 'bind',
      supersedes: null,
      operator: 'oscar',
      purpose: 'vehicle-tracking',
      device: { iccid: iccidFor(1), imei: imeiFor(1), vin: vinFor(1), registration: 'MH12AB1001' },
      custodian: {
        name: 'Ravi Kumar Sharma',
        phone: '+919876543210',
        idDocument: { type: 'aadhaar', display: `XXXX XXXX ${aadhaarFor(1).slice(8)}` },
        address: { country: 'IN', pincode: '411001' },
      },
    });
    expect(view.custodianId).toMatch(/^kc-[0-9a-f]{32}$/);
    expect(Date.parse(view.retentionUntil) - Date.parse(view.createdAt)).toBe(3 * 365 * 86_400_000);
    expect(counts(kms)).toEqual({
      ...before,
      bindings: 1,
      evidence: 1,
      tokens: 3,
      outbox: before.outbox + 1,
      audit: before.audit + 1,
    });
    // Nothing personal in a clear column, the audit event or the outbox's clear payload.
    const row = kms.database().prepare('SELECT * FROM kyc_bindings').get() as Record<string, unknown>;
    const clear = JSON.stringify(Object.values(row).filter((v) => typeof v === 'string'));
    const audit = JSON.stringify(kms.database().prepare('SELECT event FROM audit').all());
    const [ob] = outboxRows(kms);
    for (const text of [clear, audit, ob!.payload]) {
      expect(text).not.toContain('Ravi');
      expect(text).not.toContain(aadhaarFor(1));
      expect(text).not.toContain('9876543210');
    }
    // The outbox record is exactly the protocol's kyc-event, and its secret has no full Aadhaar.
    expect(ob!.kind).toBe('kyc-event');
    expect(kycEventData.parse(JSON.parse(ob!.payload))).toMatchObject({
      action: 'bind',
      bindingId: view.id,
      custodianId: view.custodianId,
      operator: 'oscar',
    });
    const secret = openSecret(kms, ob!);
    expect(secret).toMatchObject({ bindingId: view.id, custodian: { name: 'Ravi Kumar Sharma' } });
    expect(JSON.stringify(secret)).not.toContain(aadhaarFor(1));
  });

  it('strips EXIF from the photo before sealing it; the image opens for display, its pixels intact', async () => {
    const { oscar, store } = await setup();
    const view = store.capture(oscar, parse(individualCapture(1)));
    const [e] = view.evidence;
    expect(e).toMatchObject({ kind: 'custodian-photo', mime: 'image/jpeg', available: true });
    expect(e!.strippedBytes).toBeGreaterThan(EXIF_SECRET.length);
    const shown = Buffer.from(store.evidence(oscar, e!.id).dataBase64, 'base64');
    expect(shown.toString('latin1')).not.toContain(EXIF_SECRET);
    expect(shown.includes(Buffer.from(PHOTO_MARKER))).toBe(true);
    expect(shown.length).toBe(e!.bytes);
  });

  it('refuses a device bound to an active custodian, and saves nothing', async () => {
    const { kms, oscar, store } = await setup();
    const first = store.capture(oscar, parse(individualCapture(1)));
    const before = counts(kms);
    const f = failure(() =>
      store.capture(oscar, parse(individualCapture(1, { custodian: organisationCustodian() }))),
    );
    expect(f.code).toBe('VALIDATION');
    expect(f.message).toBe(
      `kyc.capture: device.iccid: this device is bound to an active custodian (binding ${first.id}): record a transfer instead`,
    );
    expect(counts(kms)).toEqual(before);
  });

  it('captures an organisation (GSTIN document, company PAN) without a photo', async () => {
    const { oscar, store } = await setup();
    const view = store.capture(
      oscar,
      parse(individualCapture(2, { custodian: organisationCustodian(), evidence: [] })),
    );
    expect(view.custodian).toMatchObject({ kind: 'organisation', pan: 'AAACD1234M' });
    expect(view.custodian!.idDocument.display).toMatch(/^27AAACD1234M1Z.$/);
  });
});

/** [field path, a change to a valid capture that makes that field wrong]. */
const badFields: [string, (c: KycCaptureInput) => void][] = [
  ['device.iccid', (c) => (c.device.iccid = iccidFor(1).slice(0, -1) + '0')],
  ['device.eid', (c) => (c.device.eid = '8904903200000000000000000000001')],
  ['device.imei', (c) => (c.device.imei = imeiFor(1).slice(0, 14) + '0')],
  ['device.vin', (c) => (c.device.vin = 'MA1TA2C4I12345678')],
  ['device.registration', (c) => (c.device.registration = 'XX12AB1234')],
  ['custodian.idDocument.number', (c) => (c.custodian.idDocument.number = '234567890123')],
  ['custodian.idDocument.type', (c) => (c.custodian.idDocument = { type: 'gstin', number: 'x' })],
  ['custodian.pan', (c) => (c.custodian.pan = 'ABCPK12345')],
  ['custodian.gstin', (c) => (c.custodian.gstin = '27ABCPK1234F1Z0')],
  ['custodian.phone', (c) => (c.custodian.phone = '09876543210')],
  ['custodian.address.pincode', (c) => (c.custodian.address.pincode = '011001')],
  ['consent.noticeVersion', (c) => (c.consent.noticeVersion = '2020-01-1')],
  ['consent.signaturePng', (c) => (c.consent.signaturePng = b64(jpegWithExif()))],
  ['evidence.0.dataBase64', (c) => (c.evidence[0]!.dataBase64 = b64(new TextEncoder().encode('%PDF-1.7')))],
  ['evidence', (c) => (c.evidence = [])],
];

/** Fields the contract's schema refuses before the service sees them. */
const badShapes: [string, (c: KycCaptureInput) => void][] = [
  ['custodian.name', (c) => (c.custodian.name = '  ')],
  ['custodian.kind', (c) => ((c.custodian as { kind: string }).kind = 'company')],
  ['custodian.address.line1', (c) => (c.custodian.address.line1 = '')],
  ['custodian.address.city', (c) => (c.custodian.address.city = 'x'.repeat(101))],
  ['custodian.address.state', (c) => (c.custodian.address.state = 'Maha\u0007rashtra')],
  ['custodian.address.country', (c) => (c.custodian.address.country = 'India')],
  ['device.make', (c) => (c.device.make = 'm'.repeat(65))],
  ['device.engineNumber', (c) => (c.device.engineNumber = 'EN#1')],
  ['device.trackerSerial', (c) => (c.device.trackerSerial = 'TRK 1; DROP')],
  ['purpose', (c) => ((c as { purpose: string }).purpose = 'marketing')],
  ['dealer', (c) => (c.dealer = '')],
  ['evidence.0.mime', (c) => ((c.evidence[0] as { mime: string }).mime = 'image/gif')],
  ['evidence.0.dataBase64', (c) => (c.evidence[0]!.dataBase64 = 'data:image/jpeg;base64,AAAA')],
];

describe('bad input in every field', () => {
  it.each(badFields)('%s: the service names the field and saves nothing', async (path, spoil) => {
    const { kms, oscar, store } = await setup();
    const input = individualCapture(1);
    spoil(input);
    const before = counts(kms);
    const f = failure(() => store.capture(oscar, parse(input)));
    expect(f.code).toBe('VALIDATION');
    expect(f.message.startsWith(`kyc.capture: ${path}: `), f.message).toBe(true);
    expect(f.message).not.toContain('234567890123');
    expect(counts(kms)).toEqual(before);
  });

  it.each(badShapes)('%s: the contract names the field', (path, spoil) => {
    const input = individualCapture(1);
    spoil(input);
    const r = methods['kyc.capture'].input.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('reports every wrong field at once', async () => {
    const { oscar, store } = await setup();
    const input = individualCapture(1);
    badFields[0]![1](input);
    badFields[7]![1](input);
    badFields[9]![1](input);
    const f = failure(() => store.capture(oscar, parse(input)));
    expect(f.message).toMatch(/device\.iccid: .*; custodian\.pan: .*; custodian\.phone: /);
  });
});

describe('transfer, correction, withdrawal', () => {
  it('transfers to a new custodian: the previous binding is kept as transferred, with the reason', async () => {
    const { kms, oscar, store } = await setup();
    const first = store.capture(oscar, parse(individualCapture(1)));
    const next = store.transfer(oscar, {
      bindingId: first.id,
      reason: 'vehicle sold',
      custodian: kycCaptureInput.shape.custodian.parse(organisationCustodian()),
      dealer: 'Pune Central Motors',
      consent: individualCapture(1).consent,
      evidence: [],
    });
    expect(next).toMatchObject({
      action: 'transfer',
      supersedes: first.id,
      reason: 'vehicle sold',
      state: 'active',
    });
    expect(next.custodianId).not.toBe(first.custodianId);
    const { history } = store.binding(oscar, next.id);
    expect(history.map((h) => [h.id, h.state])).toEqual([
      [first.id, 'transferred'],
      [next.id, 'active'],
    ]);
    expect(history[0]!.custodian!.name).toBe('Ravi Kumar Sharma');
    expect(history[0]!.ended).toMatchObject({ by: 'oscar', reason: 'vehicle sold' });
    expect(outboxRows(kms).map((r) => (JSON.parse(r.payload) as { action: string }).action)).toEqual([
      'bind',
      'transfer',
    ]);
  });

  it('refuses a transfer to the same custodian (that is a correction) and one of an ended binding', async () => {
    const { oscar, store } = await setup();
    const first = store.capture(oscar, parse(individualCapture(1)));
    const same = parse(individualCapture(1));
    expect(
      failure(() =>
        store.transfer(oscar, { ...same, bindingId: first.id, reason: 'sold', purpose: undefined }),
      ).message,
    ).toMatch(/^kyc\.transfer: custodian\.idDocument\.number: this is the same custodian/);
    store.withdraw(oscar, {
      bindingId: first.id,
      reason: 'no longer wanted',
      signaturePng: b64(pngWithText()),
    });
    expect(
      failure(() =>
        store.transfer(oscar, {
          ...parse(individualCapture(1, { custodian: organisationCustodian() })),
          bindingId: first.id,
          reason: 'sold',
          purpose: undefined,
        }),
      ).message,
    ).toMatch(/^kyc\.transfer: bindingId: binding kb-.* is withdrawn, only an active binding can transfer/);
  });

  it('a correction supersedes and keeps history: same custodian id, same consent, old data still readable', async () => {
    const { kms, oscar, store } = await setup();
    const first = store.capture(oscar, parse(individualCapture(1)));
    const fixed = store.correct(oscar, {
      bindingId: first.id,
      reason: 'registration typed wrong',
      device: { registration: 'MH 12 AB 9999' },
    });
    expect(fixed).toMatchObject({
      action: 'correct',
      supersedes: first.id,
      custodianId: first.custodianId,
      retentionUntil: first.retentionUntil,
      consent: first.consent,
      device: { ...first.device, registration: 'MH12AB9999' },
    });
    // The evidence captured with the first binding shows on the correction too.
    expect(fixed.evidence.map((e) => e.id)).toEqual(first.evidence.map((e) => e.id));
    const { history } = store.binding(oscar, first.id);
    expect(history.map((h) => [h.state, h.device.registration])).toEqual([
      ['superseded', 'MH12AB1001'],
      ['active', 'MH12AB9999'],
    ]);
    expect(history[0]!.custodian).toEqual(history[1]!.custodian);
    // The old row is untouched by a direct UPDATE: the schema refuses.
    expect(() =>
      kms
        .database()
        .prepare('UPDATE kyc_bindings SET registration = ? WHERE id = ?')
        .run('MH12AB0001', first.id),
    ).toThrow(/append-only/);
    expect(() => kms.database().prepare('DELETE FROM kyc_bindings WHERE id = ?').run(first.id)).toThrow(
      /append-only/,
    );
  });

  it('a correction of the custodian kind is refused (that is a transfer), naming the field', async () => {
    const { oscar, store } = await setup();
    const first = store.capture(oscar, parse(individualCapture(1)));
    const f = failure(() =>
      store.correct(oscar, {
        bindingId: first.id,
        reason: 'wrong',
        custodian: kycCaptureInput.shape.custodian.parse(organisationCustodian()),
      }),
    );
    expect(f.message).toMatch(/^kyc\.correct: custodian\.kind: /);
  });

  it('withdrawal ends the binding with the signature; the device can be captured again', async () => {
    const { kms, oscar, store } = await setup();
    const first = store.capture(oscar, parse(individualCapture(1)));
    const w = store.withdraw(oscar, {
      bindingId: first.id,
      reason: 'customer request',
      signaturePng: b64(pngWithText(8, 8)),
    });
    expect(w.state).toBe('withdrawn');
    expect(w.ended).toMatchObject({ by: 'oscar', reason: 'customer request' });
    expect(w.ended!.signatureSha256).toMatch(/^[0-9a-f]{64}$/);
    const again = store.capture(oscar, parse(individualCapture(1, { custodian: organisationCustodian() })));
    expect(again.state).toBe('active');
    const actions = outboxRows(kms).map((r) => kycEventData.parse(JSON.parse(r.payload)).action);
    expect(actions).toEqual(['bind', 'withdraw', 'bind']);
  });
});

describe('erasure', () => {
  it('only after withdrawal or at retention end, by a second person who is a supervisor or security officer', async () => {
    let now = new Date('2026-11-28T10:00:00Z');
    const { kms, oscar, alice, sam: samP, store } = await setup(() => now);
    const a = store.capture(oscar, parse(individualCapture(1)));
    const b = store.capture(oscar, parse(individualCapture(2)));
    store.correct(oscar, { bindingId: b.id, reason: 'typo', device: { make: 'Tata' } });
    expect(failure(() => store.erase(oscar, samP, a.id, 'asked')).message).toMatch(
      /^kyc\.erase: bindingId: binding .* is active and kept until 2029-11-27.*: personal data is erased only after withdrawal of consent or at retention end/,
    );
    const operatorSecond = kms.authenticate('oscar', 'oscar operator pass');
    expect(failure(() => store.erase(alice, operatorSecond, a.id, 'x'))).toMatchObject({
      code: 'UNAUTHORIZED',
    });
    expect(failure(() => store.erase(samP, samP, a.id, 'x')).code).toBe('DUAL_CONTROL_REQUIRED');

    store.withdraw(oscar, { bindingId: a.id, reason: 'customer request', signaturePng: b64(pngWithText()) });
    const erased = store.erase(oscar, samP, a.id, 'consent withdrawn');
    expect(erased).toMatchObject({ state: 'erased', custodian: null, erased: { by: 'oscar+sam' } });
    expect(erased.evidence.every((e) => !e.available)).toBe(true);
    expect(erased.device.iccid).toBe(iccidFor(1)); // the row and the device stay
    expect(
      store.bindings('Ravi', { by: 'name', includeHistory: true, limit: 10 }).map((s) => s.id),
    ).not.toContain(a.id);
    expect(failure(() => store.evidence(oscar, erased.evidence[0]!.id)).message).toMatch(/was erased/);

    // Retention end: the corrected chain of b goes whole, by purgeExpired.
    now = new Date('2029-11-28T10:00:01Z');
    const purged = store.purgeExpired(oscar, samP);
    expect(purged.erased).toHaveLength(2);
    const row = kms
      .database()
      .prepare('SELECT personal, withdrawal FROM kyc_bindings WHERE id = ?')
      .get(b.id);
    expect(row).toEqual({ personal: null, withdrawal: null });
    expect(counts(kms).tokens).toBe(0);
    const audited = kms
      .database()
      .prepare("SELECT actor, event FROM audit WHERE event LIKE '%kyc-erase%'")
      .all() as { actor: string }[];
    expect(audited).toHaveLength(3);
    expect(audited.every((a) => a.actor === 'oscar+sam')).toBe(true);
  });

  it('the schema refuses to replace sealed data or to delete a token of a live binding', async () => {
    const { kms, oscar, store } = await setup();
    const a = store.capture(oscar, parse(individualCapture(1)));
    const db = kms.database();
    expect(() =>
      db.prepare('UPDATE kyc_bindings SET personal = ? WHERE id = ?').run(Buffer.from('x'), a.id),
    ).toThrow(/only ever erased/);
    expect(() => db.prepare('UPDATE kyc_bindings SET personal = NULL WHERE id = ?').run(a.id)).toThrow();
    expect(() => db.prepare('DELETE FROM kyc_name_tokens').run()).toThrow(/erased binding/);
    expect(() => db.prepare('DELETE FROM kyc_evidence').run()).toThrow(/append-only/);
  });
});

describe('search', () => {
  it('finds bindings by ICCID, IMEI, VIN, registration number and custodian name', async () => {
    const { oscar, store } = await setup();
    const a = store.capture(oscar, parse(individualCapture(1)));
    const b = store.capture(
      oscar,
      parse(individualCapture(2, { custodian: organisationCustodian(), evidence: [] })),
    );
    const find = (q: string, by: Parameters<KycStore['bindings']>[1]['by'] = 'any') =>
      store.bindings(q, { by, includeHistory: false, limit: 50 }).map((s) => s.id);
    expect(find(iccidFor(1), 'iccid')).toEqual([a.id]);
    expect(find(imeiFor(2), 'imei')).toEqual([b.id]);
    expect(find(vinFor(1).toLowerCase(), 'vin')).toEqual([a.id]);
    expect(find('mh 12 ab 1002', 'registration')).toEqual([b.id]);
    expect(find('ravi sharma', 'name')).toEqual([a.id]);
    expect(find('DECCAN', 'name')).toEqual([b.id]);
    expect(find('Ravi Deccan', 'name')).toEqual([]);
    expect(find(iccidFor(2))).toEqual([b.id]);
    expect(find('sharma')).toEqual([a.id]);
    expect(find('Pune')).toEqual([]); // an address is not a name
    const summary = store.bindings('Ravi', { by: 'name', includeHistory: false, limit: 5 })[0]!;
    expect(summary).toMatchObject({ custodianName: 'Ravi Kumar Sharma', registration: 'MH12AB1001' });
  });

  it('splits names into words the same way for storing and searching, Devanagari included', async () => {
    expect(nameWords('  RAVI  kumar-Sharma, Ravi ')).toEqual(['ravi', 'kumar', 'sharma']);
    // A vowel sign is a combining mark (Mc): it stays in its word.
    expect(nameWords('रवि कुमार')).toEqual(['रवि', 'कुमार']);
    const { oscar, store } = await setup();
    const c = individualCapture(3);
    c.custodian.name = 'रवि कुमार शर्मा';
    const a = store.capture(oscar, parse(c));
    expect(store.bindings('शर्मा', { by: 'name', includeHistory: false, limit: 5 }).map((s) => s.id)).toEqual([
      a.id,
    ]);
    expect(store.bindings('रव', { by: 'name', includeHistory: false, limit: 5 })).toEqual([]);
  });

  it('without history only the latest binding of each device; with history every one', async () => {
    const { oscar, store } = await setup();
    const a = store.capture(oscar, parse(individualCapture(1)));
    const c = store.correct(oscar, {
      bindingId: a.id,
      reason: 'typo',
      custodian: { ...parse(individualCapture(1)).custodian, name: 'Ravi K Sharma' },
    });
    expect(
      store.bindings(iccidFor(1), { by: 'iccid', includeHistory: false, limit: 9 }).map((s) => s.id),
    ).toEqual([c.id]);
    expect(
      store
        .bindings(iccidFor(1), { by: 'iccid', includeHistory: true, limit: 9 })
        .map((s) => s.id)
        .sort(),
    ).toEqual([a.id, c.id].sort());
    expect(store.bindings('kumar', { by: 'name', includeHistory: false, limit: 9 })).toEqual([]);
    expect(store.bindings('kumar', { by: 'name', includeHistory: true, limit: 9 }).map((s) => s.id)).toEqual([
      a.id,
    ]);
    expect(store.recent(10).map((s) => s.id)).toEqual([c.id]);
  });
});

describe('outbox in the same transaction', () => {
  it('a failing outbox write rolls back the binding, its evidence, tokens and audit row', async () => {
    const { kms, oscar, store } = await setup();
    const before = counts(kms);
    kms
      .database()
      .exec(
        "CREATE TEMP TRIGGER outbox_full BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'outbox full'); END;",
      );
    expect(() => store.capture(oscar, parse(individualCapture(1)))).toThrow(/outbox full/);
    expect(counts(kms)).toEqual(before);
    kms.database().exec('DROP TRIGGER outbox_full');
    expect(store.capture(oscar, parse(individualCapture(1))).state).toBe('active');
  });
});

describe('drafts', () => {
  it('are sealed per operator, survive a restart, and never keep an Aadhaar number', async () => {
    const { kms, oscar, store } = await setup();
    const draft = kycDraft.parse({
      step: 'custodian',
      device: { iccid: iccidFor(1) },
      custodian: {
        kind: 'individual',
        name: 'Ravi',
        idDocument: { type: 'aadhaar', number: aadhaarFor(1) },
        pan: aadhaarFor(2),
      },
    });
    expect(store.saveDraft(oscar, draft).aadhaarDropped).toBe(true);
    const raw = kms.database().prepare('SELECT sealed FROM kyc_drafts').get() as { sealed: Buffer };
    expect(raw.sealed.toString('latin1')).not.toContain('Ravi');
    kms.lock();
    const reopened = Kms.open(station.dbPath);
    reopened.unlock('oscar', 'oscar operator pass');
    const again = new KycStore(reopened);
    const oscar2 = reopened.authenticate('oscar', 'oscar operator pass');
    const got = again.draft(oscar2)!;
    expect(got.aadhaarDropped).toBe(true);
    expect(got.draft.custodian).toEqual({
      kind: 'individual',
      name: 'Ravi',
      idDocument: { type: 'aadhaar' },
    });
    expect(got.draft.device).toEqual({ iccid: iccidFor(1) });
    expect(again.draft(reopened.authenticate('alice', 'alice correct horse'))).toBeNull();
    again.discardDraft(oscar2);
    expect(again.draft(oscar2)).toBeNull();
    reopened.lock();
  });
});

describe('device lookup', () => {
  it('says whether the ICCID was personalised here and secured, and whether it is bound', async () => {
    const { kms, oscar, store } = await setup();
    const db = kms.database();
    db.prepare(
      "INSERT INTO batches (id, order_json, iccid_first, iccid_last, card_count, state, created_at, created_by) VALUES ('B1', '{}', ?, ?, 2, 'open', 'now', 'sam')",
    ).run(iccidFor(1), iccidFor(2));
    const card = db.prepare(
      "INSERT INTO cards (batch_id, idx, iccid, imsi, impi, card_id, state, secrets, kcvs, next_sqn, assigned_at, updated_at, verified_at) VALUES ('B1', ?, ?, '1', 'i', ?, ?, x'00', '{}', '0', 'now', 'now', ?)",
    );
    card.run(0, iccidFor(1), 'c1', 'verified', '2026-11-27T00:00:00.000Z');
    card.run(1, iccidFor(2), 'c2', 'issuer-keys', null);
    expect(store.lookupDevice(iccidFor(1))).toMatchObject({
      personalisedHere: true,
      secured: true,
      cardState: 'verified',
      batchId: 'B1',
      activeBinding: null,
    });
    expect(store.lookupDevice(iccidFor(2)).message).toMatch(/did not finish \(state issuer-keys\)/);
    expect(store.lookupDevice(iccidFor(3))).toMatchObject({ personalisedHere: false, secured: false });
    const a = store.capture(oscar, parse(individualCapture(1)));
    expect(store.lookupDevice(iccidFor(1)).activeBinding).toMatchObject({ id: a.id });
    expect(failure(() => store.lookupDevice('8949001')).message).toMatch(
      /^kyc\.lookupDevice: device\.iccid: /,
    );
  });
});
