import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { findExecutable } from './support/executable.js';
import { REPO_ROOT } from './support/grafana-dashboards.js';

const PROMTOOL = findExecutable('promtool');
const dir = join(REPO_ROOT, 'deploy/prometheus');
const promtool = (...args: string[]) => execFileSync(PROMTOOL!, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const title = (what: string) => (PROMTOOL ? what : `${what} — SKIPPED: promtool not on PATH (apt-get install prometheus)`);

describe('deploy/prometheus', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'latfleet-promtool-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.skipIf(!PROMTOOL)(title('prometheus.yml passes promtool check config, with the rule files it loads'), () => {
    expect(promtool('check', 'config', 'prometheus.yml')).toMatch(/SUCCESS/);
    // The same file with rule_files pointing at the repository's copy, so the check includes the rules.
    const config = YAML.parse(readFileSync(join(dir, 'prometheus.yml'), 'utf8'));
    config.rule_files = [join(dir, 'rules/*.rules.yaml')];
    writeFileSync(join(tmp, 'prometheus.yml'), YAML.stringify(config));
    const out = execFileSync(PROMTOOL!, ['check', 'config', join(tmp, 'prometheus.yml')], { encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS: 9 rules found/);
  });

  it.skipIf(!PROMTOOL)(title('the alert rules pass promtool check rules'), () => {
    expect(promtool('check', 'rules', 'rules/latfleet.rules.yaml')).toMatch(/SUCCESS: \d+ rules found/);
  });

  it.skipIf(!PROMTOOL)(title('the alert rules pass their unit tests (each alert fires on its condition, none on a healthy fleet)'), () => {
    expect(promtool('test', 'rules', 'rules/latfleet.rules.test.yaml')).toMatch(/SUCCESS/);
  });

  it('scrapes the query service where the compose file runs it, and loads the rules from where compose mounts them', () => {
    const config = YAML.parse(readFileSync(join(dir, 'prometheus.yml'), 'utf8'));
    const compose = YAML.parse(readFileSync(join(REPO_ROOT, 'deploy/compose.yaml'), 'utf8'), { merge: true });
    const job = config.scrape_configs.find((j: { job_name: string }) => j.job_name === 'latfleet-query');
    expect(job.static_configs[0].targets).toEqual(['query:3000']);
    expect(compose.services.query).toBeDefined();
    expect(compose.services.prometheus.volumes).toContain('./prometheus/rules:/etc/prometheus/rules:ro');
    expect(config.rule_files).toEqual(['/etc/prometheus/rules/*.rules.yaml']);
  });

  it('uses only metrics the query service exports, in the alerts and in the dashboards', () => {
    const source = readFileSync(join(REPO_ROOT, 'services/query/metrics.service.ts'), 'utf8');
    const exported = new Set([...source.matchAll(/name: '(latfleet_\w+)'/g)].map((m) => m[1]!));
    expect(exported.size).toBeGreaterThan(5);
    const known = (name: string) => exported.has(name) || exported.has(name.replace(/_(bucket|count|sum)$/, ''));
    const texts = [
      readFileSync(join(dir, 'rules/latfleet.rules.yaml'), 'utf8'),
      ...['fleet', 'study', 'layers', 'ablations', 'pareto'].map((d) => readFileSync(join(REPO_ROOT, `grafana/dashboards/${d}.json`), 'utf8')),
    ];
    const used = new Set(texts.flatMap((t) => [...t.matchAll(/\b(latfleet_[a-z_]+)\b/g)].map((m) => m[1]!)));
    const metricLike = [...used].filter((n) => !/^latfleet_(query|prometheus|postgres|fleet|study|layers|ablations|pareto)$/.test(n));
    expect(metricLike.filter((n) => !known(n))).toEqual([]);
  });

  it('keeps the Kubernetes PrometheusRule what build-prometheusrule.mjs makes of the rules', () => {
    expect(() => execFileSync(process.execPath, [join(dir, 'build-prometheusrule.mjs'), '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
