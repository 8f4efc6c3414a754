import { expect, test } from '@playwright/test';
import { startWebHostProcess, type WebHostProcess } from '../harness/web-host-process.js';

let host: WebHostProcess;

test.beforeAll(async () => {
  host = await startWebHostProcess(['--readers', 'sim', '--slots', '4']);
});

test.afterAll(async () => {
  await host?.stop();
});

test('demo mode shows simulated readers whose cards can be removed and inserted', async ({
  page,
}, testInfo) => {
  await page.goto(host.url);
  await expect(page.getByRole('status').filter({ hasText: 'Simulated readers (demo mode)' })).toBeVisible();
  const tiles = page.getByTestId('reader-tile');
  await expect(tiles).toHaveCount(4);
  const first = page.getByRole('listitem', { name: 'OBF Simulated Reader 0' });
  await expect(first).toHaveAttribute('data-state', 'present');
  await page.screenshot({ path: testInfo.outputPath('demo-readers.png') });

  await first.getByRole('button', { name: /Remove card/ }).click();
  await expect(first).toHaveAttribute('data-state', 'empty');
  await first.getByRole('button', { name: /Insert card/ }).click();
  await expect(first).toHaveAttribute('data-state', 'present');
});

test('the app shell is keyboard navigable and fits 1280×800', async ({ page }) => {
  await page.goto(host.url);
  await expect(page.getByTestId('reader-tile')).toHaveCount(4);
  const nav = page.getByRole('navigation', { name: 'Workflows' });
  for (const label of [
    'Readers',
    'Personalisation',
    'KYC',
    'Keys & Ceremonies',
    'Sync',
    'Audit',
    'Settings',
  ]) {
    await expect(nav.getByRole('button', { name: label })).toBeVisible();
  }
  await nav.getByRole('button', { name: 'Readers' }).focus();
  for (let i = 0; i < 6; i++) await page.keyboard.press('Tab');
  await expect(nav.getByRole('button', { name: 'Settings' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Settings', level: 2 })).toBeVisible();
  await expect(nav.getByRole('button', { name: 'Settings' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByText('Reader source: sim')).toBeVisible();
  // Nothing scrolls sideways at 1280×800.
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
});

test('the page carries a strict Content Security Policy and the API refuses a missing token', async ({
  page,
  request,
}) => {
  const response = await request.get(host.origin + '/');
  const csp = response.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('unsafe-eval');
  await page.goto(host.origin + '/');
  const refused = await page.evaluate(
    (wsUrl) =>
      new Promise<boolean>((resolve) => {
        const ws = new WebSocket(wsUrl);
        ws.onopen = () => resolve(false);
        ws.onerror = () => resolve(true);
      }),
    host.origin.replace('http', 'ws') + '/api?token=wrong',
  );
  expect(refused).toBe(true);
});
