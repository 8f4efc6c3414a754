// Lint: typescript-eslint (type-aware) plus the architecture of DESIGN.md §2 as import rules:
// core → nothing outside core; native → core; electron → core, native; server → core;
// renderer → core/api types only; only native/pcsc loads the PC/SC binding.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const outside = (...folders) => folders.flatMap((f) => [`**/${f}`, `**/${f}/**`, `../${f}/**`]);
const pcscBinding = { name: 'smartcard', message: 'Only native/pcsc loads the PC/SC binding.' };
const electronPkg = { name: 'electron', message: 'Only electron/ (the Electron host) imports electron.' };
const sqlite = {
  name: 'better-sqlite3-multiple-ciphers',
  message: 'Only core/kms opens the encrypted database.',
};

function layer(files, { banned = [], paths = [] }) {
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths,
          patterns: banned.length
            ? [{ group: banned, message: 'This import crosses the layer boundary (DESIGN.md §2).' }]
            : [],
        },
      ],
    },
  };
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'release/**',
      '.cache/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['eslint.config.js', 'bin/*.js', 'scripts/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  layer(['core/**'], {
    banned: [
      ...outside('native', 'electron', 'renderer', 'server'),
      'react',
      'react-dom',
      'react-dom/*',
      'ws',
    ],
    paths: [pcscBinding, electronPkg, sqlite],
  }),
  // The encrypted store is the one part of core with a native driver (DESIGN.md §5).
  layer(['core/kms/**'], {
    banned: [...outside('native', 'electron', 'renderer', 'server'), 'react', 'react-dom', 'ws'],
    paths: [pcscBinding, electronPkg],
  }),
  layer(['native/**'], {
    banned: [...outside('electron', 'renderer', 'server'), 'react', 'react-dom'],
    paths: [electronPkg, sqlite],
  }),
  {
    files: ['native/**'],
    ignores: ['native/pcsc/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [pcscBinding, electronPkg, sqlite],
          patterns: [
            {
              group: outside('electron', 'renderer', 'server'),
              message: 'This import crosses the layer boundary (DESIGN.md §2).',
            },
          ],
        },
      ],
    },
  },
  layer(['electron/**'], {
    banned: [...outside('renderer', 'server'), 'react', 'react-dom'],
    paths: [pcscBinding, sqlite],
  }),
  layer(['server/**'], {
    banned: outside('native', 'electron', 'renderer'),
    paths: [pcscBinding, electronPkg, sqlite],
  }),
  // The server's store is the one part of server/ that opens its (plain) SQLite file.
  layer(['server/store/**'], {
    banned: outside('native', 'electron', 'renderer'),
    paths: [pcscBinding, electronPkg],
  }),
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // Anything of core but its API contract is off limits, and the contract only as types.
      'no-restricted-imports': [
        'error',
        {
          paths: [pcscBinding, electronPkg, sqlite],
          patterns: [
            {
              regex: '(^|/)(native|electron|server)(/|$)|(^|/)core/(?!api(/|$))',
              message:
                'The renderer talks only to window.obf; it imports core/api types and nothing else of the station.',
            },
          ],
        },
      ],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)core/api(/|$)',
              allowTypeImports: true,
              message: 'The renderer imports core/api as types only (import type …).',
            },
          ],
        },
      ],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.test.ts', 'test/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
