import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { LocalFleet, localSecret } from '../../services/cli/fleet.js';
import { waitForStudy } from '../../services/cli/study-progress.js';
import { loadConfig } from '../../services/lib/config/index.js';
import { freePort } from '../support/free-port.js';
import { pollUntil } from '../support/poll-until.js';
import { findExecutable } from './support/executable.js';
import { REPO_ROOT, loadDashboards, panelsOf, type Dashboard, type Panel } from './support/grafana-dashboards.js';
import { interpolatePromql, interpolateSql, type TimeRange } from './support/grafana-interpolation.js';
import { panelScopes, resolveVariables, type ResolvedVariable, type SqlRows } from './support/grafana-variables.js';
import { PrometheusServer } from './support/prometheus-server.js';

const PROMETHEUS = findExecutable('prometheus');
const needsPrometheus = (title: string) => (PROMETHEUS ? title : `${title} — SKIPPED: prometheus not on PATH (apt-get install prometheus)`);
const SCRAPE_SECONDS = 1;
/** Grafana's $__rate_interval is at least four scrape intervals. */
const RATE_INTERVAL = `${8 * SCRAPE_SECONDS}s`;

/** A small h-swish placement study, named so that the Ablations dashboard selects it by default. */
const STUDY = {
  name: 'mbv3-hswish-placement-deploy-test',
  base: 'mobilenetv3-small-0.75@96',
  axes: { activation: ['paper', 'relu', '@16'] },
  baseline: 'paper',
  // three rounds exactly: enough for paired verdicts, no adaptive rounds to wait for
  protocol: { warmupRuns: 1, timedRuns: 15, profiledRuns: 2, maxRetries: 0, replicates: 3, targetHalfWidthPct: 0 },
};
/** What the predictor learns from, before the study: two sizes of the study's network, one round. */
const CALIBRATION = {
  name: 'deploy-test-calibrate',
  variants: ['mobilenetv3-small-0.75@96+act=relu', 'mobilenetv3-small-0.75@112+act=relu'],
  baseline: 'mobilenetv3-small-0.75@96+act=relu',
  protocol: { warmupRuns: 1, timedRuns: 15, profiledRuns: 2, maxRetries: 0, replicates: 1, maxReplicates: 1, targetHalfWidthPct: 0 },
};
const TOP1 = { paper: 65.4, relu: 64.1, '@16': 65.0 } as Record<string, number>;

/** deploy/prometheus/prometheus.yml with its query target moved to the test's port and 1 s intervals. */
function prometheusConfig(queryPort: number): string {
  const config = YAML.parse(readFileSync(join(REPO_ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8'));
  const job = config.scrape_configs.find((j: { job_name: string }) => j.job_name === 'latfleet-query');
  if (!job) throw new Error('deploy/prometheus/prometheus.yml has no latfleet-query job');
  job.static_configs = [{ targets: [`127.0.0.1:${queryPort}`] }];
  config.scrape_configs = [job];
  config.global = { ...config.global, scrape_interval: `${SCRAPE_SECONDS}s`, evaluation_interval: `${SCRAPE_SECONDS}s` };
  config.rule_files = [join(REPO_ROOT, 'deploy/prometheus/rules/*.rules.yaml')];
  return YAML.stringify(config);
}

interface PanelQuery {
  dashboard: Dashboard;
  panel: Panel;
  label: string;
  kind: 'sql' | 'promql';
  query: string;
  instant: boolean;
}

describe('every dashboard panel, against a fleet that has run a small study', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latfleet-deploy-'));
  // As root, the embedded Postgres runs as user postgres, which must traverse into its data dir.
  chmodSync(dir, 0o755);
  let fleet: LocalFleet;
  let db: pg.Client;
  let prometheus: PrometheusServer | undefined;
  let studyId: string;
  let promStart: Date;
  let range: TimeRange;
  const variables = new Map<string, Map<string, ResolvedVariable>>();
  const queries: PanelQuery[] = [];
  const runSql = async (sql: string): Promise<SqlRows> => (await db.query(sql)).rows;

  beforeAll(async () => {
    const [http, grpc, pgPort, promPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const config = loadConfig({
      LATFLEET_DATA_DIR: join(dir, 'fleet'),
      LATFLEET_HTTP_PORT: String(http),
      LATFLEET_GRPC_PORT: String(grpc),
      LATFLEET_PG_PORT: String(pgPort),
      LATFLEET_HEARTBEAT_MS: '1000',
      LATFLEET_LOG_LEVEL: 'warn',
    });
    fleet = new LocalFleet(config);
    await fleet.start(() => undefined);
    db = new pg.Client({ connectionString: fleet.databaseUrl });
    await db.connect();
    // Grafana's Postgres user only reads (deploy/compose/postgres-init): so do the panels here.
    await db.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');

    if (PROMETHEUS) {
      const configFile = join(dir, 'prometheus.yml');
      writeFileSync(configFile, prometheusConfig(http));
      promStart = new Date();
      prometheus = await PrometheusServer.start({ binary: PROMETHEUS, configFile, dataDir: join(dir, 'tsdb'), port: promPort, logFile: join(dir, 'prometheus.log') });
    }

    // A latency predictor learned from a small calibration first: the study below is then measured
    // after it was trained, and the Fleet dashboard's predictor panels read both its held-out
    // accuracy and its error on those later runs (drift).
    const calibration = await fleet.api.createStudy(CALIBRATION);
    expect((await waitForStudy(fleet.api, calibration.id, { quiet: true, intervalMs: 250, timeoutMs: 120_000 })).status).toBe('completed');
    const device = (await fleet.api.devices()).items[0]!.name;
    await fleet.api.trainPredictor({ device, includeFlagged: true, folds: 2, studies: [calibration.id] });

    const study = await fleet.api.createStudy(STUDY);
    studyId = study.id;
    const done = await waitForStudy(fleet.api, studyId, { quiet: true, intervalMs: 250, timeoutMs: 120_000 });
    expect(done.status, JSON.stringify(done)).toBe('completed');

    // Users record the top-1 of the variants they trained; the Pareto and Ablations panels read it.
    const { rows: variants } = await db.query(`SELECT id, label FROM variants WHERE study_id = $1`, [studyId]);
    for (const v of variants) {
      const res = await fetch(`${fleet.api.baseUrl}/api/v1/accuracies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${localSecret(config.dataDir, 'api-key')}` },
        body: JSON.stringify({ variantId: v.id, top1: TOP1[v.label], source: 'deploy test' }),
      });
      expect(res.status, await res.text()).toBe(201);
    }

    if (prometheus) {
      const p = prometheus;
      await pollUntil(async () => (await p.instant('up{job="latfleet-query"} == 1')).length === 1, {
        what: 'Prometheus scraping the query service (up == 1)',
        timeoutMs: 30_000,
        intervalMs: 500,
      });
      // A few scrapes after the accuracies were stored, so the latest samples follow the study.
      const after = Date.now() / 1000 + 3 * SCRAPE_SECONDS;
      await pollUntil(async () => Number((await p.instant('max(timestamp(up{job="latfleet-query"}))'))[0]?.value?.[1] ?? 0) > after, {
        what: 'three scrapes after the study',
        timeoutMs: 30_000,
        intervalMs: 500,
      });
    }

    range = { from: new Date(Date.now() - 3_600_000), to: new Date() };
    for (const { dashboard } of loadDashboards()) {
      const vars = await resolveVariables(dashboard, runSql, range);
      variables.set(dashboard.uid, vars);
      for (const panel of panelsOf(dashboard)) {
        for (const scope of panelScopes(panel, vars)) {
          for (const t of panel.targets ?? []) {
            const label = `${dashboard.title} › ${scope.label} › ${t.refId}`;
            if (t.rawSql !== undefined) queries.push({ dashboard, panel, label, kind: 'sql', query: interpolateSql(t.rawSql, scope.vars, range), instant: true });
            if (t.expr !== undefined) {
              queries.push({
                dashboard,
                panel,
                label,
                kind: 'promql',
                query: interpolatePromql(t.expr, scope.vars, range, { interval: `${SCRAPE_SECONDS}s`, rateInterval: RATE_INTERVAL }),
                instant: t.instant === true,
              });
            }
          }
        }
      }
    }
  });

  afterAll(async () => {
    await prometheus?.stop();
    await db?.end();
    await fleet?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('selects the study just run in every study variable, and every device that ran it', async () => {
    for (const uid of ['latfleet-study', 'latfleet-layers', 'latfleet-ablations']) {
      expect(variables.get(uid)?.get('study')?.values, uid).toEqual([studyId]);
    }
    const { rows } = await db.query(`SELECT DISTINCT device_id::text AS id FROM runs WHERE study_id = $1`, [studyId]);
    for (const uid of ['latfleet-study', 'latfleet-ablations', 'latfleet-pareto']) {
      expect(variables.get(uid)?.get('device')?.values, uid).toEqual(rows.map((r) => r.id));
    }
    expect(variables.get('latfleet-study')?.get('baseline')?.values).toEqual(['paper']);
    expect(variables.get('latfleet-layers')?.get('variant')?.values).not.toEqual(variables.get('latfleet-layers')?.get('compare')?.values);
    expect(variables.get('latfleet-pareto')?.get('study')?.values).toContain(studyId);
  });

  it('returns rows for every SQL query of every panel, with Grafana macros and variables expanded', async () => {
    const sql = queries.filter((q) => q.kind === 'sql');
    expect(sql.length).toBeGreaterThan(20);
    const empty: string[] = [];
    const timeless: string[] = [];
    for (const q of sql) {
      let rows: SqlRows;
      try {
        rows = await runSql(q.query);
      } catch (err) {
        throw new Error(`${q.label}: ${(err as Error).message}\n${q.query}`, { cause: err });
      }
      if (rows.length === 0) empty.push(q.label);
      const format = q.panel.targets?.find((t) => t.rawSql !== undefined)?.format;
      if (format === 'time_series' && !Object.keys(rows[0] ?? {}).includes('time')) timeless.push(q.label);
    }
    expect(empty, 'panels whose query returned no rows').toEqual([]);
    expect(timeless, 'time-series panels whose rows have no time column').toEqual([]);
  });

  it.skipIf(!PROMETHEUS)(needsPrometheus('returns series for every PromQL query of every panel, from a real Prometheus scraping the query service'), async () => {
    const promql = queries.filter((q) => q.kind === 'promql');
    expect(promql.length).toBeGreaterThan(10);
    const empty: string[] = [];
    for (const q of promql) {
      const result = q.instant ? await prometheus!.instant(q.query) : await prometheus!.range(q.query, promStart, new Date(), SCRAPE_SECONDS);
      if (result.length === 0 || result.every((s) => (s.values ?? [s.value]).length === 0)) empty.push(`${q.label}: ${q.query}`);
    }
    expect(empty, 'PromQL panels with no series').toEqual([]);
  });

  it.skipIf(!PROMETHEUS)(needsPrometheus("loads deploy/prometheus's alert rules and evaluates every one without error"), async () => {
    const groups = await pollUntil(
      async () => {
        const g = await prometheus!.rules();
        return g.length > 0 && g.every((x) => x.rules.every((r) => r.health !== 'unknown')) ? g : undefined;
      },
      { what: 'every rule evaluated once', timeoutMs: 15_000, intervalMs: 500 },
    );
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(5);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
  });

  it('shows in the Study table the medians and deltas the API computes', async () => {
    const table = queries.find((q) => q.dashboard.uid === 'latfleet-study' && q.panel.title.startsWith('Latency per variant'))!;
    const rows = await runSql(table.query);
    const api = await fleet.api.comparison(studyId);
    expect(rows).toHaveLength(api.rows.length);
    for (const a of api.rows) {
      const r = rows.find((x) => x['variant'] === a.variant && x['device'] === a.device)!;
      expect(Number(r['median ms']), a.variant).toBeCloseTo(a.medianMs!, 2);
      expect(Number(r['Δ ms']), a.variant).toBeCloseTo(a.deltaMs!, 2);
      expect(Number(r['runs min ms'])).toBeLessThanOrEqual(Number(r['median ms']));
      expect(Number(r['runs max ms'])).toBeGreaterThanOrEqual(Number(r['median ms']));
      // a variant with no clean run on either side has no paired round: the API says null, the panel 0
      expect(r['verdict'], a.variant).toBe(a.baseline ? 'baseline' : a.verdict === 'undecided' ? `undecided (${a.rounds ?? 0} rounds)` : a.verdict);
    }
  });

  it('shows in the Layers table the per-layer medians the API computes for the run', async () => {
    const table = queries.find((q) => q.dashboard.uid === 'latfleet-layers' && q.panel.title === 'Per layer')!;
    const runId = variables.get('latfleet-layers')!.get('run')!.values[0]!;
    const rows = await runSql(table.query);
    const api = await fleet.api.runLayers(runId);
    expect(rows.length).toBe(api.layers.length);
    for (const l of api.layers) {
      const r = rows.find((x) => x['layer'] === l.layer)!;
      expect(Number(r['median µs']) / 1000, l.layer).toBeCloseTo(l.medianMs, 3);
    }
  });

  it('puts every variant of the study, with its top-1, on the Pareto chart', async () => {
    const chart = queries.find((q) => q.dashboard.uid === 'latfleet-pareto' && q.panel.type === 'xychart')!;
    const rows = await runSql(chart.query);
    expect(rows.map((r) => Number(r['top-1 %'])).sort()).toEqual(Object.values(TOP1).sort());
  });
});
