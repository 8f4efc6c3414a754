import { expect, test } from '@playwright/test';
import { PcscHarness } from '../harness/pcsc-harness.js';
import { startWebHostProcess, type WebHostProcess } from '../harness/web-host-process.js';

test.describe.configure({ mode: 'serial' });

let harness: PcscHarness;
let host: WebHostProcess;

test.beforeAll(async () => {
  harness = await PcscHarness.start({ slots: 4 });
  host = await startWebHostProcess(['--readers', 'pcsc']);
});

test.afterAll(async () => {
  await host?.stop();
  await harness?.stop();
});

test('the Readers page follows real PC/SC readers: 4 tiles, a card removed and inserted, pcscd down and back', async ({
  page,
}, testInfo) => {
  await page.goto(host.url);
  await expect(page.getByRole('heading', { name: 'Readers', level: 2 })).toBeVisible();
  const tiles = page.getByTestId('reader-tile');
  await expect(tiles).toHaveCount(4);
  for (const name of harness.readerNames) {
    await expect(page.getByRole('listitem', { name })).toHaveAttribute('data-state', 'present');
  }
  // The token left the address bar once the page took it.
  expect(page.url()).not.toContain('token=');
  await page.screenshot({ path: testInfo.outputPath('readers-4-present.png') });

  const last = page.getByRole('listitem', { name: harness.readerNames[3]! });
  harness.remove(3);
  await expect(last).toHaveAttribute('data-state', 'empty', { timeout: 2000 });
  await expect(last.getByTestId('reader-state')).toHaveText('No card');
  await expect(last.getByTestId('reader-atr')).toHaveText('—');
  await page.screenshot({ path: testInfo.outputPath('readers-card-removed.png') });

  harness.insert(3);
  await expect(last).toHaveAttribute('data-state', 'present', { timeout: 2000 });
  await expect(last.getByTestId('reader-state')).toHaveText('Card present');

  await harness.killPcscd('SIGKILL');
  await expect(page.getByRole('alert')).toContainText('pcscd is not running', { timeout: 5000 });
  await expect(tiles).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('readers-pcscd-down.png') });

  await harness.startPcscd();
  await expect(page.getByRole('alert')).toHaveCount(0, { timeout: 10_000 });
  await expect(tiles).toHaveCount(4);
  await expect(page.locator('[data-testid="reader-tile"][data-state="present"]')).toHaveCount(4, {
    timeout: 10_000,
  });
});
