import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The deploy suite: dashboards, Prometheus config and rules, compose and Kubernetes manifests.
 * `npx vitest run --config test/deploy/vitest.config.ts` after `npm run build`; the root
 * vitest.config.ts can list this file under `projects`.
 */
export default defineConfig({
  test: {
    name: 'deploy',
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/deploy/**/*.deploy-spec.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
