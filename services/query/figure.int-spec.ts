import type { INestApplication } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { TopLevelSpec } from 'vega-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_STUDY, seedFigureStudy, type FigureStudy } from '../../test/support/figure-study.seed.js';
import { freePort } from '../../test/support/free-port.js';
import { insertModel, insertRun, insertStudy, latencies, layerTimings } from '../../test/support/study-results.factory.js';
import { svgMarks } from '../../test/support/svg-marks.js';
import { createTestDatabase } from '../../test/support/test-database.js';
import { loadConfig } from '../lib/config/index.js';
import { builtinStudy } from '../lib/models/index.js';
import { createDataSource } from '../lib/store/index.js';
import type { Comparison } from './comparison.service.js';
import type { DeviceHistory } from './device-history.service.js';
import { FIGURE_MARKS } from './figure-specs.js';
import { renderSvg } from './figure.renderer.js';
import type { LayerDeltas } from './layer-delta.service.js';
import { startQuery } from './main.js';
import type { Pareto } from './model-selection.service.js';
import type { RunLayers } from './run.service.js';

const API_KEY = 'figure-spec-key-0123456789';
const FAMILIES = builtinStudy('families').variants as string[];

describe('study figures over HTTP (LATFLEET_API_READ=key)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let app: INestApplication;
  let base: string;
  let demo: FigureStudy;
  let families: FigureStudy;
  /** a run stored by an agent that reported no attribution: kernel times only */
  const oldAgent = { study: '', run: '' };

  const get = async (path: string, key: string | null = API_KEY) => {
    const res = await fetch(`${base}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };
  const json = async <T>(path: string): Promise<T> => {
    const res = await get(path);
    expect(res.status, `${path}: ${res.text}`).toBe(200);
    return JSON.parse(res.text) as T;
  };
  const svg = async (path: string) => {
    const res = await get(path);
    expect(res.status, `${path}: ${res.text}`).toBe(200);
    expect(res.type).toBe('image/svg+xml; charset=utf-8');
    return res.text;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, { poolSize: 4 });
    await ds.initialize();
    demo = await seedFigureStudy(ds, {
      ...DEMO_STUDY,
      devices: ['vm-a', 'vm-b'],
      rounds: 3,
      flagged: [['hswish', 'vm-b', 2]],
    });
    families = await seedFigureStudy(ds, {
      name: 'families',
      baseline: 'mobilenetv2-1.0',
      variants: FAMILIES.map((v) => ({ label: v, variant: v })),
      devices: ['vm-c'],
      rounds: 6,
      msOf: (label) => 2 + FAMILIES.indexOf(label) * 0.7,
      upgradeAt: { round: 3, slower: 1.15 },
    });
    const model = await insertModel(ds, 'mobilenetv3-small-1.0');
    const old = await insertStudy(ds, { name: 'old-agent', baseline: 'a', variants: [{ label: 'a', model }] });
    oldAgent.study = old.id;
    oldAgent.run = await insertRun(ds, {
      studyId: old.id,
      variantId: old.variantIds['a']!,
      deviceId: families.devices['vm-c']!,
      model,
      latenciesNs: latencies(3e6),
      timings: layerTimings(model.layers, 2, () => 10_000),
    });
    const port = await freePort();
    app = await startQuery(
      loadConfig({ DATABASE_URL: db.url, LATFLEET_HTTP_PORT: String(port), LATFLEET_LOG_LEVEL: 'error', LATFLEET_API_KEYS: API_KEY, LATFLEET_API_READ: 'key' }),
    );
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app?.close();
    await ds?.destroy();
    await db?.drop();
  });

  it('draws the latency and delta figures with one mark per comparison row, its CI and its noise band', async () => {
    const c = await json<Comparison>(`/api/v1/studies/${demo.id}/comparison`);
    const latency = await svg(`/api/v1/studies/${demo.id}/figures/latency.svg`);
    expect(svgMarks(latency, FIGURE_MARKS.latency.median)).toBe(c.rows.filter((r) => r.medianMs !== null).length);
    expect(svgMarks(latency, FIGURE_MARKS.latency.ci)).toBe(c.rows.filter((r) => r.ciLowMs !== null).length);
    expect(c.rows).toHaveLength(6);
    const delta = await svg(`/api/v1/studies/${demo.id}/figures/delta.svg`);
    const candidates = c.rows.filter((r) => !r.baseline && r.deltaPct !== null);
    expect(candidates).toHaveLength(4);
    expect(svgMarks(delta, FIGURE_MARKS.delta.point)).toBe(candidates.length);
    expect(svgMarks(delta, FIGURE_MARKS.delta.ci)).toBe(candidates.filter((r) => r.deltaCiLowPct !== null).length);
    expect(svgMarks(delta, FIGURE_MARKS.delta.noise)).toBe(candidates.filter((r) => r.mdePct !== null).length);
    expect(candidates.filter((r) => r.mdePct !== null).length).toBeGreaterThan(0);
  });

  it('draws only the chosen devices and the flagged runs when asked, like the comparison', async () => {
    const c = await json<Comparison>(`/api/v1/studies/${demo.id}/comparison?device=vm-b&include=flagged`);
    const latency = await svg(`/api/v1/studies/${demo.id}/figures/latency.svg?device=vm-b&include=flagged`);
    expect(c.rows).toHaveLength(3);
    expect(svgMarks(latency, FIGURE_MARKS.latency.median)).toBe(3);
    const spec = await json<TopLevelSpec & { data: { values: Array<{ variant: string; replicates: number }> } }>(
      `/api/v1/studies/${demo.id}/figures/latency.vl.json?device=vm-b&include=flagged`,
    );
    expect(spec.data.values.find((v) => v.variant === 'hswish')!.replicates).toBe(3);
  });

  it('serves the Vega-Lite spec with its data inline, which renders to the very SVG served', async () => {
    for (const name of ['latency', 'delta', 'pareto-madds', 'blocks']) {
      const spec = await json<TopLevelSpec>(`/api/v1/studies/${demo.id}/figures/${name}.vl.json`);
      expect(spec.$schema).toMatch(/vega-lite\/v6/);
      expect(JSON.stringify(spec)).not.toMatch(/"url"/);
      expect(await renderSvg(spec)).toBe(await svg(`/api/v1/studies/${demo.id}/figures/${name}.svg`));
    }
  });

  it('draws Pareto fronts from the pareto answer: every measured point, a front line per device', async () => {
    const p = await json<Pareto>(`/api/v1/studies/${families.id}/pareto`);
    const points = p.devices.flatMap((d) => d.points);
    expect(points).toHaveLength(FAMILIES.length);
    const madds = await svg(`/api/v1/studies/${families.id}/figures/pareto-madds.svg`);
    expect(svgMarks(madds, FIGURE_MARKS.pareto.point)).toBe(points.length);
    expect(svgMarks(madds, FIGURE_MARKS.pareto.label)).toBe(points.length);
    expect(svgMarks(madds, FIGURE_MARKS.pareto.front)).toBe(1);
    const accuracy = await svg(`/api/v1/studies/${families.id}/figures/pareto-accuracy.svg`);
    expect(svgMarks(accuracy, FIGURE_MARKS.pareto.point)).toBe(points.filter((pt) => pt.top1 !== null).length);
    expect(points.filter((pt) => pt.top1 !== null).length).toBe(FAMILIES.length);
  });

  it("marks the predicted latencies of a device's trained predictor beside the measured points, outside the front", async () => {
    const demoMadds = await svg(`/api/v1/studies/${demo.id}/figures/pareto-madds.svg`);
    expect(demoMadds).not.toContain(`${FIGURE_MARKS.pareto.predicted}_marks`);
    const trained = await fetch(`${base}/api/v1/predictors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ device: 'vm-c' }),
    });
    expect(trained.status, await trained.clone().text()).toBe(201);
    const madds = await svg(`/api/v1/studies/${families.id}/figures/pareto-madds.svg`);
    expect(svgMarks(madds, FIGURE_MARKS.pareto.predicted)).toBe(FAMILIES.length);
    expect(svgMarks(madds, FIGURE_MARKS.pareto.point)).toBe(FAMILIES.length);
    expect(madds).toContain('◇ predicted, not measured');
    const spec = await json<{ layer: Array<{ name?: string; data?: { values: Array<{ variant: string; medianMs: number }> } }> }>(
      `/api/v1/studies/${families.id}/figures/pareto-accuracy.vl.json`,
    );
    const predicted = spec.layer.find((l) => l.name === FIGURE_MARKS.pareto.predicted)!.data!.values;
    expect(predicted.map((v) => v.variant).sort()).toEqual([...FAMILIES].sort());
    expect(predicted.filter((v) => !(v.medianMs > 0))).toEqual([]);
  });

  it("stacks kernel and executor overhead per layer and per block of one run, as the run's layer answer has them", async () => {
    const run = demo.runs.get('hswish/vm-a/1')!;
    const l = await json<RunLayers>(`/api/v1/runs/${run}/layers`);
    const layers = await svg(`/api/v1/studies/${demo.id}/figures/layers.svg?run=${run}`);
    expect(svgMarks(layers, FIGURE_MARKS.runBars.bar)).toBe(l.layers.length + l.layers.filter((x) => x.overheadMs !== null).length);
    expect(l.layers.filter((x) => x.overheadMs !== null)).toHaveLength(l.layers.length);
    const blocks = await svg(`/api/v1/studies/${demo.id}/figures/blocks.svg?run=${run}`);
    expect(svgMarks(blocks, FIGURE_MARKS.runBars.bar)).toBe(2 * l.blocks!.length);
    expect(blocks).toContain(`hswish on vm-a: time per block (run ${run.slice(0, 8)})`);
  });

  it('draws the per-layer and per-block Δ between two variants from the layer-delta answer', async () => {
    for (const by of ['layer', 'block', 'op'] as const) {
      const d = await json<LayerDeltas>(`/api/v1/studies/${demo.id}/layer-deltas?variant=hswish&device=vm-a`);
      const figure = await svg(`/api/v1/studies/${demo.id}/figures/layer-delta.svg?variant=hswish&device=vm-a&by=${by}`);
      expect(svgMarks(figure, FIGURE_MARKS.layerDelta.bar)).toBe(d.groups[by].length);
      expect(svgMarks(figure, FIGURE_MARKS.layerDelta.ci)).toBe(d.groups[by].filter((g) => g.deltaCiLowMs !== null).length);
    }
  });

  it("marks the regression in a device's history: the runs after a runtime upgrade are slower beyond the noise", async () => {
    const h = await json<DeviceHistory>(`/api/v1/devices/${families.devices['vm-c']}/history?model=mobilenetv2-1.0`);
    expect(h.models[0]!.segments.map((s) => s.regression)).toEqual([false, true]);
    const figure = await svg(`/api/v1/studies/${families.id}/figures/history.svg`);
    expect(svgMarks(figure, FIGURE_MARKS.history.point)).toBe(2);
    expect(svgMarks(figure, FIGURE_MARKS.history.regression)).toBe(1);
    const other = await svg(`/api/v1/studies/${demo.id}/figures/history.svg?device=vm-b&model=mobilenetv3-large-1.0`);
    expect(svgMarks(other, FIGURE_MARKS.history.regression)).toBe(0);
  });

  it('renders every figure of the demo and the families study', async () => {
    for (const study of [demo, families]) {
      const device = Object.keys(study.devices)[0]!;
      for (const name of ['latency', 'delta', 'pareto-accuracy', 'pareto-madds', 'layers', 'blocks', 'layer-delta', 'history']) {
        expect(await svg(`/api/v1/studies/${study.id}/figures/${name}.svg?device=${device}`)).toMatch(/^<svg [^>]*class="marks"/);
      }
    }
  });

  it('answers hostile parameters on every figure with a client error, never a 5xx', async () => {
    const nasty = ['%00', 'x'.repeat(5_000), '-1', '%ED%A0%80'];
    const params = ['device', 'include', 'run', 'variant', 'baseline', 'by', 'model', 'optimization'];
    const statuses = new Set<number>();
    for (const name of ['history', 'x'.repeat(300), '%00']) {
      for (const param of params) {
        for (const value of nasty) {
          const res = await fetch(`${base}/api/v1/studies/${demo.id}/figures/${name}.svg?${param}=${value}`, { headers: { authorization: `Bearer ${API_KEY}` } });
          statuses.add(res.status);
        }
      }
    }
    expect([...statuses].filter((s) => s >= 500)).toEqual([]);
  });

  it('refuses what it cannot draw with the error naming the cause, and reads need the key', async () => {
    const figures = `/api/v1/studies/${demo.id}/figures`;
    expect(await get(`${figures}/latency.svg`, null)).toMatchObject({ status: 401 });
    const unknown = await get(`${figures}/pie.svg`);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text).error.message).toContain('figures: latency, delta');
    expect(await get(`${figures}/layers.svg?run=${families.runs.get('mobilenetv2-1.0/vm-c/0')}`)).toMatchObject({ status: 404 });
    const history = await get(`${figures}/history.svg`);
    expect(history.status).toBe(400);
    expect(JSON.parse(history.text).error).toMatchObject({ field: 'device', message: 'device: required: study demo ran on vm-a, vm-b' });
    expect(await get(`${figures}/latency.svg?colour=red`)).toMatchObject({ status: 400 });
    const blocks = await get(`/api/v1/studies/${oldAgent.study}/figures/blocks.svg?run=${oldAgent.run}`);
    expect(blocks.status).toBe(400);
    expect(JSON.parse(blocks.text).error.field).toBe('run');
    expect(await get(`/api/v1/studies/${oldAgent.study}/figures/layers.svg?run=${oldAgent.run}`)).toMatchObject({ status: 200 });
  });
});
