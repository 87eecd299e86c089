import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Property-based fuzzing of the HTTP API and every gRPC method of control, in-process against an
 * embedded Postgres. `npm test` runs it short (FUZZ_RUNS, default 150 cases per surface, fixed
 * seeds); `npm run test:fuzz` runs 10,000 per surface from new random seeds. FUZZ_SEED replays a
 * run (the seed is printed on failure and at the start of each surface); FUZZ_RESULTS=path writes
 * the counts as JSON.
 */
export default defineConfig({
  test: {
    name: 'fuzz',
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/fuzz/**/*.fuzz-spec.ts'],
    globalSetup: ['test/support/postgres.global-setup.ts'],
    testTimeout: 4 * 3_600_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
