/**
 * The KMS ceremonies as people perform them at the station (DESIGN.md §10): shares handed out one
 * per screen, a key imported from two custodians' components, users changed under dual control,
 * the audit chain exported, and a recovery session that restores a lost passphrase.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

const alice = { name: 'alice', pass: 'alice correct horse' };
const bob = { name: 'bob', pass: 'bob battery staple' };
const oscar = { name: 'oscar', pass: 'oscar operator pass' };

/** GP Card Spec v2.3 Amd D §6.2.3, as core/crypto/kcv.ts: first 3 bytes of AES-ECB(K, 01 × 16). */
function kcvAes128(key: Buffer): string {
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(Buffer.alloc(16, 0x01)), c.final()])
    .subarray(0, 3)
    .toString('hex');
}

/** The way a custodian's sheet prints hex: groups of four, upper case. */
function spaced(hex: string): string {
  return hex.toUpperCase().replace(/(.{4})(?=.)/g, '$1 ');
}

function nav(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Workflows' }).getByRole('button', { name, exact: true });
}

function section(page: Page, name: string) {
  return page
    .getByRole('navigation', { name: 'Keys & Ceremonies sections' })
    .getByRole('button', { name, exact: true });
}

/** Walks the handout screen by screen and returns what each custodian took away. */
async function takeShares(page: Page, count: number, screenshot?: string) {
  const shares: { hex: string; checksum: string }[] = [];
  for (let i = 1; i <= count; i++) {
    await expect(page.getByRole('heading', { name: `Share ${i} of ${count}` })).toBeVisible({
      timeout: 60_000,
    });
    // Share i alone: one share block, one QR code, and it is share i's.
    await expect(page.getByTestId('recovery-share')).toHaveCount(1);
    await expect(page.getByRole('img', { name: /as a QR code$/ })).toHaveCount(1);
    await expect(page.getByRole('img', { name: `Share ${i} as a QR code` })).toBeVisible();
    const hex = (await page.getByTestId('share-hex').innerText()).replace(/\s+/g, '').toLowerCase();
    const checksum = (await page.getByTestId('share-checksum').innerText()).toLowerCase();
    expect(checksum).toBe(createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex').slice(0, 8));
    for (const earlier of shares) await expect(page.getByText(spaced(earlier.hex))).toHaveCount(0);
    shares.push({ hex, checksum });
    if (screenshot && i === 2) await page.screenshot({ path: screenshot });
    await page.getByRole('button', { name: `Custodian ${i} has taken share ${i} — next` }).click();
  }
  await expect(page.getByTestId('recovery-share')).toHaveCount(0);
  await expect(page.getByText('The shares are stored nowhere')).toBeVisible();
  await page.getByRole('button', { name: 'Every share is handed out' }).click();
  return shares;
}

async function login(page: Page, who: { name: string; pass: string }) {
  await expect(page.getByRole('heading', { name: 'Station locked' })).toBeVisible();
  await page.getByLabel('User name').fill(who.name);
  await page.getByLabel('Passphrase', { exact: true }).fill(who.pass);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByText('Logged in as')).toBeVisible({ timeout: 30_000 });
}

async function recoverWith(page: Page, shares: string[], screenshot?: string) {
  await page.getByRole('button', { name: 'Recover with shares' }).click();
  await page.getByLabel('How many shares do you have?').fill(String(shares.length));
  await page.getByRole('button', { name: 'Begin with share 1' }).click();
  for (const [n, share] of shares.entries()) {
    const i = n + 1;
    await expect(page.getByRole('heading', { name: `Share ${i} of ${shares.length}` })).toBeVisible();
    const input = page.getByLabel(`Share ${i}`, { exact: true });
    await expect(input).toHaveValue(''); // nothing of the previous custodian's share
    await expect(input).toHaveAttribute('type', 'password');
    await input.fill(spaced(share));
    const checksum = createHash('sha256').update(Buffer.from(share, 'hex')).digest('hex').slice(0, 8);
    await expect(page.getByTestId('recovery-checksum')).toContainText(checksum.toUpperCase());
    if (screenshot && i === 1) await page.screenshot({ path: screenshot });
    await page
      .getByRole('button', {
        name: i === shares.length ? `Unlock with ${shares.length} shares` : 'Next custodian',
      })
      .click();
  }
}

test('ceremonies: shares one per screen, import by components, users under dual control, audit export, recovery', async ({
  page,
}, testInfo) => {
  test.setTimeout(180_000);
  await page.goto(host.url);
  await nav(page, 'Keys & Ceremonies').click();

  // Setup: three people, 2-of-3 recovery; the shares come one per screen.
  for (const [i, p] of [alice, bob, oscar].entries()) {
    await page.getByLabel(`User ${i + 1} name`).fill(p.name);
    await page.getByLabel(`User ${i + 1} role`).selectOption(i < 2 ? 'security_officer' : 'operator');
    await page.getByLabel(`User ${i + 1} passphrase`).fill(p.pass);
  }
  await page.getByRole('button', { name: 'Initialise station' }).click();
  const firstShares = await takeShares(page, 3, testInfo.outputPath('ceremony-share-2-of-3.png'));

  await login(page, alice);

  // Key import by components: alice and bob each hold one; the combined key is their XOR.
  const c1 = randomBytes(16);
  const c2 = randomBytes(16);
  const combined = Buffer.from(c1.map((b, j) => b ^ c2[j]!));
  const wrongKcv = kcvAes128(c1) === '000000' ? '111111' : '000000';
  await section(page, 'Import by components').click();
  const spec = page.getByRole('form', { name: 'Import a key by components' });
  await spec.getByLabel('Label').fill('vendor-tk-1');
  await spec.getByLabel('Type').selectOption('AES-128');
  await spec.getByLabel('Usage').selectOption('vendor-transport');
  await spec.getByLabel('Components').selectOption('2');
  await spec.getByRole('button', { name: 'Begin ceremony' }).click();

  const step1 = page.getByRole('form', { name: 'Component 1 of 2' });
  await expect(step1).toBeVisible();
  await step1.getByLabel('Custodian user name').fill(alice.name);
  await step1.getByLabel('Custodian passphrase', { exact: true }).fill(alice.pass);
  const component1 = step1.getByLabel('Component 1', { exact: true });
  await expect(component1).toHaveAttribute('type', 'password');
  await component1.fill(spaced(c1.toString('hex')));
  await step1.getByLabel('KCV on your sheet').fill(wrongKcv);
  await expect(step1.getByTestId('live-kcv')).toContainText(kcvAes128(c1).toUpperCase());
  await expect(step1.getByTestId('live-kcv')).toContainText('Does not match the sheet');
  await step1.getByRole('button', { name: 'Show Component 1' }).click();
  await expect(component1).toHaveAttribute('type', 'text');
  await step1.getByRole('button', { name: 'Show Component 1' }).click();
  await page.screenshot({ path: testInfo.outputPath('ceremony-component-mismatch.png') });
  // The station refuses it too, and the secrets leave the form.
  await step1.getByRole('button', { name: 'Add component 1' }).click();
  await expect(step1.getByRole('alert')).toContainText(`not ${wrongKcv}`);
  await expect(component1).toHaveValue('');
  await expect(step1.getByLabel('Custodian passphrase', { exact: true })).toHaveValue('');

  await step1.getByLabel('Custodian passphrase', { exact: true }).fill(alice.pass);
  await component1.fill(spaced(c1.toString('hex')));
  await step1.getByLabel('KCV on your sheet').fill(kcvAes128(c1).toUpperCase());
  await expect(step1.getByTestId('live-kcv')).toContainText('Matches the sheet');
  await page.screenshot({ path: testInfo.outputPath('ceremony-component-match.png') });
  await step1.getByRole('button', { name: 'Add component 1' }).click();

  const step2 = page.getByRole('form', { name: 'Component 2 of 2' });
  await expect(step2).toBeVisible();
  await expect(step2.getByLabel('Custodian user name')).toHaveValue('');
  await expect(step2.getByLabel('Component 2', { exact: true })).toHaveValue('');
  await step2.getByLabel('Custodian user name').fill(bob.name);
  await step2.getByLabel('Custodian passphrase', { exact: true }).fill(bob.pass);
  await step2.getByLabel('Component 2', { exact: true }).fill(c2.toString('hex'));
  await step2.getByLabel('KCV on your sheet').fill(kcvAes128(c2));
  await expect(step2.getByTestId('live-kcv')).toContainText('Matches the sheet');
  await step2.getByRole('button', { name: 'Add component 2' }).click();

  const final = page.getByRole('form', { name: 'Combine: expected KCV of vendor-tk-1' });
  await final.getByLabel('Expected KCV of the combined key').fill(kcvAes128(combined));
  await final.getByRole('button', { name: 'Finish import' }).click();
  await expect(page.getByTestId('import-result')).toContainText(
    `Imported vendor-tk-1: KCV ${kcvAes128(combined).toUpperCase()}`,
  );
  await page.screenshot({ path: testInfo.outputPath('ceremony-import-done.png') });
  // A ceremony cancelled at its first component leaves nothing behind.
  await spec.getByLabel('Label').fill('vendor-tk-2');
  await spec.getByLabel('Components').selectOption('3');
  await spec.getByRole('button', { name: 'Begin ceremony' }).click();
  await expect(page.getByRole('heading', { name: 'Component 1 of 3' })).toBeVisible();
  await page.getByRole('button', { name: 'Cancel ceremony' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Ceremony cancelled' })).toBeVisible();

  await section(page, 'Keys').click();
  await expect(page.getByTestId('key-row').filter({ hasText: 'vendor-tk-2' })).toHaveCount(0);
  const imported = page.getByTestId('key-row').filter({ hasText: 'vendor-tk-1' });
  await expect(imported).toContainText('components');
  await expect(imported.locator('.kcv')).toHaveText(kcvAes128(combined).toUpperCase());

  // Key export: wrapped under an output-transport key, both KCVs shown, the file offered.
  const generate = page.getByRole('form', { name: 'Generate a key (dual control)' });
  await generate.getByLabel('Label').fill('out-tk');
  await generate.getByLabel('Usage').selectOption('output-transport');
  await generate.getByLabel('Second officer').fill(bob.name);
  await generate.getByLabel('Their passphrase').fill(bob.pass);
  await generate.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Generated out-tk' })).toBeVisible();
  await page.getByRole('button', { name: 'Export vendor-tk-1' }).click();
  const exportForm = page.getByRole('form', { name: 'Export vendor-tk-1 (dual control)' });
  await exportForm.getByLabel('Transport key').selectOption('out-tk');
  await exportForm.getByLabel('Second officer').fill(bob.name);
  await exportForm.getByLabel('Their passphrase').fill(bob.pass);
  await exportForm.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(page.getByTestId('export-kcv')).toHaveText(kcvAes128(combined).toUpperCase());
  await expect(page.getByTestId('export-wrapped')).toHaveText(/^[0-9a-f]{48}$/); // RFC 3394: 16 + 8 bytes
  const keyDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download export file' }).click();
  const keyFile = JSON.parse(readFileSync(await (await keyDownload).path(), 'utf8')) as Record<
    string,
    string
  >;
  expect(keyFile.kcv).toBe(kcvAes128(combined));
  expect(keyFile.transportLabel).toBe('out-tk');
  await page.screenshot({ path: testInfo.outputPath('ceremony-key-export.png') });

  // Users: added and disabled under dual control; a wrong second passphrase is refused first.
  await section(page, 'Users').click();
  const add = page.getByRole('form', { name: 'Add a user' });
  await add.getByLabel('New user name').fill('dave');
  await add.getByLabel('Role').selectOption('supervisor');
  await add.getByLabel("New user's passphrase", { exact: true }).fill('dave supervises well');
  await add.getByLabel("New user's passphrase again", { exact: true }).fill('dave supervises well');
  await add.getByLabel('Second officer').fill(bob.name);
  await add.getByLabel('Their passphrase').fill('not bobs passphrase');
  await add.getByRole('button', { name: 'Add user' }).click();
  await expect(add.getByRole('alert')).toBeVisible();
  await expect(add.getByLabel('Their passphrase')).toHaveValue('');
  await expect(add.getByLabel("New user's passphrase", { exact: true })).toHaveValue('');
  await add.getByLabel("New user's passphrase", { exact: true }).fill('dave supervises well');
  await add.getByLabel("New user's passphrase again", { exact: true }).fill('dave supervises well');
  await add.getByLabel('Their passphrase').fill(bob.pass);
  await add.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByTestId('users-notice')).toContainText('Added dave (supervisor)');
  const dave = page.getByTestId('user-row').filter({ hasText: 'dave' });
  await expect(dave).toContainText('active');
  await expect(dave).toContainText('alice+bob');

  const disable = page.getByRole('form', { name: 'Disable a user' });
  await disable.getByLabel('User').selectOption('dave');
  await disable.getByLabel('Second officer').fill(bob.name);
  await disable.getByLabel('Their passphrase').fill(bob.pass);
  await disable.getByRole('button', { name: 'Disable user' }).click();
  await expect(page.getByTestId('users-notice')).toContainText('dave is disabled');
  await expect(dave).toContainText('disabled');
  await page.screenshot({ path: testInfo.outputPath('ceremony-users.png'), fullPage: true });

  // Audit export: the signed chain downloads as a file and parses.
  await nav(page, 'Audit').click();
  const auditForm = page.getByRole('form', { name: 'Export the audit chain' });
  await auditForm.getByLabel('Second officer').fill(bob.name);
  await auditForm.getByLabel('Their passphrase').fill(bob.pass);
  const auditDownload = page.waitForEvent('download');
  await auditForm.getByRole('button', { name: 'Export and download' }).click();
  const download = await auditDownload;
  expect(download.suggestedFilename()).toMatch(/^audit-export-[\w-]+-\d{4}-\d{2}-\d{2}\.json$/);
  const saved = testInfo.outputPath(download.suggestedFilename());
  await download.saveAs(saved);
  const exported = JSON.parse(readFileSync(saved, 'utf8')) as {
    record: { kind: string; stationId: string; approvedBy: string[]; rows: { event: string }[] };
    sha256: string;
    signature: string;
  };
  expect(exported.record.kind).toBe('obf-audit-export');
  expect(download.suggestedFilename()).toContain(exported.record.stationId);
  expect(exported.record.approvedBy).toEqual(['alice', 'bob']);
  expect(exported.record.rows.some((r) => r.event.includes('key-imported'))).toBe(true);
  expect(exported.record.rows.some((r) => r.event.includes('user-disabled'))).toBe(true);
  expect(exported.record.rows.some((r) => r.event.includes('ceremony-cancelled'))).toBe(true);
  await expect(page.getByTestId('audit-export-sha256')).toHaveText(exported.sha256);
  await page.screenshot({ path: testInfo.outputPath('ceremony-audit-export.png') });

  // New recovery shares (2 of 3) under dual control: handed out one per screen; old ones stop working.
  await nav(page, 'Keys & Ceremonies').click();
  await section(page, 'Recovery shares').click();
  const reshare = page.getByRole('form', { name: 'New recovery shares' });
  await reshare.getByLabel('Shares needed (M)').fill('2');
  await reshare.getByLabel('Shares made (N)').fill('3');
  await reshare.getByLabel('Second officer').fill(bob.name);
  await reshare.getByLabel('Their passphrase').fill(bob.pass);
  await reshare.getByRole('button', { name: 'Make new shares' }).click();
  const newShares = await takeShares(page, 3);

  // Recovery: an old share with a new one is refused; two new ones unlock a recovery session.
  await page.getByRole('button', { name: 'Lock station' }).click();
  await expect(page.getByRole('heading', { name: 'Station locked' })).toBeVisible();
  await recoverWith(page, [firstShares[0]!.hex, newShares[1]!.hex]);
  await expect(page.getByRole('alert')).toContainText('recovery shares');
  await expect(page.getByRole('heading', { name: 'Recover with shares' })).toBeVisible();
  await page.getByRole('button', { name: 'Back to login' }).click();
  await recoverWith(
    page,
    [newShares[0]!.hex, newShares[2]!.hex],
    testInfo.outputPath('ceremony-recovery-share.png'),
  );
  await expect(page.getByTestId('recovery-banner')).toContainText(
    'Recovery session: restore access, then lock',
  );
  await expect(page.getByRole('table', { name: 'Users' })).toBeVisible();
  await expect(section(page, 'Keys')).toHaveCount(0);

  // In the recovery session the custodians are the second person: no second officer is asked.
  const reset = page.getByRole('form', { name: 'Reset a passphrase' });
  await expect(reset.getByLabel('Second officer')).toHaveCount(0);
  const newPass = 'alice remembers this one';
  await reset.getByLabel('User').selectOption('alice');
  await reset.getByLabel('New passphrase', { exact: true }).fill(newPass);
  await reset.getByLabel('New passphrase again', { exact: true }).fill(newPass);
  await reset.getByRole('button', { name: 'Reset passphrase' }).click();
  await expect(page.getByTestId('users-notice')).toContainText('alice has a new passphrase');
  await page.screenshot({ path: testInfo.outputPath('ceremony-recovery-session.png'), fullPage: true });
  await page.getByRole('button', { name: 'Lock station' }).click();
  // The Users page has a "User name" field too: fill the lock screen's only once it is there.
  await expect(page.getByRole('heading', { name: 'Station locked' })).toBeVisible();

  await page.getByLabel('User name').fill(alice.name);
  await page.getByLabel('Passphrase', { exact: true }).fill(alice.pass);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('alert')).toContainText('wrong user name or passphrase');
  await login(page, { name: alice.name, pass: newPass });
  await expect(page.getByText('Logged in as')).toContainText('alice');
});
