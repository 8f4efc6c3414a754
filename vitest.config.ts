import { defineConfig } from 'vitest/config';

// Unit tests live beside their subject; integration tests (real pcscd, real HTTP) have their own config.
export default defineConfig({
  test: {
    include: [
      'core/**/*.test.ts',
      'native/**/*.test.ts',
      'electron/**/*.test.ts',
      'server/**/*.test.ts',
      'test/unit/**/*.test.ts',
    ],
    reporters: ['default', ['json', { outputFile: 'test-results/unit.json' }]],
  },
});
