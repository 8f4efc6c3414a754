import { ESLint } from 'eslint';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const eslint = new ESLint({ cwd: ROOT });

/** Lints `code` as if it were the content of an existing file, and returns the boundary errors. */
async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return result!.messages
    .filter(
      (m) => m.ruleId === 'no-restricted-imports' || m.ruleId === '@typescript-eslint/no-restricted-imports',
    )
    .map((m) => m.message);
}

// The architecture of DESIGN.md §2 is enforced by the lint configuration, not by memory.
describe('import boundaries', { timeout: 60_000 }, () => {
  it.each([
    ['core/bytes.ts', "import { app } from 'electron';\nexport const x = app;\n", 'Only electron/'],
    [
      'core/bytes.ts',
      "import { Devices } from 'smartcard';\nexport const x = Devices;\n",
      'Only native/pcsc',
    ],
    [
      'core/bytes.ts',
      "import { SimReaderBackend } from '../native/vcard/index.js';\nexport const x = SimReaderBackend;\n",
      'layer boundary',
    ],
    [
      'core/bytes.ts',
      "import { createElement } from 'react';\nexport const x = createElement;\n",
      'layer boundary',
    ],
    [
      'native/vcard/virtual-card.ts',
      "import { Devices } from 'smartcard';\nexport const x = Devices;\n",
      'Only native/pcsc',
    ],
    [
      'native/vcard/virtual-card.ts',
      "import { startWebHost } from '../../electron/web.js';\nexport const x = startWebHost;\n",
      'layer boundary',
    ],
    [
      'electron/csp.ts',
      "import { Devices } from 'smartcard';\nexport const x = Devices;\n",
      'Only native/pcsc',
    ],
    [
      'renderer/src/api.ts',
      "import { ReaderManager } from '../../core/card/index.js';\nexport const x = ReaderManager;\n",
      'window.obf',
    ],
    [
      'renderer/src/api.ts',
      "import type { ReaderManager } from '../../core/card/index.js';\nexport type X = ReaderManager;\n",
      'window.obf',
    ],
    [
      'renderer/src/api.ts',
      "import { methods } from '../../core/api/index.js';\nexport const x = methods;\n",
      'types only',
    ],
    [
      'electron/csp.ts',
      "import Database from 'better-sqlite3-multiple-ciphers';\nexport const x = Database;\n",
      'Only core/kms',
    ],
    [
      'core/bytes.ts',
      "import Database from 'better-sqlite3-multiple-ciphers';\nexport const x = Database;\n",
      'Only core/kms',
    ],
  ])('refuses in %s: %j', async (file, code, message) => {
    const errors = await boundaryErrors(file, code);
    expect(errors.join('\n')).toContain(message);
  });

  it.each([
    ['native/pcsc/binding.ts', "import type * as S from 'smartcard';\nexport type X = typeof S;\n"],
    [
      'electron/csp.ts',
      "import { PcscReaderBackend } from '../native/pcsc/index.js';\nexport const x = PcscReaderBackend;\n",
    ],
    [
      'renderer/src/api.ts',
      "import type { ReaderInfo } from '../../core/api/index.js';\nexport type X = ReaderInfo;\n",
    ],
    [
      'native/vcard/virtual-card.ts',
      "import { toHex } from '../../core/bytes.js';\nexport const x = toHex;\n",
    ],
    [
      'core/kms/seal.ts',
      "import Database from 'better-sqlite3-multiple-ciphers';\nexport const x = Database;\n",
    ],
  ])('allows in %s: %j', async (file, code) => {
    expect(await boundaryErrors(file, code)).toEqual([]);
  });
});
