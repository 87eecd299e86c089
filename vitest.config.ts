import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['services/**/*.spec.ts'], exclude: ['services/**/*.int-spec.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['services/**/*.int-spec.ts'],
          globalSetup: ['test/support/postgres.global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.e2e-spec.ts'], testTimeout: 300_000, hookTimeout: 300_000, fileParallelism: false },
      },
      'test/deploy/vitest.config.ts',
      // short by default (FUZZ_RUNS=150 cases per surface); npm run test:fuzz runs 10,000
      'test/fuzz/vitest.config.ts',
    ],
  },
});
