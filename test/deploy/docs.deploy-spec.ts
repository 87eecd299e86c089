import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/grafana-dashboards.js';
import { latfleetConfigNames } from './support/latfleet-config-names.js';

const docs = readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md'));
const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const namesIn = (text: string) => [...text.matchAll(/\b(LATFLEET_[A-Z0-9_]+)\b/g)].map((m) => m[1]!);

describe('the guides in docs/', () => {
  it('name only variables latfleet, the compose file or the Grafana provisioning read', () => {
    const known = new Set([...latfleetConfigNames(), ...namesIn(read('deploy/compose.yaml')), ...namesIn(read('grafana/provisioning/datasources/latfleet.yaml'))]);
    for (const doc of docs) for (const name of namesIn(read(`docs/${doc}`))) expect(known.has(name), `${doc}: ${name}`).toBe(true);
  });

  it('link only to files that exist', () => {
    for (const doc of docs) {
      for (const [, target] of read(`docs/${doc}`).matchAll(/\]\(([^)#:]+)\)/g)) {
        expect(() => readFileSync(join(REPO_ROOT, 'docs', target!)), `${doc} → ${target}`).not.toThrow();
      }
    }
  });

  it('say which paths have run on real hardware', () => {
    const index = read('docs/README.md');
    expect(index).toMatch(/What has run where/);
    for (const guide of ['attach-pixel.md', 'attach-rockchip-npu.md']) expect(read(`docs/${guide}`)).toMatch(/Not exercised on real hardware/);
  });
});
