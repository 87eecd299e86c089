import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The load run: 1,000 simulated agents against one real control process (dist/, so `npm run build`
 * first) and an embedded Postgres. By hand, not part of `npm test`:
 *   npx vitest run --config test/load/vitest.config.ts
 * LOAD_* variables change its size (see fleet.load-spec.ts); LOAD_WRITE_RESULTS=1 writes the
 * figures into test/bench/RESULTS.md (section "## Load").
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    name: 'load',
    include: ['test/load/**/*.load-spec.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
