import { _electron as electron, expect, test } from '@playwright/test';
import { findElectronBinary } from '../../electron/electron-binary.js';

const binary = findElectronBinary();
const reason = 'missing' in binary ? `no Electron binary: ${binary.missing}` : '';

test('Electron smoke: the hardened window opens on the Readers page', async () => {
  test.skip('missing' in binary, reason);
  if (!('path' in binary)) return;
  const app = await electron.launch({ executablePath: binary.path, args: ['.', '--readers=sim'] });
  try {
    const window = await app.firstWindow();
    await expect(window.getByRole('heading', { name: 'Readers', level: 2 })).toBeVisible();
    await expect(window.getByTestId('reader-tile')).toHaveCount(4);
    const nodeInRenderer = await window.evaluate(() => typeof (globalThis as { require?: unknown }).require);
    expect(nodeInRenderer).toBe('undefined');
  } finally {
    await app.close();
  }
});
