import { defineConfig } from 'vitest/config';

// One pcscd per machine: integration files run one at a time.
export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: 'test-results/integration.json' }]],
  },
});
