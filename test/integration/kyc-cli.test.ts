/**
 * Machine KYC through the built CLI on a real SQLCipher station: capture, transfer, correct,
 * withdraw, erase; then a scan of every file in the station folder for the personal data and
 * the image bytes that went in (none may be found in clear), like the key scan of the perso
 * test. No reader is involved: this file runs anywhere.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KycBindingSummary, KycBindingView } from '../../core/api/index.js';
import { Kms } from '../../core/kms/index.js';
import { EXIF_SECRET, PNG_SECRET, pngWithText } from '../../core/kyc/image.fixture.js';
import {
  aadhaarFor,
  iccidFor,
  individualCapture,
  organisationCustodian,
  photoJpeg,
  PHOTO_MARKER,
} from '../../core/kyc/kyc.fixture.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'obf-station.js');
const dir = mkdtempSync(join(tmpdir(), 'obf-kyc-cli-'));
const stationDir = join(dir, 'station');
const inputs = join(dir, 'inputs');
const db = join(stationDir, 'station.db');
const passphrases = {
  alice: 'alice correct horse',
  sam: 'sam supervises well',
  oscar: 'oscar operator pass',
};
const env = {
  ...process.env,
  OBF_PASSPHRASE_ALICE: passphrases.alice,
  OBF_PASSPHRASE_SAM: passphrases.sam,
  OBF_PASSPHRASE_OSCAR: passphrases.oscar,
};

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env,
    input: '',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok<T>(args: string[]): T {
  const r = cli([...args, '--db', db, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

function writeJson(name: string, value: unknown): string {
  const path = join(inputs, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

beforeAll(async () => {
  mkdirSync(stationDir);
  mkdirSync(inputs);
  const { kms } = await Kms.initialize(db, {
    users: [
      { username: 'alice', role: 'security_officer', passphrase: passphrases.alice },
      { username: 'bob', role: 'security_officer', passphrase: 'bob battery staple' },
      { username: 'sam', role: 'supervisor', passphrase: passphrases.sam },
      { username: 'oscar', role: 'operator', passphrase: passphrases.oscar },
    ],
    recovery: { threshold: 2, shares: 2 },
    scrypt: { N: 1024, r: 8, p: 1 },
  });
  kms.lock();
  // The images go in as files beside the JSON, as a dealer's export would hand them over.
  writeFileSync(join(inputs, 'photo.jpg'), photoJpeg());
  writeFileSync(join(inputs, 'signature.png'), pngWithText(16, 8));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('obf-station kyc, through the built CLI on a real SQLCipher station', { timeout: 90_000 }, () => {
  const capture = individualCapture(1);
  const withFiles = {
    ...capture,
    consent: { noticeVersion: capture.consent.noticeVersion, signatureFile: 'signature.png' },
    evidence: [{ kind: 'custodian-photo', source: 'camera', file: 'photo.jpg' }],
  };
  let first: KycBindingView;
  let second: KycBindingView;
  let third: KycBindingView;

  it('refuses a capture with a wrong field, naming it, and saves nothing', () => {
    const bad = { ...withFiles, custodian: { ...withFiles.custodian, pan: 'ABCPK12345' } };
    const r = cli(['kyc', 'capture', '--db', db, '--user', 'oscar', '--file', writeJson('bad.json', bad)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^obf-station: error: kyc\.capture: custodian\.pan: a PAN is 5 letters, 4 digits, 1 letter/,
    );
    const shape = cli([
      'kyc',
      'capture',
      '--db',
      db,
      '--user',
      'oscar',
      '--file',
      writeJson('bad2.json', { ...withFiles, dealer: '' }),
    ]);
    expect(shape.code).toBe(2);
    expect(shape.stderr).toContain('kyc.capture: dealer: the dealer / station is required');
    expect(ok<KycBindingSummary[]>(['kyc', 'list', '--user', 'oscar', '--query', iccidFor(1)])).toEqual([]);
  });

  it('captures a binding from a JSON file with image files', () => {
    first = ok<KycBindingView>([
      'kyc',
      'capture',
      '--user',
      'oscar',
      '--file',
      writeJson('capture.json', withFiles),
    ]);
    expect(first).toMatchObject({ state: 'active', operator: 'oscar', device: { iccid: iccidFor(1) } });
    expect(first.custodian!.idDocument.display).toBe(`XXXX XXXX ${aadhaarFor(1).slice(8)}`);
    expect(first.evidence[0]!.strippedBytes).toBeGreaterThan(0);
  });

  it('refuses to bind the device again without a transfer', () => {
    const r = cli(['kyc', 'capture', '--db', db, '--user', 'oscar', '--file', join(inputs, 'capture.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `device.iccid: this device is bound to an active custodian (binding ${first.id})`,
    );
  });

  it('corrects the binding: a new one supersedes it, the history keeps both', () => {
    second = ok<KycBindingView>([
      'kyc',
      'correct',
      '--user',
      'oscar',
      '--file',
      writeJson('correct.json', {
        bindingId: first.id,
        reason: 'registration typed wrong',
        device: { registration: 'MH12AB7777' },
      }),
    ]);
    expect(second).toMatchObject({ supersedes: first.id, device: { registration: 'MH12AB7777' } });
  });

  it('transfers the device to an organisation with its consent', () => {
    third = ok<KycBindingView>([
      'kyc',
      'transfer',
      '--user',
      'oscar',
      '--file',
      writeJson('transfer.json', {
        bindingId: second.id,
        reason: 'vehicle sold to a fleet',
        custodian: organisationCustodian(),
        dealer: 'Pune Central Motors',
        consent: { noticeVersion: capture.consent.noticeVersion, signatureFile: 'signature.png' },
        evidence: [],
      }),
    ]);
    expect(third).toMatchObject({ action: 'transfer', supersedes: second.id, custodianKind: 'organisation' });
    const shown = ok<{ history: KycBindingView[] }>(['kyc', 'show', '--user', 'oscar', '--id', third.id]);
    expect(shown.history.map((h) => h.state)).toEqual(['superseded', 'transferred', 'active']);
    const found = ok<KycBindingSummary[]>([
      'kyc',
      'list',
      '--user',
      'oscar',
      '--query',
      'ravi sharma',
      '--history',
    ]);
    expect(found.map((s) => s.id).sort()).toEqual([first.id, second.id].sort());
  });

  it('records a withdrawal, then erases it with a supervisor as second person', () => {
    const w = ok<KycBindingView>([
      'kyc',
      'withdraw',
      '--user',
      'oscar',
      '--id',
      third.id,
      '--reason',
      'fleet contract ended',
      '--signature',
      join(inputs, 'signature.png'),
    ]);
    expect(w.state).toBe('withdrawn');
    const refused = cli([
      'kyc',
      'erase',
      '--db',
      db,
      '--user',
      'sam',
      '--second',
      'oscar',
      '--id',
      third.id,
      '--reason',
      'x',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('needs a supervisor or security officer as the second person');
    const erased = ok<KycBindingView>([
      'kyc',
      'erase',
      '--user',
      'oscar',
      '--second',
      'sam',
      '--id',
      third.id,
      '--reason',
      'consent withdrawn',
    ]);
    expect(erased).toMatchObject({ state: 'erased', custodian: null });
  });

  it('leaves no personal data or image bytes in clear anywhere in the station folder', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(stationDir);
    expect(files.some((f) => f.endsWith('station.db'))).toBe(true);
    const needles: [string, Buffer][] = [
      ['Aadhaar', Buffer.from(aadhaarFor(1))],
      ['PAN', Buffer.from('ABCPK1234F')],
      ['phone', Buffer.from('9876543210')],
      ['name', Buffer.from('Ravi Kumar')],
      ['surname', Buffer.from('Sharma')],
      ['organisation', Buffer.from('Deccan Logistics')],
      ['address', Buffer.from('12 MG Road')],
      ['photo pixels', Buffer.from(PHOTO_MARKER)],
      ['EXIF', Buffer.from(EXIF_SECRET)],
      ['PNG text', Buffer.from(PNG_SECRET)],
      // As it travelled: the base64 of the whole photo file, as read by the CLI.
      ['photo base64', Buffer.from(Buffer.from(photoJpeg()).toString('base64').slice(100, 160))],
    ];
    // The needles are spelled as the inputs hold them: the scan finds them where they are in clear.
    const inputBytes = Buffer.concat(readdirSync(inputs).map((f) => readFileSync(join(inputs, f))));
    for (const [what, needle] of needles.filter(([w]) => w !== 'photo base64'))
      expect(inputBytes.includes(needle), `${what} in the inputs`).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const [what, needle] of needles) {
        expect(bytes.includes(needle), `${what} in clear in ${file}`).toBe(false);
        expect(
          bytes.includes(Buffer.from(needle.toString('latin1'), 'utf16le')),
          `${what} (UTF-16) in ${file}`,
        ).toBe(false);
      }
    }
  });
});
