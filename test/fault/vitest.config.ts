import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Fault tests: real processes from dist/ (run `npm run build` first) and a real embedded Postgres,
 * one file at a time (they kill and restart processes and need the CPU to themselves).
 *   npx vitest run --config test/fault/vitest.config.ts
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    name: 'fault',
    include: ['test/fault/**/*.fault-spec.ts'],
    testTimeout: 90_000,
    hookTimeout: 90_000,
    fileParallelism: false,
  },
});
