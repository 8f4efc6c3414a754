/**
 * The kyc.* methods through the Workstation's dispatcher, as the UI calls them: every input
 * and output crosses the contract's schemas, errors come back as {code, message}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kycFieldErrors, type DispatchResult, type EventPayload } from '../api/index.js';
import { concatBytes } from '../bytes.js';
import { ReaderManager } from '../card/reader-manager.js';
import type { CardChannel, ReaderBackend } from '../card/transport.js';
import { encodeIccid } from '../card/obf/obf-applet.js';
import { KmsService } from '../kms/kms-service.js';
import { FAST } from '../kms/station.fixture.js';
import { Workstation } from '../workstation.js';
import { aadhaarFor, iccidFor, individualCapture } from './kyc.fixture.js';

const READER = 'Counter Reader 0';

/** One reader holding a card whose EF_ICCID holds iccidFor(5). */
function backend(): ReaderBackend {
  const channel: CardChannel = {
    reader: READER,
    atr: Uint8Array.of(0x3b, 0x00),
    protocol: 'T=1',
    transmit(apdu) {
      const hex = Buffer.from(apdu).toString('hex');
      if (hex.startsWith('00a40804022fe2')) return Promise.resolve(Uint8Array.of(0x90, 0x00));
      if (hex.startsWith('00b00000'))
        return Promise.resolve(concatBytes(encodeIccid(iccidFor(5)), Uint8Array.of(0x90, 0x00)));
      return Promise.resolve(Uint8Array.of(0x6a, 0x82));
    },
    disconnect: () => Promise.resolve(),
  };
  return {
    source: 'pcsc',
    start(emit) {
      emit({ type: 'service', state: 'up', message: 'up' });
      emit({ type: 'reader-added', reader: READER, atr: null });
      emit({ type: 'card-inserted', reader: READER, atr: channel.atr });
    },
    stop: () => Promise.resolve(),
    connect: () => Promise.resolve(channel),
  };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function station() {
  const dir = mkdtempSync(join(tmpdir(), 'obf-kyc-svc-'));
  const kms = new KmsService(join(dir, 'station.db'), { scrypt: FAST });
  const readers = new ReaderManager(backend());
  const ws = new Workstation({ host: 'cli', version: 'test', readers, kms });
  readers.start();
  await readers.ready(2000);
  cleanup.push(async () => {
    kms.close();
    await readers.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await kms.initialize(
    [
      { username: 'alice', role: 'security_officer', passphrase: 'alice correct horse' },
      { username: 'bob', role: 'security_officer', passphrase: 'bob battery staple' },
      { username: 'sam', role: 'supervisor', passphrase: 'sam supervises well' },
      { username: 'oscar', role: 'operator', passphrase: 'oscar operator pass' },
    ],
    { threshold: 2, shares: 2 },
  );
  const events: EventPayload<'kyc'>[] = [];
  ws.on('kyc', (e) => events.push(e));
  const call = async <T = unknown>(method: string, input: unknown): Promise<T> => {
    const r: DispatchResult = await ws.dispatch(method, input);
    if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    return r.output as T;
  };
  const fail = async (method: string, input: unknown) => {
    const r = await ws.dispatch(method, input);
    if (r.ok) throw new Error(`${method} succeeded`);
    return r.error;
  };
  return { ws, call, fail, events };
}

describe('kyc.* through the Workstation', () => {
  it('validates fields and shows the notice without a login; everything else needs one', async () => {
    const { call, fail } = await station();
    const aadhaar = await call<{ valid: boolean; last4?: string; normalized?: string }>('kyc.validateField', {
      kind: 'aadhaar',
      value: aadhaarFor(3),
    });
    expect(aadhaar).toEqual({ valid: true, errors: [], warnings: [], last4: aadhaarFor(3).slice(8) });
    expect(JSON.stringify(aadhaar)).not.toContain(aadhaarFor(3));
    const pin = await call<{ errors: string[] }>('kyc.validateField', { kind: 'pincode', value: '01234' });
    expect(pin.errors).toEqual(['a PIN code is 6 digits, got "01234"']);
    expect((await call<{ version: string }>('kyc.notice', {})).version).toMatch(/^\d{4}-\d{2}-\d+$/);
    expect((await fail('kyc.recent', {})).code).toBe('KMS_LOCKED');
  });

  it('reads the card, captures, and answers field errors the UI can place', async () => {
    const { call, fail, events } = await station();
    await call('kms.unlock', { username: 'oscar', passphrase: 'oscar operator pass' });
    const read = await call<{ iccid: string; eid: string | null; check: { personalisedHere: boolean } }>(
      'kyc.readCard',
      { reader: READER },
    );
    expect(read).toMatchObject({ iccid: iccidFor(5), eid: null, check: { personalisedHere: false } });
    expect((await fail('kyc.readCard', { reader: 'nope' })).code).toBe('NO_READER');

    const bad = individualCapture(5);
    bad.custodian.name = '';
    bad.custodian.phone = '12345';
    const shape = await fail('kyc.capture', bad);
    expect(shape.code).toBe('VALIDATION');
    expect(kycFieldErrors(shape.message)).toEqual({ 'custodian.name': 'the name is required' });
    bad.custodian.name = 'Ravi';
    const meaning = await fail('kyc.capture', bad);
    expect(Object.keys(kycFieldErrors(meaning.message))).toEqual(['custodian.phone']);

    const view = await call<{ id: string; device: { iccid: string } }>('kyc.capture', individualCapture(5));
    expect(view.device.iccid).toBe(iccidFor(5));
    expect(events).toEqual([
      expect.objectContaining({ action: 'bind', bindingId: view.id, iccid: iccidFor(5) }),
    ]);
    const shown = await call<{ history: unknown[] }>('kyc.binding', { id: view.id });
    expect(shown.history).toHaveLength(1);
    expect(await call<unknown[]>('kyc.bindings', { query: 'ravi' })).toHaveLength(1);
  });

  it('keeps a draft per user across a lock, and a capture from it discards it', async () => {
    const { call } = await station();
    await call('kms.unlock', { username: 'oscar', passphrase: 'oscar operator pass' });
    const draft = { step: 'device', device: { iccid: iccidFor(6) } };
    expect(await call('kyc.saveDraft', { draft })).toMatchObject({ aadhaarDropped: false });
    await call('kms.lock', {});
    await call('kms.unlock', { username: 'oscar', passphrase: 'oscar operator pass' });
    expect(await call('kyc.draft', {})).toMatchObject({ draft });
    await call('kyc.capture', { ...individualCapture(6), fromDraft: true });
    expect(await call('kyc.draft', {})).toBeNull();
  });

  it('erases a withdrawn binding with a supervisor as the second person', async () => {
    const { call, fail } = await station();
    await call('kms.unlock', { username: 'oscar', passphrase: 'oscar operator pass' });
    const { id } = await call<{ id: string }>('kyc.capture', individualCapture(7));
    await call('kyc.withdraw', {
      bindingId: id,
      reason: 'customer request',
      signaturePng: individualCapture(7).consent.signaturePng,
    });
    const wrong = await fail('kyc.erase', {
      bindingId: id,
      reason: 'withdrawn',
      second: { username: 'sam', passphrase: 'not the passphrase' },
    });
    expect(wrong.code).toBe('KMS_AUTH_FAILED');
    const erased = await call<{ state: string; custodian: unknown }>('kyc.erase', {
      bindingId: id,
      reason: 'withdrawn',
      second: { username: 'sam', passphrase: 'sam supervises well' },
    });
    expect(erased).toMatchObject({ state: 'erased', custodian: null });
  });
});
