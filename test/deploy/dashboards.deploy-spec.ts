import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { REPO_ROOT, loadDashboards, panelsOf, type Panel } from './support/grafana-dashboards.js';

interface GrafanaSchema {
  grafanaVersion: string;
  dashboard: object;
  panels: Record<string, { options: object; fieldConfig?: object }>;
}

const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'test/deploy/schema/grafana-dashboard.schema.json'), 'utf8')) as GrafanaSchema;
const ajv = new Ajv({ allErrors: true, strict: false });
const validateDashboard = ajv.compile(schema.dashboard);
const panelValidators = Object.fromEntries(
  Object.entries(schema.panels).map(([type, s]) => [type, { options: ajv.compile(s.options), fieldConfig: s.fieldConfig ? ajv.compile(s.fieldConfig) : undefined }]),
);

const dashboards = loadDashboards();
const yamlFile = (path: string) => YAML.parse(readFileSync(join(REPO_ROOT, path), 'utf8'));
const datasources = yamlFile('grafana/provisioning/datasources/latfleet.yaml').datasources as Array<{ uid: string; type: string; url: string }>;
const errorsOf = (errors: ErrorObject[] | null | undefined) => (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);

/** Variables a query or title may use besides the dashboard's own. */
const GLOBALS = new Set([
  '__rate_interval',
  '__interval',
  '__interval_ms',
  '__range',
  '__timeFilter',
  '__timeGroupAlias',
  '__timeGroup',
  '__timeFrom',
  '__timeTo',
  '__value',
  '__data',
]);

describe('the Grafana dashboards', () => {
  it('are the files grafana/src/build.mjs makes', () => {
    expect(() => execFileSync(process.execPath, [join(REPO_ROOT, 'grafana/src/build.mjs'), '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('are the five the issue asks for, with unique uids', () => {
    expect(dashboards.map((d) => d.dashboard.uid).sort()).toEqual(['latfleet-ablations', 'latfleet-fleet', 'latfleet-layers', 'latfleet-pareto', 'latfleet-study']);
  });

  describe.each(dashboards.map((d) => [d.name, d.dashboard] as const))('%s.json', (_name, dashboard) => {
    const panels = panelsOf(dashboard);

    it(`validates against Grafana ${schema.grafanaVersion}'s dashboard schema`, () => {
      validateDashboard(dashboard);
      expect(errorsOf(validateDashboard.errors)).toEqual([]);
    });

    it("gives every panel options and field config its panel type's schema accepts", () => {
      const problems: string[] = [];
      for (const p of panels) {
        const v = panelValidators[p.type];
        if (!v) {
          problems.push(`${p.title}: panel type ${p.type} has no schema in grafana-dashboard.schema.json (add it to generate-grafana-schema.mjs)`);
          continue;
        }
        if (!v.options(p.options ?? {})) problems.push(...errorsOf(v.options.errors).map((e) => `${p.title} options: ${e}`));
        const custom = p.fieldConfig?.defaults.custom;
        if (v.fieldConfig && custom && !v.fieldConfig(custom)) problems.push(...errorsOf(v.fieldConfig.errors).map((e) => `${p.title} fieldConfig.custom: ${e}`));
        if (!v.fieldConfig && custom) problems.push(`${p.title}: ${p.type} has no custom field config`);
      }
      expect(problems).toEqual([]);
    });

    it('queries only the provisioned data sources, each target naming its own', () => {
      const known = new Map(datasources.map((d) => [d.uid, d.type]));
      for (const p of panels) {
        if (p.type === 'text') continue;
        expect(p.targets?.length, p.title).toBeGreaterThan(0);
        for (const t of p.targets!) {
          expect(known.get(t.datasource.uid), `${p.title} ${t.refId}`).toBe(t.datasource.type);
          expect(Boolean(t.rawSql) !== Boolean(t.expr), `${p.title} ${t.refId}: exactly one of rawSql and expr`).toBe(true);
        }
        expect(new Set(p.targets!.map((t) => t.refId)).size).toBe(p.targets!.length);
      }
    });

    it('lays panels out on the 24-column grid without overlap, with unique ids', () => {
      const cells = new Set<string>();
      for (const p of panels) {
        const { x, y, w, h } = p.gridPos;
        expect(x + w, p.title).toBeLessThanOrEqual(24);
        for (let i = x; i < x + w; i++)
          for (let j = y; j < y + h; j++) {
            expect(cells.has(`${i},${j}`), `${p.title} overlaps another panel at ${i},${j}`).toBe(false);
            cells.add(`${i},${j}`);
          }
      }
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    });

    it('uses only variables it defines, and repeats only over multi-value ones', () => {
      const defined = new Map(dashboard.templating.list.map((v) => [v.name, v]));
      const used = (text: string) => [...text.matchAll(/\$\{?(\w+)/g)].map((m) => m[1]!).filter((n) => !GLOBALS.has(n));
      const texts = (p: Panel) => [p.title, ...(p.targets ?? []).map((t) => t.rawSql ?? t.expr ?? '')];
      for (const text of [...panels.flatMap(texts), ...dashboard.templating.list.map((v) => v.query ?? '')]) {
        for (const name of used(text)) expect(defined.has(name), `$${name} in: ${text.slice(0, 60)}`).toBe(true);
      }
      for (const p of panels.filter((x) => x.repeat)) expect(defined.get(p.repeat!)?.multi, p.title).toBe(true);
    });

    it('links only to dashboards that exist', () => {
      const uids = new Set(dashboards.map((d) => d.dashboard.uid));
      const links = JSON.stringify(dashboard).matchAll(/\/d\/([\w-]+)\//g);
      for (const [, uid] of links) expect(uids.has(uid!), uid).toBe(true);
    });
  });
});

describe('the Grafana provisioning', () => {
  it('defines the Prometheus and Postgres data sources the dashboards use, configured from the environment', () => {
    expect(datasources.map((d) => [d.uid, d.type])).toEqual([
      ['latfleet-prometheus', 'prometheus'],
      ['latfleet-postgres', 'grafana-postgresql-datasource'],
    ]);
    for (const d of datasources) expect(d.url).toMatch(/^\$\{LATFLEET_\w+\}$/);
  });

  it('loads the dashboards from where the compose file mounts them', () => {
    const provider = yamlFile('grafana/provisioning/dashboards/latfleet.yaml').providers[0];
    const grafana = yamlFile('deploy/compose.yaml').services.grafana;
    expect(grafana.volumes).toContain(`../grafana/dashboards:${provider.options.path}:ro`);
    expect(grafana.volumes).toContain('../grafana/provisioning:/etc/grafana/provisioning:ro');
  });

  it(`targets the Grafana release the schema comes from (${schema.grafanaVersion})`, () => {
    expect(yamlFile('deploy/compose.yaml').services.grafana.image).toBe(`grafana/grafana:${schema.grafanaVersion}`);
    for (const { dashboard } of dashboards) {
      expect(dashboard.schemaVersion).toBe(42);
      for (const p of panelsOf(dashboard)) expect((p as Panel & { pluginVersion?: string }).pluginVersion).toBe(schema.grafanaVersion);
    }
  });
});
