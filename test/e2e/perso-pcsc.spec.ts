/**
 * A personalisation batch driven through the UI on four virtual readers in the real pcscd
 * (vsmartcard's vpcd): the operator takes each finished card out and puts a blank one in, and
 * pcscd — not the station — reports both moves. Every card ends verified.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { PcscHarness } from '../harness/pcsc-harness.js';
import { createPersoStation, PASSPHRASES, type PersoStation } from '../harness/perso-station.js';
import { startWebHostProcess, type WebHostProcess } from '../harness/web-host-process.js';

test.describe.configure({ mode: 'serial' });

const CARDS = 8;
let dir: string;
let station: PersoStation;
let harness: PcscHarness;
let host: WebHostProcess;

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'obf-e2e-perso-pcsc-'));
  station = await createPersoStation(dir, { cards: CARDS, batchId: 'PCSC-UI-1' });
  harness = await PcscHarness.start({ slots: 4 });
  host = await startWebHostProcess(['--readers', 'pcsc', '--data', dir]);
});

test.afterAll(async () => {
  await host?.stop();
  await harness?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function nav(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Workflows' }).getByRole('button', { name, exact: true });
}

/** The operator at the reader: a lane that says "remove card" gets its card out, then a blank one in. */
async function operate(page: Page) {
  const swapped = new Set<string>();
  await expect(async () => {
    for (const lane of await page.getByTestId('lane-tile').all()) {
      const name = await lane.getByRole('heading').innerText();
      const state = await lane.getAttribute('data-state');
      const slot = harness.readerNames.indexOf(name);
      if (state === 'remove-card' && !swapped.has(name)) {
        harness.remove(slot);
        swapped.add(name);
      } else if (state === 'waiting-card' && swapped.has(name)) {
        // pcscd saw the card go: a blank card goes in.
        harness.swap(slot);
        harness.insert(slot);
        swapped.delete(name);
      }
    }
    expect(await page.getByTestId('count-done').innerText()).toBe(String(CARDS));
  }).toPass({ timeout: 90_000, intervals: [200] });
}

test('a batch runs to the end through the UI on four vpcd readers in the real pcscd', async ({
  page,
}, testInfo) => {
  test.setTimeout(180_000);
  await page.goto(host.url);
  await nav(page, 'Keys & Ceremonies').click();
  await page.getByLabel('User name').fill('oscar');
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASES.oscar);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByText('Logged in as')).toBeVisible({ timeout: 30_000 });

  await nav(page, 'Personalisation').click();
  await page.getByLabel(/^Order files/).setInputFiles(station.orderPath);
  await expect(page.getByLabel(/^Order manifest/)).not.toHaveValue('');
  await page.getByRole('button', { name: 'Import order' }).click();
  await expect(page.getByTestId('import-result')).toContainText(`Imported batch PCSC-UI-1`);

  const readerBoxes = page.getByRole('group', { name: 'Readers', exact: true }).getByRole('checkbox');
  await expect(readerBoxes).toHaveCount(4);
  await page.getByRole('button', { name: 'Start on all readers' }).click();
  await expect(page.getByTestId('lane-tile')).toHaveCount(4);
  for (const name of harness.readerNames)
    await expect(page.getByTestId('lane-tile').filter({ hasText: name })).toHaveCount(1);

  await operate(page);
  await expect(page.getByTestId('run-state')).toHaveText('Done', { timeout: 30_000 });
  await expect(page.getByTestId('count-failed')).toHaveText('0');
  await expect(page.getByTestId('count-remaining')).toHaveText('0');
  await page.screenshot({ path: testInfo.outputPath('perso-pcsc-done.png'), fullPage: true });
});
