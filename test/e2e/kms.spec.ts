import { expect, test, type Page } from '@playwright/test';
import { startWebHostProcess, type WebHostProcess } from '../harness/web-host-process.js';

test.describe.configure({ mode: 'serial' });

let host: WebHostProcess;
test.beforeAll(async () => {
  host = await startWebHostProcess(['--readers', 'sim']);
});
test.afterAll(async () => {
  await host?.stop();
});

const people = [
  { name: 'alice', role: 'security_officer', pass: 'alice correct horse' },
  { name: 'bob', role: 'security_officer', pass: 'bob battery staple' },
  { name: 'oscar', role: 'operator', pass: 'oscar operator pass' },
];

async function fillSetup(page: Page, passphrases: string[]) {
  for (const [i, p] of people.entries()) {
    await page.getByLabel(`User ${i + 1} name`).fill(p.name);
    await page.getByLabel(`User ${i + 1} role`).selectOption(p.role);
    await page.getByLabel(`User ${i + 1} passphrase`).fill(passphrases[i]!);
  }
}

test('the station is set up, unlocked, and a key generated under dual control; the audit chain verifies', async ({
  page,
}, testInfo) => {
  test.setTimeout(120_000);
  await page.goto(host.url);
  await page
    .getByRole('navigation', { name: 'Workflows' })
    .getByRole('button', { name: 'Keys & Ceremonies' })
    .click();
  await expect(page.getByRole('heading', { name: 'Set up this station' })).toBeVisible();

  // Bad input first: a short passphrase is named, and nothing is created.
  await fillSetup(page, [people[0]!.pass, 'short', people[2]!.pass]);
  await page.getByRole('button', { name: 'Initialise station' }).click();
  await expect(page.getByRole('alert')).toContainText('users.1.passphrase');
  await expect(page.getByRole('heading', { name: 'Set up this station' })).toBeVisible();

  await fillSetup(
    page,
    people.map((p) => p.pass),
  );
  await page.getByRole('button', { name: 'Initialise station' }).click();
  // One share per screen, one custodian at a time: nothing of share i-1 stays on screen.
  await expect(page.getByRole('heading', { name: 'Share 1 of 3' })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('img', { name: 'Share 1 as a QR code' })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('kms-recovery-shares.png') });
  for (const i of [1, 2, 3]) {
    await expect(page.getByRole('heading', { name: `Share ${i} of 3` })).toBeVisible();
    await expect(page.getByTestId('recovery-share')).toHaveCount(1);
    await expect(page.getByRole('img', { name: /as a QR code$/ })).toHaveCount(1);
    await page.getByRole('button', { name: `Custodian ${i} has taken share ${i} — next` }).click();
  }
  await expect(page.getByTestId('recovery-share')).toHaveCount(0);
  await expect(page.getByText('The shares are stored nowhere')).toBeVisible();
  await page.getByRole('button', { name: 'Every share is handed out' }).click();

  await expect(page.getByRole('heading', { name: 'Station locked' })).toBeVisible();
  await page.getByLabel('User name').fill('alice');
  await page.getByLabel('Passphrase').fill('wrong passphrase!');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('alert')).toContainText('wrong user name or passphrase');
  await page.getByLabel('Passphrase').fill(people[0]!.pass);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByText('Logged in as')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('key-row')).toHaveCount(1); // the station's own signing key

  const form = page.getByRole('form', { name: 'Generate a key (dual control)' });
  await form.getByLabel('Label').fill('issuer-isd-master');
  await form.getByLabel('Type').selectOption('AES-128');
  await form.getByLabel('Usage').selectOption('isd-master');
  await form.getByLabel('Second officer').fill('alice');
  await form.getByLabel('Their passphrase').fill(people[0]!.pass);
  await form.getByRole('button', { name: 'Generate' }).click();
  await expect(form.getByRole('alert')).toContainText('different security officers');
  await form.getByLabel('Second officer').fill('bob');
  await form.getByLabel('Their passphrase').fill(people[1]!.pass);
  await form.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Generated issuer-isd-master' })).toBeVisible({
    timeout: 30_000,
  });
  await expect(page.getByTestId('key-row')).toHaveCount(2);
  await expect(
    page.getByTestId('key-row').filter({ hasText: 'issuer-isd-master' }).locator('.kcv'),
  ).toHaveText(/^[0-9A-F]{6}$/);
  await page.screenshot({ path: testInfo.outputPath('kms-keys.png') });

  await page.getByRole('navigation', { name: 'Workflows' }).getByRole('button', { name: 'Audit' }).click();
  await page.getByRole('button', { name: 'Verify chain' }).click();
  await expect(page.getByTestId('audit-verdict')).toContainText('Chain intact');
  await expect(page.getByRole('table', { name: 'Audit events' })).toContainText('key-created');
  await page.screenshot({ path: testInfo.outputPath('kms-audit.png') });

  await page
    .getByRole('navigation', { name: 'Workflows' })
    .getByRole('button', { name: 'Keys & Ceremonies' })
    .click();
  await page.getByRole('button', { name: 'Lock station' }).click();
  await expect(page.getByRole('heading', { name: 'Station locked' })).toBeVisible();
});
