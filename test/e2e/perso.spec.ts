/**
 * A personalisation run as the line sees it (DESIGN.md §10): an order imported from its file
 * (a bad one first, refused with its field named), the batch started on four simulated
 * readers with an operator swapping cards by hand, paused and resumed, every card verified,
 * one card's steps and KCVs opened, the output files written; then a second batch aborted.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { createPersoStation, PASSPHRASES, type PersoStation } from '../harness/perso-station.js';
import { startWebHostProcess, type WebHostProcess } from '../harness/web-host-process.js';

test.describe.configure({ mode: 'serial' });

// Three rounds on four readers: the cards already in, the ones put in while paused, the rest.
const CARDS = 12;
let dir: string;
let station: PersoStation;
let host: WebHostProcess;

test.beforeAll(async () => {
  // The station is prepared here (users, the four keys an order needs, an order file), then the
  // web host opens the same data folder: the KMS ceremonies have their own spec.
  dir = mkdtempSync(join(tmpdir(), 'obf-e2e-perso-'));
  station = await createPersoStation(dir, { cards: CARDS });
  host = await startWebHostProcess(['--readers', 'sim', '--slots', '4', '--data', dir]);
});

test.afterAll(async () => {
  await host?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function nav(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Workflows' }).getByRole('button', { name, exact: true });
}

function manifestWith(patch: (m: Record<string, unknown>) => void): Buffer {
  const manifest = JSON.parse(readFileSync(station.orderPath, 'utf8')) as Record<string, unknown>;
  patch(manifest);
  return Buffer.from(JSON.stringify(manifest, null, 2));
}

async function importOrder(page: Page, file: { name: string; buffer: Buffer } | string) {
  await page
    .getByLabel(/^Order files/)
    .setInputFiles(typeof file === 'string' ? file : { ...file, mimeType: 'application/json' });
  await expect(page.getByLabel(/^Order manifest/)).not.toHaveValue('');
  await page.getByRole('button', { name: 'Import order' }).click();
}

async function count(locator: Locator): Promise<number> {
  return Number(await locator.innerText());
}

/**
 * The operator: each lane that asks for it gets its card out and the next one in, once per
 * finished card (a lane still showing "remove card" for a card already swapped is left alone).
 */
async function operate(page: Page, until: (done: number) => boolean) {
  const swappedAt = new Map<string, number>();
  const lanes = page.getByTestId('lane-tile');
  await expect(async () => {
    for (const lane of await lanes.all()) {
      if ((await lane.getAttribute('data-state')) !== 'remove-card') continue;
      const name = await lane.getByRole('heading').innerText();
      const finishedHere =
        (await count(lane.getByTestId('lane-done'))) + (await count(lane.getByTestId('lane-failed')));
      if (swappedAt.get(name) === finishedHere) continue;
      swappedAt.set(name, finishedHere);
      // The lane may move on between the look and the click (the batch's last card ends every
      // lane): a button gone by then is nothing to press, not a reason to wait out the timeout.
      await lane
        .getByRole('button', { name: /Remove card and insert the next/ })
        .click({ timeout: 1000 })
        .catch(() => swappedAt.delete(name));
    }
    expect(until(await count(page.getByTestId('count-done')))).toBe(true);
  }).toPass({ timeout: 60_000, intervals: [250] });
}

test('an order runs to the end on four readers, operated by hand', async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  await page.goto(host.url);
  await nav(page, 'Personalisation').click();

  // Locked: the page says so and leads to the login.
  await expect(page.getByTestId('perso-locked')).toContainText('The station is locked');
  await page.getByRole('button', { name: 'Go to Keys & Ceremonies' }).click();
  await expect(page.getByRole('heading', { name: 'Station locked' })).toBeVisible();
  await page.getByLabel('User name').fill('oscar');
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASES.oscar);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByText('Logged in as')).toBeVisible({ timeout: 30_000 });
  await nav(page, 'Personalisation').click();
  await expect(page.getByText('No batch yet: import an order to begin.')).toBeVisible();

  // A bad order: refused, its field named, nothing imported.
  await importOrder(page, {
    name: 'bad-order.json',
    buffer: manifestWith((m) => ((m.iccid as Record<string, unknown>).count = 0)),
  });
  await expect(page.getByRole('alert')).toContainText('order.iccid.count: must be 1..');
  await expect(page.getByText('No batch yet: import an order to begin.')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('perso-bad-order.png'), fullPage: true });

  // The real order, from its file.
  await importOrder(page, station.orderPath);
  await expect(page.getByTestId('import-result')).toContainText(
    `Imported batch TEST-0001 for Test Fleet: ${CARDS} cards`,
  );
  await expect(page.getByRole('alert')).toHaveCount(0);
  const batches = page.getByRole('table', { name: 'Batches' });
  await expect(batches.getByTestId('batch-row')).toHaveCount(1);
  await expect(batches.getByTestId('batch-row')).toContainText('TEST-0001');
  await expect(batches.getByTestId('batch-row')).toContainText('Open');

  // Every reader ticked, manual handling: start.
  const readerBoxes = page.getByRole('group', { name: 'Readers', exact: true }).getByRole('checkbox');
  await expect(readerBoxes).toHaveCount(4);
  for (const box of await readerBoxes.all()) await expect(box).toBeChecked();
  await expect(page.getByRole('radio', { name: /^Manual/ })).toBeChecked();
  await page.getByRole('button', { name: 'Start on all readers' }).click();
  await expect(page.getByTestId('run-view')).toBeVisible();
  await expect(page.getByTestId('lane-tile')).toHaveCount(4);

  // The four cards already in the readers go first; then each lane asks for its card out.
  await expect(page.getByTestId('count-done')).toHaveText('4', { timeout: 60_000 });
  for (const lane of await page.getByTestId('lane-tile').all()) {
    await expect(lane).toHaveAttribute('data-state', 'remove-card');
    await expect(lane.getByTestId('lane-state')).toHaveText('Done: remove card');
    await expect(lane.getByTestId('lane-iccid')).toHaveText(/^8949001\d{12}$/);
  }
  await expect(page.getByTestId('count-remaining')).toHaveText(String(CARDS - 4));
  const progress = page.getByRole('progressbar', { name: 'Cards finished (verified or rejected)' });
  await expect(progress).toHaveJSProperty('value', 4);
  await expect(progress).toHaveJSProperty('max', CARDS);
  expect(Number(await page.getByTestId('rate').innerText())).toBeGreaterThan(0);
  await expect(page.getByTestId('eta')).not.toHaveText('—');
  await page.screenshot({ path: testInfo.outputPath('perso-remove-cards.png'), fullPage: true });

  // Pause: the next cards go in, and wait.
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('run-state')).toHaveText('Paused');
  for (const lane of await page.getByTestId('lane-tile').all())
    await lane.getByRole('button', { name: /Remove card and insert the next/ }).click();
  for (const lane of await page.getByTestId('lane-tile').all())
    await expect(lane.getByTestId('lane-state')).toHaveText('Paused');
  await expect(page.getByTestId('count-done')).toHaveText('4');
  await page.screenshot({ path: testInfo.outputPath('perso-paused.png'), fullPage: true });

  // Resume: those four run, and the operator swaps cards lane by lane for the rest.
  await page.getByRole('button', { name: 'Resume' }).click();
  await operate(page, (done) => done === CARDS);
  await expect(page.getByTestId('run-state')).toHaveText('Done', { timeout: 30_000 });
  await expect(page.getByTestId('count-done')).toHaveText(String(CARDS));
  await expect(page.getByTestId('count-failed')).toHaveText('0');
  await expect(page.getByTestId('count-remaining')).toHaveText('0');
  await expect(progress).toHaveJSProperty('value', CARDS);
  let lanesDone = 0;
  for (const lane of await page.getByTestId('lane-tile').all())
    lanesDone += await count(lane.getByTestId('lane-done'));
  expect(lanesDone).toBe(CARDS);
  await expect(batches.getByTestId('batch-row')).toContainText('Done');
  await expect(page.getByTestId('no-rejects')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('perso-done.png'), fullPage: true });

  // One card's detail: its steps with timings and its KCVs, never a key.
  const cards = page.getByRole('table', { name: 'Cards' });
  await expect(cards.getByRole('row')).toHaveCount(CARDS + 1);
  const first = station.order.iccid!;
  const firstIccid = await cards.getByRole('row').nth(1).getByRole('button').innerText();
  expect(firstIccid.startsWith(first.issuerPrefix)).toBe(true);
  await cards.getByRole('button', { name: firstIccid }).click();
  const detail = page.getByTestId('card-detail');
  await expect(detail.getByTestId('card-state')).toHaveText('Verified');
  const steps = detail.getByRole('table', { name: 'Steps and timings' });
  for (const step of [
    'Replacing the transport keys',
    'Storing the subscriber data',
    'Proving the keys (authenticate)',
  ])
    await expect(steps).toContainText(step);
  const kcvs = detail.getByRole('table', { name: 'Key check values' });
  for (const [name, id] of [
    ['K', 'k'],
    ['OPc', 'opc'],
    ['Issuer ENC', 'issuerEnc'],
  ] as const) {
    await expect(kcvs.getByRole('rowheader', { name, exact: true })).toBeVisible();
    await expect(kcvs.getByTestId(`kcv-${id}`)).toHaveText(/^[0-9A-F]{6}$/);
  }
  // Nothing the length of a key (16 bytes and up, in hex) is on the card's screen.
  expect(await detail.innerText()).not.toMatch(/[0-9a-fA-F]{32}/);
  await detail.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('perso-card-detail.png'), fullPage: true });

  // The output files: paths, records, SHA-256 as written on disk.
  await page.getByRole('button', { name: 'Write output files' }).click();
  const written = page.getByRole('table', { name: 'Written files' });
  await expect(written.getByRole('row')).toHaveCount(3);
  for (const row of await written.getByRole('row').all()) {
    const cells = await row.getByRole('cell').allInnerTexts();
    if (cells.length === 0) continue; // the header
    const [path, records, sha256] = cells as [string, string, string];
    expect(path.startsWith(join(dir, 'output', 'TEST-0001'))).toBe(true);
    expect(Number(records)).toBe(CARDS);
    expect(sha256).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
  }
  await written.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('perso-outputs.png'), fullPage: true });
});

test('a second batch is aborted only after the supervisor confirms', async ({ page }, testInfo) => {
  await page.goto(host.url);
  await nav(page, 'Personalisation').click();
  await expect(page.getByRole('table', { name: 'Batches' })).toBeVisible();

  await importOrder(page, {
    name: 'TEST-0002.json',
    buffer: manifestWith((m) => {
      m.batchId = 'TEST-0002';
      (m.iccid as Record<string, unknown>).start = '100';
      (m.imsi as Record<string, unknown>).msinStart = '100';
    }),
  });
  await expect(page.getByTestId('import-result')).toContainText('Imported batch TEST-0002');
  await page.getByRole('button', { name: 'Start on all readers' }).click();
  await expect(page.getByTestId('run-state')).toHaveText('Running');
  // The cards in the readers belong to the first batch: each lane says so and asks for them out.
  await expect(page.getByTestId('lane-error').first()).toContainText('belongs to batch TEST-0001', {
    timeout: 30_000,
  });

  await page.getByRole('button', { name: 'Abort…' }).click();
  await expect(page.getByText('Abort batch TEST-0002?')).toBeVisible();
  await page.getByRole('button', { name: 'Keep running' }).click();
  await expect(page.getByTestId('run-state')).toHaveText('Running');
  await page.getByRole('button', { name: 'Abort…' }).click();
  await page.screenshot({ path: testInfo.outputPath('perso-abort-confirm.png'), fullPage: true });
  await page.getByRole('button', { name: 'Yes, abort the batch' }).click();
  await expect(page.getByTestId('run-state')).toHaveText('Aborted', { timeout: 30_000 });
  const row = page
    .getByRole('table', { name: 'Batches' })
    .getByTestId('batch-row')
    .filter({ hasText: 'TEST-0002' });
  await expect(row).toContainText('Aborted');
  await expect(page.getByTestId('start-closed')).toContainText('aborted');
});

/** ITU-T E.118 / ISO/IEC 7812: the Luhn digit that completes `body`. */
function luhn(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

test('an order with a rows CSV: a bad line is named, the fixed file becomes a batch', async ({
  page,
}, testInfo) => {
  await page.goto(host.url);
  await nav(page, 'Personalisation').click();
  await expect(page.getByRole('table', { name: 'Batches' })).toBeVisible();

  const manifest = manifestWith((m) => {
    m.batchId = 'TEST-0003';
    delete m.iccid;
    m.imsi = { mcc: '001', mnc: '01' };
    m.rowsFile = 'TEST-0003-rows.csv';
  });
  const iccids = [5001, 5002, 5003].map((n) => {
    const body = `8949001${String(n).padStart(11, '0')}`;
    return body + luhn(body);
  });
  const csv = (lines: string[]) => Buffer.from(['iccid,imsi', ...lines].join('\n') + '\n');
  const rows = iccids.map((iccid, i) => `${iccid},00101000000${5001 + i}`);
  // Line 3 (the header is line 1) carries a wrong Luhn digit.
  const badIccid = iccids[1]!.slice(0, -1) + String((Number(iccids[1]!.at(-1)) + 1) % 10);
  const bad = [rows[0]!, `${badIccid},001010000005002`, rows[2]!];

  const files = page.getByLabel(/^Order files/);
  await files.setInputFiles({ name: 'TEST-0003.json', mimeType: 'application/json', buffer: manifest });
  await expect(page.getByText('This manifest names the rows file TEST-0003-rows.csv')).toBeVisible();
  await files.setInputFiles([
    { name: 'TEST-0003.json', mimeType: 'application/json', buffer: manifest },
    { name: 'TEST-0003-rows.csv', mimeType: 'text/csv', buffer: csv(bad) },
  ]);
  await expect(page.getByText('Rows: TEST-0003-rows.csv (3 rows)')).toBeVisible();
  await page.getByRole('button', { name: 'Import order' }).click();
  await expect(page.getByRole('alert')).toContainText(`TEST-0003-rows.csv line 3: ICCID "${badIccid}"`);
  await page.screenshot({ path: testInfo.outputPath('perso-bad-csv-line.png'), fullPage: true });
  const batchRows = page.getByRole('table', { name: 'Batches' }).getByTestId('batch-row');
  await expect(batchRows.filter({ hasText: 'TEST-0003' })).toHaveCount(0);

  await page.getByRole('button', { name: 'Remove rows file' }).click();
  await files.setInputFiles({ name: 'TEST-0003-rows.csv', mimeType: 'text/csv', buffer: csv(rows) });
  await page.getByRole('button', { name: 'Import order' }).click();
  await expect(page.getByTestId('import-result')).toContainText(
    `Imported batch TEST-0003 for Test Fleet: 3 cards, ICCID ${iccids[0]} to ${iccids[2]}`,
  );
});

// A stored order with explicit rows reads back like any other (the list once failed on it).
test('a batch imported with a rows CSV is listed like the others', async ({ page }) => {
  await page.goto(host.url);
  await nav(page, 'Personalisation').click();
  const batchRows = page.getByRole('table', { name: 'Batches' }).getByTestId('batch-row');
  await expect(batchRows.filter({ hasText: 'TEST-0003' })).toContainText('Open');
  await expect(page.getByRole('alert')).toHaveCount(0);
});
