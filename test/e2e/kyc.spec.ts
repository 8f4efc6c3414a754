/**
 * Machine KYC at the dealer's counter (clause 3.2.4, DESIGN.md §10) in Chromium against the web
 * host on simulated readers, with Chromium's fake camera (playwright.config.ts: a test pattern,
 * getUserMedia granted on the secure http://127.0.0.1 page):
 *
 * - a full capture typed the way a barcode scanner types (a burst ending in Enter, which moves to
 *   the next field), a camera photo, a signature drawn with the mouse, the review, the save, and
 *   the binding found by ICCID, IMEI, VIN, registration number and custodian name;
 * - the same device bound again: refused, with the message, until a transfer;
 * - transfer, correction (the superseded version in the history) and withdrawal (signed);
 * - bad input in every field: each field shows its own message, and nothing is saved;
 * - a draft that survives a page reload and a restart of the web host.
 *
 * The ICCIDs are typed (a scanner types them too): the simulated readers hold blank cards, and
 * a card personalised on this station would need a whole perso run, which perso.spec.ts covers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { iccidWithCheckDigit, luhnCheckDigit } from '../../core/card/iccid.js';
import { eidCheckDigits, gstinCheckChar, verhoeffCheckDigit } from '../../core/kyc/validators.js';
import { createPersoStation, PASSPHRASES, type PersoStation } from '../harness/perso-station.js';
import { startWebHostProcess, type WebHostProcess } from '../harness/web-host-process.js';

test.describe.configure({ mode: 'serial' });

let dir: string;
let station: PersoStation;
let host: WebHostProcess;

// ── Identifiers with correct check digits, computed with the station's own algorithms ──

const iccid = (n: number) => iccidWithCheckDigit(`8991101200003${String(n).padStart(5, '0')}`);
const eidBody = '890490320000000000000000012345'.slice(0, 30);
const EID = eidBody + eidCheckDigits(eidBody);
const imei = (n: number) => {
  const body = `35693803${String(564780 + n).padStart(6, '0')}`;
  return body + String(luhnCheckDigit(body));
};
const VIN = '1M8GDM9AXKP042788'; // 49 CFR 565 check digit X
const PAN = 'ABCPE1234F';
const GSTIN = `27${PAN}1Z` + gstinCheckChar(`27${PAN}1Z`);
const aadhaar = (body: string) => body + String(verhoeffCheckDigit(body));
const AADHAAR = aadhaar('23456789012');

const DEVICE_1 = {
  ICCID: iccid(1),
  EID,
  IMEI: imei(1),
  Make: 'Tata Motors',
  Model: 'Ace Gold',
  'VIN / chassis number': VIN,
  'Engine number': 'EN-4711-A',
  'Vehicle registration number': 'MH12AB1234',
  'Tracker serial number': 'TRK/2026/0001',
};

test.beforeAll(async () => {
  // A station with users (the KMS ceremonies have their own spec); the web host opens it.
  dir = mkdtempSync(join(tmpdir(), 'obf-e2e-kyc-'));
  station = await createPersoStation(dir, { cards: 1 });
  host = await startWebHostProcess(['--readers', 'sim', '--slots', '1', '--data', dir]);
});

test.afterAll(async () => {
  await host?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function nav(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Workflows' }).getByRole('button', { name, exact: true });
}

/** The KYC page of the unlocked station (oscar, an operator, logs in when it is locked). */
async function openKyc(page: Page) {
  await page.goto(host.url);
  await nav(page, 'KYC').click();
  const locked = page.getByTestId('kyc-locked');
  const wizard = page.getByRole('button', { name: 'Discard draft' });
  await expect(locked.or(wizard)).toBeVisible();
  if (await locked.isVisible()) {
    await page.getByRole('button', { name: 'Go to Keys & Ceremonies' }).click();
    await page.getByLabel('User name').fill('oscar');
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASES.oscar);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(page.getByText('Logged in as')).toBeVisible({ timeout: 30_000 });
    await nav(page, 'KYC').click();
  }
  await expect(page.getByTestId('draft-state')).not.toHaveText('Reading the draft…');
}

function field(page: Page, label: string) {
  return page.getByLabel(label, { exact: true });
}

/** A barcode scanner: the whole value in one burst, then Enter (the next field gets the focus). */
async function scan(page: Page, label: string, value: string) {
  await field(page, label).focus();
  await page.keyboard.type(value);
  await page.keyboard.press('Enter');
}

/** A signature drawn with the mouse: a few strokes across the pad. */
async function sign(page: Page, pad: string) {
  const canvas = page.getByRole('img', { name: `${pad}: draw here` });
  // The mouse works in viewport coordinates: the pad must be on screen first.
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  for (const [y0, y1] of [
    [0.6, 0.3],
    [0.3, 0.7],
    [0.7, 0.4],
  ] as const) {
    await page.mouse.move(box.x + box.width * 0.15, box.y + box.height * y0);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * y1, { steps: 8 });
    await page.mouse.move(box.x + box.width * 0.85, box.y + box.height * y0, { steps: 8 });
    await page.mouse.up();
  }
  await expect(canvas.locator('..').getByTestId('signature-state')).toHaveText(/Signed/);
}

function stepHeading(page: Page, label: string) {
  return page.getByRole('heading', { name: new RegExp(`^Step \\d of 5: ${label}`) });
}

interface Custodian {
  name: string;
  aadhaar: string;
  pan?: string;
  gstin?: string;
  phone: string;
  line1: string;
  city: string;
  state: string;
  pincode: string;
}

const ASHA: Custodian = {
  name: 'Asha Kulkarni',
  aadhaar: AADHAAR,
  pan: PAN,
  gstin: GSTIN,
  phone: '+919812345678',
  line1: '14 Laxmi Road',
  city: 'Pune',
  state: 'Maharashtra',
  pincode: '411030',
};

async function fillCustodian(page: Page, c: Custodian, scope: Page | Locator = page) {
  await scope.getByLabel('Full name', { exact: true }).fill(c.name);
  await scope.getByLabel('ID document type', { exact: true }).selectOption('aadhaar');
  await scope.getByLabel('Aadhaar number', { exact: true }).fill(c.aadhaar);
  if (c.pan) await scope.getByLabel('PAN (optional)', { exact: true }).fill(c.pan);
  if (c.gstin) await scope.getByLabel('GSTIN (optional)', { exact: true }).fill(c.gstin);
  await scope.getByLabel('Phone (E.164, e.g. +919812345678)', { exact: true }).fill(c.phone);
  await scope.getByLabel('Address line 1', { exact: true }).fill(c.line1);
  await scope.getByLabel('City / town', { exact: true }).fill(c.city);
  await scope.getByLabel('State', { exact: true }).fill(c.state);
  await scope.getByLabel('PIN code', { exact: true }).fill(c.pincode);
}

/** The binding on screen after a save: its id from the banner. */
async function savedId(page: Page, what: string): Promise<string> {
  const banner = page.getByTestId('kyc-saved');
  await expect(banner).toContainText(`${what}: binding kb-`);
  return /kb-[0-9a-f-]{36}/.exec(await banner.innerText())![0];
}

async function search(page: Page, query: string, by: string) {
  await page.getByRole('button', { name: 'Bindings', exact: true }).click();
  await page.getByLabel('Search by').selectOption({ label: by });
  await page.getByLabel('Search bindings').fill(query);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page.getByTestId('bindings-count')).toContainText(`found for “${query}”`);
  return page.getByRole('table', { name: 'Bindings' }).getByTestId('binding-row');
}

let firstId: string;

test('a full capture: scanned device, custodian, camera photo, drawn signature, review, save, search', async ({
  page,
}, testInfo) => {
  test.setTimeout(120_000);
  await openKyc(page);
  await expect(stepHeading(page, 'Device')).toBeVisible();

  // Keyboard first: the ICCID has the focus; each scan ends with Enter and the next field follows.
  await expect(field(page, 'ICCID')).toBeFocused();
  const labels = Object.keys(DEVICE_1) as (keyof typeof DEVICE_1)[];
  for (const [i, label] of labels.entries()) {
    await scan(page, label, DEVICE_1[label]);
    if (i + 1 < labels.length) await expect(field(page, labels[i + 1]!)).toBeFocused();
  }
  // Every keystroke of every burst is there, and no field complains.
  for (const label of labels) {
    await expect(field(page, label)).toHaveValue(DEVICE_1[label]);
    await expect(field(page, label)).not.toHaveAttribute('aria-invalid', 'true');
  }
  // Typed, not read from a card personalised here: the station says so, plainly.
  await expect(page.getByTestId('device-check')).toContainText('Not from this station');
  await field(page, 'Dealer / station').fill('Pune Motors counter 1');
  await page.screenshot({ path: testInfo.outputPath('kyc-device.png'), fullPage: true });
  await page.getByRole('button', { name: 'Next' }).click();

  await expect(stepHeading(page, 'Custodian')).toBeVisible();
  await fillCustodian(page, ASHA);
  await expect(page.getByLabel('Aadhaar number', { exact: true })).toHaveAttribute('type', 'password');
  await page.getByRole('button', { name: 'Next' }).click();

  // The camera runs on this step only: the fake device's test pattern, captured as a JPEG.
  await expect(stepHeading(page, 'Photo')).toBeVisible();
  const camera = page.getByRole('group', { name: 'Custodian photo' });
  await expect(camera.getByTestId('camera-state')).toHaveText(/Camera on/, { timeout: 15_000 });
  await camera.getByRole('button', { name: 'Take photo' }).click();
  const photo = camera.getByTestId('kyc-photo');
  await expect(photo).toHaveAttribute('src', /^data:image\/jpeg;base64,/);
  expect(await photo.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(640);
  await page.getByRole('button', { name: 'Next' }).click();

  await expect(stepHeading(page, 'Notice & consent')).toBeVisible();
  await expect(page.getByTestId('kyc-notice')).toContainText('Notice version');
  // Without a signature the step does not move on.
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByRole('alert')).toContainText('signs in the box');
  await sign(page, "Custodian's signature");
  await page.getByRole('button', { name: 'Next' }).click();

  // One review page: everything, the Aadhaar number by its last 4 digits only.
  await expect(stepHeading(page, 'Review & save')).toBeVisible();
  const review = page.getByTestId('kyc-review');
  await expect(review.getByTestId('review-id-number')).toHaveText(`XXXX XXXX ${AADHAAR.slice(-4)}`);
  await expect(review).not.toContainText(AADHAAR);
  for (const value of Object.values(DEVICE_1)) await expect(review).toContainText(value);
  await expect(review).toContainText(ASHA.name);
  await expect(review.getByRole('img', { name: "Custodian's signature" })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('kyc-review.png'), fullPage: true });
  await page.getByRole('button', { name: 'Save binding' }).click();

  firstId = await savedId(page, 'Saved');
  const detail = page.getByTestId('binding-detail');
  await expect(detail).toContainText(firstId);
  await expect(detail.getByTestId('binding-state').first()).toHaveText(/Active/);
  await expect(detail.getByTestId('custodian-id')).toHaveText(`XXXX XXXX ${AADHAAR.slice(-4)}`);
  await expect(page.locator('body')).not.toContainText(AADHAAR);
  // The photo as the station keeps it (metadata stripped), opened on request.
  await detail.getByRole('button', { name: 'Show custodian-photo' }).click();
  await expect(detail.getByRole('img', { name: 'Evidence: custodian-photo' })).toHaveAttribute(
    'src',
    /^data:image\/jpeg;base64,/,
  );
  const row = page.getByRole('table', { name: 'Bindings' }).locator(`[data-binding="${firstId}"]`);
  await expect(row).toContainText(DEVICE_1.ICCID);
  await page.screenshot({ path: testInfo.outputPath('kyc-saved.png'), fullPage: true });

  // Found by each key.
  for (const [query, by] of [
    [DEVICE_1.ICCID, 'ICCID'],
    [DEVICE_1.IMEI, 'IMEI'],
    [DEVICE_1['VIN / chassis number'], 'VIN'],
    [DEVICE_1['Vehicle registration number'], 'Registration number'],
    ['Asha Kulkarni', 'Custodian name'],
  ] as const) {
    const rows = await search(page, query, by);
    await expect(rows).toHaveCount(1);
    await expect(rows).toHaveAttribute('data-binding', firstId);
  }
  // The draft went with the save.
  await page.getByRole('button', { name: 'New binding' }).click();
  await expect(field(page, 'ICCID')).toHaveValue('');
});

test('the SE in a reader: a blank card has no ICCID to read, said plainly, and the ICCID is typed', async ({
  page,
}) => {
  // The simulated readers hold blank cards (no EF_ICCID, OBF applet not personalised).
  await openKyc(page);
  const se = page.getByRole('group', { name: "Read the device's SE" });
  await expect(se.getByLabel('Reader')).toHaveValue(/Simulated/);
  await se.getByRole('button', { name: 'Read card' }).click();
  await expect(se.getByRole('alert')).toContainText(/has no ICCID to read.*type or scan it instead/);
  await expect(field(page, 'ICCID')).toHaveValue('');
  await scan(page, 'ICCID', iccid(9));
  await expect(page.getByTestId('device-check')).toContainText('Not from this station');
  await page.getByRole('button', { name: 'Discard draft' }).click();
  await expect(page.getByTestId('draft-state')).toHaveText('Draft discarded');
});

test('a card personalised here: Read card fills its ICCID and the station says it is secured', async ({
  page,
}, testInfo) => {
  test.setTimeout(120_000);
  // One card through the personalisation line on the simulated reader (perso.spec.ts covers the
  // line itself); the card stays in the reader for the dealer's Read card.
  await openKyc(page);
  await nav(page, 'Personalisation').click();
  await page.getByLabel(/^Order files/).setInputFiles(station.orderPath);
  await expect(page.getByLabel(/^Order manifest/)).not.toHaveValue('');
  await page.getByRole('button', { name: 'Import order' }).click();
  await expect(page.getByTestId('import-result')).toContainText('Imported batch');
  await page.getByRole('button', { name: /^Start on all reader/ }).click();
  await expect(page.getByTestId('count-done')).toHaveText('1', { timeout: 60_000 });

  await nav(page, 'KYC').click();
  const se = page.getByRole('group', { name: "Read the device's SE" });
  await se.getByRole('button', { name: 'Read card' }).click();
  await expect(field(page, 'ICCID')).toHaveValue(/^8949001\d{12}$/);
  const check = page.getByTestId('device-check');
  await expect(check).toContainText('Personalised here, secured');
  await expect(check).toContainText(station.order.batchId);
  await page.screenshot({ path: testInfo.outputPath('kyc-read-card.png'), fullPage: true });
  await page.getByRole('button', { name: 'Discard draft' }).click();
  await expect(page.getByTestId('draft-state')).toHaveText('Draft discarded');
});

test('the same device is not bound again: the station says why and points to a transfer', async ({
  page,
}) => {
  await openKyc(page);
  await scan(page, 'ICCID', DEVICE_1.ICCID);
  await expect(page.getByTestId('device-check')).toContainText('Already bound to an active custodian');
  await expect(page.getByTestId('device-check')).toContainText(firstId);
  await field(page, 'Dealer / station').fill('Pune Motors counter 1');
  await page.getByRole('button', { name: 'Next' }).click();
  // Still on the device step, the ICCID marked with the station's message.
  await expect(stepHeading(page, 'Device')).toBeVisible();
  await expect(field(page, 'ICCID')).toHaveAttribute('aria-invalid', 'true');
  await expect(field(page, 'ICCID')).toHaveAccessibleDescription(/./);
  await page.getByRole('button', { name: 'Open that binding' }).click();
  await expect(page.getByTestId('binding-detail')).toContainText(firstId);
  await page.getByRole('button', { name: 'New binding' }).click();
  await page.getByRole('button', { name: 'Discard draft' }).click();
  await expect(page.getByTestId('draft-state')).toHaveText('Draft discarded');
});

let transferredId: string;

test('transfer: previous custodian shown, reason, new custodian with photo and signed consent', async ({
  page,
}, testInfo) => {
  test.setTimeout(90_000);
  await openKyc(page);
  const rows = await search(page, DEVICE_1.ICCID, 'ICCID');
  await rows.getByRole('button', { name: `Open binding ${firstId}` }).click();
  await page.getByRole('button', { name: 'Transfer to a new custodian' }).click();
  const form = page.getByRole('form', { name: 'Transfer to a new custodian' });
  await expect(form.getByTestId('previous-custodian')).toContainText('Asha Kulkarni');

  // Nothing given: the reason and the new custodian's fields say what is missing; nothing saved.
  await form.getByRole('button', { name: 'Save transfer' }).click();
  await expect(form.getByLabel('Reason', { exact: true })).toHaveAccessibleDescription(
    /the reason is required/,
  );
  await expect(form.getByLabel('Full name', { exact: true })).toHaveAccessibleDescription(
    /the name is required/,
  );

  await form.getByLabel('Reason', { exact: true }).fill('Vehicle sold to a new owner');
  await fillCustodian(
    page,
    {
      name: 'Ravi Deshpande',
      aadhaar: aadhaar('34567890123'),
      phone: '+919876543210',
      line1: '7 MG Road',
      city: 'Nashik',
      state: 'Maharashtra',
      pincode: '422001',
    },
    form,
  );
  const camera = form.getByRole('group', { name: 'New custodian photo' });
  await expect(camera.getByTestId('camera-state')).toHaveText(/Camera on/, { timeout: 15_000 });
  await camera.getByRole('button', { name: 'Take photo' }).click();
  await sign(page, "New custodian's signature");
  await form.getByRole('button', { name: 'Save transfer' }).click();

  transferredId = await savedId(page, 'Transferred');
  expect(transferredId).not.toBe(firstId);
  const detail = page.getByTestId('binding-detail');
  await expect(detail.getByTestId('custodian-name').first()).toContainText('Ravi Deshpande');
  const history = detail.getByTestId('history-item');
  await expect(history.filter({ hasText: firstId })).toContainText('Transferred');
  await page.screenshot({ path: testInfo.outputPath('kyc-transferred.png'), fullPage: true });

  const byName = await search(page, 'Ravi Deshpande', 'Custodian name');
  await expect(byName).toHaveCount(1);
  await expect(byName).toHaveAttribute('data-binding', transferredId);
});

let correctedId: string;

test('correction: a new version supersedes the old one, which stays in the history', async ({
  page,
}, testInfo) => {
  await openKyc(page);
  const rows = await search(page, DEVICE_1.ICCID, 'ICCID');
  await rows.getByRole('button', { name: `Open binding ${transferredId}` }).click();
  await page.getByRole('button', { name: 'Correct', exact: true }).click();
  const form = page.getByRole('form', { name: 'Correct this binding' });
  // A bad value in a corrected field: its message, nothing saved.
  await form.getByLabel('IMEI', { exact: true }).fill('356938035647810');
  await form.getByLabel('Reason', { exact: true }).fill('Engine number typed wrong');
  await form.getByRole('button', { name: 'Save correction' }).click();
  await expect(form.getByLabel('IMEI', { exact: true })).toHaveAccessibleDescription(/Luhn/);
  await expect(page.getByTestId('kyc-saved')).toHaveCount(0);

  await form.getByLabel('IMEI', { exact: true }).fill(DEVICE_1.IMEI);
  await form.getByLabel('Engine number', { exact: true }).fill('EN-4711-B');
  await form.getByRole('button', { name: 'Save correction' }).click();
  correctedId = await savedId(page, 'Corrected');
  const detail = page.getByTestId('binding-detail');
  // The station keeps identifiers in their canonical form (separators removed).
  await expect(detail.getByText('EN4711B', { exact: true })).toBeVisible();
  await expect(detail).toContainText('Correction');
  const old = detail.getByTestId('history-item').filter({ hasText: transferredId });
  await expect(old).toContainText('Superseded');
  await old.locator('summary').click();
  await expect(old.getByText('EN4711A', { exact: true })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('kyc-corrected.png'), fullPage: true });

  // The search finds the current version; with history, the superseded one too.
  const current = await search(page, DEVICE_1.IMEI, 'IMEI');
  await expect(current).toHaveCount(1);
  await expect(current).toHaveAttribute('data-binding', correctedId);
  await page.getByLabel('Include history').check();
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const all = page.getByRole('table', { name: 'Bindings' }).getByTestId('binding-row');
  await expect(all).toHaveCount(3);
  for (const id of [firstId, transferredId, correctedId])
    await expect(all.and(page.locator(`[data-binding="${id}"]`))).toHaveCount(1);
});

test('withdrawal of consent: a reason and the custodian signature end the binding', async ({
  page,
}, testInfo) => {
  await openKyc(page);
  const rows = await search(page, DEVICE_1.ICCID, 'ICCID');
  await rows.getByRole('button', { name: `Open binding ${correctedId}` }).click();
  await page.getByRole('button', { name: 'Withdraw consent' }).click();
  const form = page.getByRole('form', { name: 'Withdraw consent' });
  await form.getByLabel('Reason', { exact: true }).fill('The custodian asked to withdraw');
  // Unsigned: refused.
  await form.getByRole('button', { name: 'Save withdrawal' }).click();
  await expect(form.getByRole('alert')).toContainText('signs the withdrawal');
  await sign(page, "Custodian's signature (withdrawal)");
  await form.getByRole('button', { name: 'Save withdrawal' }).click();
  await expect(page.getByTestId('kyc-saved')).toContainText('Consent withdrawn');
  const detail = page.getByTestId('binding-detail');
  await expect(detail.getByTestId('binding-state').first()).toHaveText(/Consent withdrawn/);
  await expect(detail.getByTestId('binding-ended')).toContainText('The custodian asked to withdraw');
  await expect(detail.getByTestId('binding-ended')).toContainText('signed by the custodian');
  await expect(detail.getByRole('button', { name: 'Withdraw consent' })).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('kyc-withdrawn.png'), fullPage: true });
});

test('an organisation, and a check only the station makes on save: the field is marked, the rest kept', async ({
  page,
}) => {
  test.setTimeout(90_000);
  const pan = 'AAACK1234L';
  const otherGstin = `27AAACP5678Q1Z${gstinCheckChar('27AAACP5678Q1Z')}`;
  const gstin = `27${pan}1Z${gstinCheckChar(`27${pan}1Z`)}`;
  await openKyc(page);
  await scan(page, 'ICCID', iccid(4));
  await scan(page, 'IMEI', imei(4));
  await field(page, 'Dealer / station').fill('Pune Motors counter 1');
  await page.getByRole('button', { name: 'Next' }).click();

  await page.getByLabel('Custodian is').selectOption('organisation');
  await field(page, 'Registered name').fill('Kesari Logistics Pvt Ltd');
  await page.getByLabel('ID document type').selectOption('pan');
  await field(page, 'PAN card number').fill(pan);
  await field(page, 'PAN (required)').fill(pan);
  // A GSTIN valid on its own (checksum right) but of another PAN: only the save can see it.
  await field(page, 'GSTIN (optional)').fill(otherGstin);
  await field(page, 'Phone (E.164, e.g. +919812345678)').fill('+912027654321');
  await field(page, 'Address line 1').fill('Plot 9, MIDC Bhosari');
  await field(page, 'City / town').fill('Pune');
  await field(page, 'State').fill('Maharashtra');
  await field(page, 'PIN code').fill('411026');
  await page.getByRole('button', { name: 'Next' }).click();
  // An organisation's binding needs no custodian photo.
  await expect(stepHeading(page, 'Photo')).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();
  await sign(page, "Custodian's signature");
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Save binding' }).click();

  // Refused by the station: back on the custodian step, the GSTIN marked with its message.
  await expect(stepHeading(page, 'Custodian')).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('Not saved');
  await expect(field(page, 'GSTIN (optional)')).toHaveAttribute('aria-invalid', 'true');
  await expect(field(page, 'GSTIN (optional)')).toHaveAccessibleDescription(
    new RegExp(`characters 3-12 of a GSTIN are the holder's PAN, expected ${pan}`),
  );
  await expect(page.getByTestId('kyc-saved')).toHaveCount(0);

  // Put right, the rest of the form is still there: straight on to save.
  await field(page, 'GSTIN (optional)').fill(gstin);
  await page
    .getByRole('list', { name: 'Capture steps' })
    .getByRole('button', { name: /Review & save/ })
    .click();
  await page.getByRole('button', { name: 'Save binding' }).click();
  const id = await savedId(page, 'Saved');
  const detail = page.getByTestId('binding-detail');
  await expect(detail.getByTestId('custodian-name')).toContainText('Kesari Logistics Pvt Ltd (organisation)');
  const rows = await search(page, 'Kesari Logistics', 'Custodian name');
  await expect(rows).toHaveAttribute('data-binding', id);
  // Saved moments after the last edit: no draft of it was written back after the save.
  await page.reload();
  await openKyc(page);
  await expect(page.getByTestId('draft-restored')).toHaveCount(0);
  await expect(field(page, 'ICCID')).toHaveValue('');
});

test('bad input in every field: each field shows its own message and nothing is saved', async ({
  page,
}, testInfo) => {
  await openKyc(page);
  await page.getByRole('button', { name: 'Bindings', exact: true }).click();
  const before = await page.getByTestId('bindings-count').innerText();
  await page.getByRole('button', { name: 'New binding' }).click();

  const badDevice: Record<string, [string, RegExp]> = {
    ICCID: ['8991101200003000019', /Luhn/],
    EID: ['8904903200000000000000000123', /32 digits/],
    IMEI: ['35693803564781X', /digits only/],
    Make: ['M'.repeat(65), /at most 64/],
    Model: ['Ace\u0007Gold', /control character/],
    'VIN / chassis number': ['1M8GDM9AOKP042788', /never contains I, O or Q/],
    'Engine number': ['EN#4711', /letters, digits, spaces and hyphens/],
    'Vehicle registration number': ['XX12AB1234', /./],
    'Tracker serial number': ['TRK$0001', /letters, digits and/],
  };
  for (const [label, [value]] of Object.entries(badDevice))
    if (/\p{Cc}/u.test(value)) await field(page, label).fill(value);
    else await scan(page, label, value);
  await page.getByRole('button', { name: 'Next' }).click();
  for (const [label, [, message]] of Object.entries(badDevice)) {
    await expect(field(page, label), label).toHaveAttribute('aria-invalid', 'true');
    await expect(field(page, label), label).toHaveAccessibleDescription(message);
  }
  await expect(field(page, 'Dealer / station')).toHaveAccessibleDescription(/dealer \/ station is required/);
  await expect(stepHeading(page, 'Device')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('kyc-bad-device.png'), fullPage: true });

  // Put right, the device step lets the custodian step open; there every field is wrong.
  for (const label of Object.keys(badDevice)) await field(page, label).fill('');
  await scan(page, 'ICCID', iccid(2));
  await field(page, 'Dealer / station').fill('Pune Motors counter 1');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(stepHeading(page, 'Custodian')).toBeVisible();

  const badCustodian: Record<string, [string, RegExp]> = {
    'Full name': ['', /the name is required/],
    'Aadhaar number': ['234567890120', /./],
    'PAN (optional)': ['ABCP1234F', /PAN/],
    'GSTIN (optional)': ['27ABCPE1234F1Z0', /./],
    'Phone (E.164, e.g. +919812345678)': ['09812345678', /./],
    'Address line 1': ['', /address \(line 1\) is required/],
    'City / town': ['', /city \/ town is required/],
    State: ['', /the state is required/],
    'PIN code': ['011001', /./],
    Country: ['India', /ISO 3166/],
  };
  for (const [label, [value]] of Object.entries(badCustodian)) await field(page, label).fill(value);
  await page.getByRole('button', { name: 'Next' }).click();
  for (const [label, [, message]] of Object.entries(badCustodian)) {
    await expect(field(page, label), label).toHaveAttribute('aria-invalid', 'true');
    await expect(field(page, label), label).toHaveAccessibleDescription(message);
  }
  // The Aadhaar message never repeats the number.
  await expect(field(page, 'Aadhaar number')).not.toHaveAccessibleDescription(/234567890120/);
  await expect(stepHeading(page, 'Custodian')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('kyc-bad-custodian.png'), fullPage: true });

  // Nothing was saved.
  await page.getByRole('button', { name: 'Bindings', exact: true }).click();
  await expect(page.getByTestId('bindings-count')).toHaveText(before);
  await page.getByRole('button', { name: 'New binding' }).click();
  await page.getByRole('button', { name: 'Discard draft' }).click();
  await expect(page.getByTestId('draft-state')).toHaveText('Draft discarded');
});

test('a draft survives a page reload and a restart of the station', async ({ page }) => {
  test.setTimeout(90_000);
  await openKyc(page);
  await scan(page, 'ICCID', iccid(3));
  await scan(page, 'IMEI', imei(3));
  await field(page, 'Dealer / station').fill('Pune Motors counter 2');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(stepHeading(page, 'Custodian')).toBeVisible();
  await page.getByLabel('Full name', { exact: true }).fill('Meera Joshi');
  await page.getByLabel('Aadhaar number', { exact: true }).fill(aadhaar('45678901234'));
  // Straight to another tab and back: the change not yet written goes as the wizard closes.
  await page.getByRole('button', { name: 'Bindings', exact: true }).click();
  await page.getByRole('button', { name: 'New binding' }).click();
  await expect(page.getByTestId('draft-restored')).toBeVisible();
  await expect(page.getByLabel('Full name', { exact: true })).toHaveValue('Meera Joshi');
  await page.getByLabel('Aadhaar number', { exact: true }).fill(aadhaar('45678901234'));
  await expect(page.getByTestId('draft-state')).toHaveText(/Draft saved at/);
  // Wait for the save of the last keystrokes (the draft is written after a pause in typing).
  await expect(async () => {
    const r = await page.evaluate(() =>
      (window as unknown as { obf: { invoke(m: string, i: unknown): Promise<unknown> } }).obf.invoke(
        'kyc.draft',
        {},
      ),
    );
    expect(JSON.stringify(r)).toContain('Meera Joshi');
  }).toPass({ timeout: 10_000 });

  const restored = async () => {
    await expect(page.getByTestId('draft-restored')).toContainText('Draft restored');
    await expect(page.getByTestId('draft-restored')).toContainText('Type the Aadhaar number again');
    await expect(stepHeading(page, 'Custodian')).toBeVisible();
    await expect(page.getByLabel('Full name', { exact: true })).toHaveValue('Meera Joshi');
    // Drafts never keep an Aadhaar number.
    await expect(page.getByLabel('Aadhaar number', { exact: true })).toHaveValue('');
    await page
      .getByRole('list', { name: 'Capture steps' })
      .getByRole('button', { name: /Device/ })
      .click();
    await expect(field(page, 'ICCID')).toHaveValue(iccid(3));
    await expect(field(page, 'IMEI')).toHaveValue(imei(3));
  };

  await page.reload();
  await openKyc(page);
  await restored();

  // The station restarts (the draft is sealed in its database): the same form comes back.
  await host.stop();
  host = await startWebHostProcess(['--readers', 'sim', '--slots', '1', '--data', dir]);
  await openKyc(page);
  await restored();
  await page.getByRole('button', { name: 'Discard draft' }).click();
  await expect(page.getByTestId('draft-state')).toHaveText('Draft discarded');
  await page.reload();
  await openKyc(page);
  await expect(page.getByTestId('draft-restored')).toHaveCount(0);
  await expect(field(page, 'ICCID')).toHaveValue('');
});
