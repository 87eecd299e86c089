import type { INestApplication } from '@nestjs/common';
import { percentileCont } from '../lib/measure/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { freePort } from '../../test/support/free-port.js';
import { insertJobAttempt, insertResultUpload } from '../../test/support/fleet-rows.factory.js';
import { undocumentedAnswer } from '../../test/support/openapi-answer.js';
import { insertDevice, insertModel, insertRun, insertStudy, latencies, layerTimings, type SeededModel } from '../../test/support/study-results.factory.js';
import { createTestDatabase } from '../../test/support/test-database.js';
import { loadConfig } from '../lib/config/index.js';
import { createDataSource } from '../lib/store/index.js';
import { PUBLISHED_TOP1 } from '../lib/store/migrations/1795600000000-accuracies-and-uploads.js';
import type { AblationTable } from './ablation-table.service.js';
import type { Comparison } from './comparison.service.js';
import type { DeviceHistory } from './device-history.service.js';
import type { LayerDeltas } from './layer-delta.service.js';
import { startQuery } from './main.js';
import { openApiDocument } from './openapi.document.js';
import { QUERY_CONTROLLERS } from './query.module.js';
import type { Pareto, Reward } from './model-selection.service.js';
import type { ModelAcrossDevices } from './model.service.js';
import type { RunLayers } from './run.service.js';

const MS = 1e6;
const API_KEY = 'query-spec-key-0123456789';

/**
 * The attribution a current agent reports for the seeded timings: every layer 10 µs kernel + 2 µs
 * overhead, the ReorderOutput node (unattributed) 3 µs + 0.5 µs, 7 µs of session.
 */
function reportWithOverhead(m: SeededModel) {
  type Row = { key: string; kernel: number; overhead: number; nodes: number };
  const tail: Row[] = [
    { key: '', kernel: 3_000, overhead: 500, nodes: 1 },
    { key: '(session)', kernel: 0, overhead: 7_000, nodes: 0 },
  ];
  const byKey = (keyOf: (l: SeededModel['layers'][number]) => string) => {
    const rows = new Map<string, Row>();
    for (const l of m.layers) {
      const r = rows.get(keyOf(l)) ?? { key: keyOf(l), kernel: 0, overhead: 0, nodes: 0 };
      rows.set(r.key, { ...r, kernel: r.kernel + 10_000, overhead: r.overhead + 2_000, nodes: r.nodes + 1 });
    }
    return [...rows.values(), ...tail];
  };
  const layers = byKey((l) => l.name);
  const kernelSum = layers.reduce((a, r) => a + r.kernel, 0);
  const totalSum = layers.reduce((a, r) => a + r.kernel + r.overhead, 0);
  const table = (rows: Row[]) =>
    rows.map((r) => ({
      key: r.key,
      kernelMedianNs: r.kernel,
      overheadMedianNs: r.overhead,
      totalMedianNs: r.kernel + r.overhead,
      share: r.kernel / kernelSum,
      totalShare: (r.kernel + r.overhead) / totalSum,
      nodes: r.nodes,
    }));
  return {
    source: 'lineage',
    unattributedShare: 3_000 / kernelSum,
    layerSumToProfiledMedian: 0.81,
    layerSumToProfileRunMedian: 0.86,
    layerSumToTimedMedian: 0.82,
    layerSumWithOverheadToProfiledMedian: 0.97,
    layerSumWithOverheadToProfileRunMedian: 1,
    layerSumWithOverheadToTimedMedian: 0.99,
    profileRunMedianNs: totalSum,
    accountedRunMedianNs: totalSum,
    sessionOverheadMedianNs: 7_000,
    byLayer: table(layers),
    byBlock: table(byKey((l) => l.block)),
    byOpType: table(byKey(() => 'Conv')),
  };
}

describe('query HTTP API', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let app: INestApplication;
  let base: string;
  const ids = { study: '', variants: {} as Record<string, string>, vmA: '', vmB: '', phone: '', runWithOverhead: '', runKernelOnly: '', flaggedRun: '' };
  const models = {} as Record<'paper' | 'relu' | 'hswish' | 'v2', SeededModel>;

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      text,
      body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined,
    };
  };
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, { poolSize: 4 });
    await ds.initialize();
    const vmA = await insertDevice(ds, { name: 'vm-a' });
    const vmB = await insertDevice(ds, { name: 'vm-b' });
    const vmC = await insertDevice(ds, { name: 'vm-c', online: false });
    const phone = await insertDevice(ds, { name: 'phone-x', deviceClass: 'phone', online: false });
    Object.assign(ids, { vmA: vmA.id, vmB: vmB.id, phone: phone.id });
    models.paper = await insertModel(ds, 'mobilenetv3-small-0.75');
    models.relu = await insertModel(ds, 'mobilenetv3-small-0.75+act=relu');
    models.hswish = await insertModel(ds, 'mobilenetv3-small-0.75+act=hswish');
    models.v2 = await insertModel(ds, 'mobilenetv2-0.35');
    const study = await insertStudy(ds, {
      name: 'activations',
      baseline: 'paper',
      variants: [
        { label: 'relu', model: models.relu },
        { label: 'paper', model: models.paper },
        { label: 'hswish', model: models.hswish },
      ],
    });
    ids.study = study.id;
    ids.variants = study.variantIds;
    // vm-a: four rounds; the host runs 5% slower in round 1 and 3% faster in round 2, for every variant of the round. relu is 10%
    // faster; hswish differs from the paper only by session noise (±0.1%) and spends +5 µs in every h-swish layer; hswish's run of
    // round 3 is flagged busy-cpu (20% slow).
    const timing = (m: SeededModel, extraHswish: number, slow = 1) => [
      ...layerTimings(m.layers, 5, (l) => 10_000 * slow + (l.activation === 'hswish' ? extraHswish : 0)),
      ...Array.from({ length: 5 }, (_, iteration) => ({ iteration, nodeName: 'ReorderOutput_1', opType: 'ReorderOutput', layer: '', durationNs: 3_000 })),
    ];
    type Label = 'relu' | 'paper' | 'hswish';
    const run = (label: Label, deviceId: string, centerNs: number, o: { round?: number | null; extra?: number; flags?: string[]; slow?: number; timed?: boolean } = {}) =>
      insertRun(ds, {
        studyId: study.id,
        variantId: study.variantIds[label]!,
        deviceId,
        model: models[label],
        latenciesNs: latencies(centerNs),
        round: o.round ?? null,
        flags: o.flags,
        timings: o.timed === false ? undefined : timing(models[label], o.extra ?? 0, o.slow),
      });
    const HOST = [1, 1.05, 0.97, 1];
    const NOISE = [0.999, 1.001, 0.9995];
    for (const [round, host] of HOST.entries()) {
      const paper = await run('paper', vmA.id, 4 * MS * host, { round });
      const relu = await run('relu', vmA.id, 3.6 * MS * host, { round });
      if (round === 0) Object.assign(ids, { runWithOverhead: paper, runKernelOnly: relu });
      if (round < 3) await run('hswish', vmA.id, 4 * MS * host * NOISE[round]!, { round, extra: 5_000 });
      else ids.flaggedRun = await run('hswish', vmA.id, 5 * MS * host, { round, extra: 5_000, flags: ['busy-cpu'], slow: 1.2 });
    }
    await ds.query(`UPDATE runs SET report = $2 WHERE id = $1`, [ids.runWithOverhead, JSON.stringify({ attribution: reportWithOverhead(models.paper) })]);
    // as a current agent uploads them: every node row with its executor overhead (the report's figures)
    await ds.query(`UPDATE layer_timings SET overhead_ns = CASE WHEN layer = '' THEN 500 ELSE 2000 END WHERE run_id = $1`, [ids.runWithOverhead]);
    await ds.query(`UPDATE runs SET report = $2 WHERE id = $1`, [
      ids.runKernelOnly,
      JSON.stringify({ attribution: { source: 'names', unattributedShare: 0.01, layerSumToProfiledMedian: 0.9, layerSumToProfileRunMedian: null, layerSumToTimedMedian: 0.95 } }),
    ]);
    // As a current agent reports an interleaved round: host-slow is advice only (it acts on every variant of the round alike),
    // busy-cpu flagged the run; a clean run may carry advice too.
    await ds.query(`UPDATE runs SET report = jsonb_set(report, '{quality,flags}', '["busy-cpu", "host-slow"]') || '{"flaggedBy": ["busy-cpu"]}' WHERE id = $1`, [ids.flaggedRun]);
    await ds.query(
      `UPDATE runs SET report = '{"flagged": false, "flaggedBy": [], "quality": {"flags": ["host-slow"]}}' WHERE job_id IN (SELECT id FROM jobs WHERE round = 1) AND variant_id = $1 AND device_id = $2`,
      [study.variantIds['relu'], vmA.id],
    );
    // vm-b: three runs each stored before rounds existed (independent replicates); hswish 10% slower.
    for (const f of [1, 1.02, 0.99]) {
      await run('paper', vmB.id, 8 * MS * f);
      await run('relu', vmB.id, 7.2 * MS * f);
      await run('hswish', vmB.id, 8.8 * MS * f);
    }
    // vm-c (offline now): three rounds; every hswish run was flagged busy.
    for (const round of [0, 1, 2]) {
      await run('paper', vmC.id, 6 * MS, { round, timed: false });
      await run('relu', vmC.id, 5.4 * MS, { round, timed: false });
      await run('hswish', vmC.id, 6 * MS, { round, timed: false, flags: ['busy-system'] });
    }
    // Device history on vm-a: mobilenetv2-0.35 gets 10% slower with runtime 1.31.0 (three runs each); the paper model stays put.
    const other = await insertStudy(ds, { name: 'history', baseline: 'v2', variants: [{ label: 'v2', model: models.v2 }], status: 'running' });
    const at = (minutes: number) => new Date(Date.now() - (60 - minutes) * 60_000);
    for (const [minute, runtime, center] of [
      [0, '1.29.0', 5],
      [5, '1.29.0', 5.01],
      [10, '1.29.0', 4.99],
      [30, '1.31.0', 5.52],
      [40, '1.31.0', 5.49],
      [50, '1.31.0', 5.5],
    ] as const) {
      await insertRun(ds, {
        studyId: other.id,
        variantId: other.variantIds['v2']!,
        deviceId: vmA.id,
        model: models.v2,
        latenciesNs: latencies(center * MS),
        environment: { runtimeVersion: runtime, agentVersion: '0.1.0' },
        createdAt: at(minute),
      });
    }
    const port = await freePort();
    app = await startQuery(
      loadConfig({ DATABASE_URL: db.url, LATFLEET_HTTP_PORT: String(port), LATFLEET_LOG_LEVEL: 'error', LATFLEET_HEARTBEAT_MS: '60000', LATFLEET_API_KEYS: API_KEY }),
    );
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app?.close();
    await ds?.destroy();
    await db?.drop();
  });

  /** Every run of the study as Postgres holds it: its round, flags, sorted latencies and their percentile_cont median. */
  async function storedRuns(): Promise<
    Array<{ id: string; label: string; device: string; round: number | null; flagged: boolean; flags: string[]; median: number; sorted: number[] }>
  > {
    const rows: Array<{ id: string; label: string; device: string; round: number | null; flagged: boolean; flags: string[]; median: number; sorted: string[] }> = await ds.query(
      `SELECT r.id, v.label, d.name AS device, r.round, r.flagged,
              ARRAY(SELECT jsonb_array_elements_text(coalesce(r.report -> 'flaggedBy', r.report -> 'quality' -> 'flags', '[]'))) AS flags,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY l.latency_ns) AS median, array_agg(l.latency_ns ORDER BY l.latency_ns) AS sorted
         FROM runs r JOIN run_latencies l ON l.run_id = r.id JOIN variants v ON v.id = r.variant_id JOIN devices d ON d.id = r.device_id
        WHERE r.study_id = $1 GROUP BY r.id, v.label, d.name ORDER BY r.id`,
      [ids.study],
    );
    return rows.map((r) => ({ ...r, median: Number(r.median), sorted: r.sorted.map(Number) }));
  }
  const medianOf = (xs: number[]) =>
    percentileCont(
      [...xs].sort((a, b) => a - b),
      0.5,
    );

  describe('GET /api/v1/studies/{id}/comparison', () => {
    it('takes each stored run as a replicate: the median of the clean runs’ medians, their p90s, a CI, the runs and the flagged ones', async () => {
      const { status, body } = await get(`/api/v1/studies/${ids.study}/comparison`);
      const c = body as Comparison;
      const runs = await storedRuns();

      expect(status).toBe(200);
      expect(c.rows.map((r) => `${r.device}/${r.variant}`)).toEqual([
        'vm-a/relu',
        'vm-a/paper',
        'vm-a/hswish',
        'vm-b/relu',
        'vm-b/paper',
        'vm-b/hswish',
        'vm-c/relu',
        'vm-c/paper',
        'vm-c/hswish',
      ]);
      const cleanRuns = (row: Comparison['rows'][number]) => runs.filter((r) => r.label === row.variant && r.device === row.device && !r.flagged);
      for (const row of c.rows) {
        const flagged = runs.filter((r) => r.label === row.variant && r.device === row.device && r.flagged);
        expect(row).toMatchObject({
          replicates: cleanRuns(row).length,
          flaggedReplicates: flagged.length,
          flags: [...new Set(flagged.flatMap((r) => r.flags))],
          samples: cleanRuns(row).reduce((a, r) => a + r.sorted.length, 0),
          runIds: cleanRuns(row).map((r) => r.id),
          flaggedRunIds: flagged.map((r) => r.id),
        });
      }
      const measured = c.rows.filter((r) => cleanRuns(r).length > 0);
      expect(measured).toHaveLength(8);
      for (const row of measured) {
        const clean = cleanRuns(row);
        expect(row.medianMs!).toBeCloseTo(medianOf(clean.map((r) => r.median)) / MS, 3);
        expect(row.p90Ms!).toBeCloseTo(medianOf(clean.map((r) => percentileCont(r.sorted, 0.9))) / MS, 3);
        expect(row.ciLowMs!).toBeLessThanOrEqual(row.medianMs!);
        expect(row.ciHighMs!).toBeGreaterThanOrEqual(row.medianMs!);
        expect(row.ciLowMs!).toBeLessThanOrEqual(Math.max(...clean.map((r) => r.median)) / MS);
      }
      // the host's speed changes between rounds: the latency's interval carries it
      const paperA = c.rows.find((r) => r.device === 'vm-a' && r.variant === 'paper')!;
      expect(paperA.ciHighMs! - paperA.ciLowMs!).toBeGreaterThan(0.1);
    });

    it('pairs each variant’s runs with the baseline’s by round on the device, and calls a difference only beyond the noise', async () => {
      const { body } = await get(`/api/v1/studies/${ids.study}/comparison`);
      const row = (device: string, variant: string) => (body as Comparison).rows.find((r) => r.device === device && r.variant === variant)!;
      const runs = (await storedRuns()).filter((r) => !r.flagged);
      const geometricRatio = (device: string, variant: string) => {
        const base = new Map(runs.filter((r) => r.device === device && r.label === 'paper').map((r) => [r.round, r.median]));
        const logs = runs.filter((r) => r.device === device && r.label === variant && base.has(r.round)).map((r) => Math.log(r.median / base.get(r.round)!));
        return { rounds: logs.length, pct: (Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length) - 1) * 100 };
      };

      expect(row('vm-a', 'paper')).toMatchObject({ baseline: true, deltaMs: 0, deltaPct: 0, verdict: null, significant: null, rounds: null });
      expect(row('vm-a', 'relu')).toMatchObject({ verdict: 'faster', significant: true, deltaPct: -10, design: 'paired', rounds: 4, verdictReason: null });
      expect(row('vm-a', 'relu').deltaCiHighMs).toBeLessThan(0);
      expect(row('vm-a', 'relu').deltaCiHighPct).toBeLessThan(0);
      expect(row('vm-a', 'relu')).toMatchObject({ replicates: 4, flaggedReplicates: 0, flags: [] });
      expect(row('vm-a', 'hswish')).toMatchObject({ verdict: 'within noise', significant: false, design: 'paired', rounds: 3, flaggedReplicates: 1, flags: ['busy-cpu'] });
      expect(row('vm-a', 'hswish').deltaPct).toBeCloseTo(geometricRatio('vm-a', 'hswish').pct, 2);
      expect(row('vm-a', 'hswish').rounds).toBe(geometricRatio('vm-a', 'hswish').rounds);
      expect(row('vm-a', 'hswish').deltaCiLowPct).toBeLessThanOrEqual(0);
      expect(row('vm-a', 'hswish').deltaCiHighPct).toBeGreaterThanOrEqual(0);
      // 3 rounds: the resolution is about t(0.975, 2) × the 0.3% between-study floor, the rounds' ±0.1% adding little
      expect(row('vm-a', 'hswish').mdePct).toBeGreaterThan(1.29);
      expect(row('vm-a', 'hswish').mdePct).toBeLessThan(1.5);
      expect(row('vm-b', 'hswish')).toMatchObject({ verdict: 'slower', significant: true, deltaPct: 10, design: 'unpaired', rounds: 3 });
      expect(row('vm-b', 'hswish').pValue).toBeLessThan(0.05);
      expect(row('vm-c', 'relu')).toMatchObject({ verdict: 'faster', deltaPct: -10, rounds: 3 });
      expect(row('vm-c', 'hswish')).toMatchObject({
        medianMs: null,
        ciLowMs: null,
        replicates: 0,
        flaggedReplicates: 3,
        flags: ['busy-system'],
        deltaPct: null,
        verdict: 'undecided',
        verdictReason: 'no clean replicate: 3 flagged (busy-system)',
      });
      expect((body as Comparison).noiseTest).toMatch(
        /^paired rounds: t interval of the log ratio of run medians, widened by the device's between-study component, excludes 0 \(95%\); fewer than 3 rounds: undecided/,
      );
    });

    it('keeps the flagged runs with include=flagged, still counting them', async () => {
      const { body } = await get(`/api/v1/studies/${ids.study}/comparison?include=flagged`);
      const c = body as Comparison;
      const row = (device: string) => c.rows.find((r) => r.device === device && r.variant === 'hswish')!;

      expect(c.includeFlagged).toBe(true);
      expect(row('vm-a')).toMatchObject({ replicates: 4, rounds: 4, flaggedReplicates: 1, flags: ['busy-cpu'] });
      expect(row('vm-a').runIds).toContain(ids.flaggedRun);
      expect(row('vm-c')).toMatchObject({ medianMs: 6, replicates: 3, flaggedReplicates: 3, verdict: 'within noise', verdictReason: null });
      expect(await get(`/api/v1/studies/${ids.study}/comparison?include=everything`)).toMatchObject({ status: 400, body: { error: { field: 'include' } } });
    });

    it('answers with the fields the OpenAPI document declares', async () => {
      const doc = (await get('/api/docs/openapi.json')).body as { components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
      const declared = (name: string) => Object.keys(doc.components.schemas[name]!.properties).sort();
      const c = (await get(`/api/v1/studies/${ids.study}/comparison`)).body as Comparison;

      expect(Object.keys(c).sort()).toEqual(declared('Comparison'));
      for (const r of c.rows) expect(Object.keys(r).sort()).toEqual(declared('ComparisonRow'));
    });

    it('puts MAdds, params and the registry’s top-1 beside the latency', async () => {
      const { body } = await get(`/api/v1/studies/${ids.study}/comparison?device=vm-a`);
      const paper = (body as Comparison).rows.find((r) => r.variant === 'paper')!;

      expect(paper).toMatchObject({ madds: models.paper.madds, params: models.paper.params, top1: 65.4, model: 'mobilenetv3-small-0.75' });
      expect(paper.top1Source).toBe('Howard et al. 2019, "Searching for MobileNetV3" (ICCV 2019), Table 3');
      expect((body as Comparison).rows.every((r) => r.device === 'vm-a')).toBe(true);
    });

    it('rejects an unknown device or parameter naming the field, and an unknown study with 404', async () => {
      expect(await get(`/api/v1/studies/${ids.study}/comparison?device=nope`)).toMatchObject({ status: 400, body: { error: { field: 'device' } } });
      expect(await get(`/api/v1/studies/${ids.study}/comparison?colour=blue`)).toMatchObject({ status: 400, body: { error: { field: 'colour' } } });
      expect(await get(`/api/v1/studies/1b4e28ba-2fa1-11d2-883f-0016d3cca427/comparison`)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    });
  });

  describe('GET /api/v1/studies/{id}/table', () => {
    it('is shaped like a paper’s ablation table: one row per variant, latency per device', async () => {
      const { body } = await get(`/api/v1/studies/${ids.study}/table`);
      const t = body as AblationTable;

      expect(t.devices.map((d) => d.name)).toEqual(['vm-a', 'vm-b', 'vm-c']);
      expect(t.rows.map((r) => r.variant)).toEqual(['relu', 'paper', 'hswish']);
      expect(t.rows[0]!.latency.map((c) => c?.deltaPct)).toEqual([-10, -10, -10]);
      expect(t.rows[1]).toMatchObject({ baseline: true, top1: 65.4, madds: models.paper.madds });
      expect(t.rows[2]!.latency[2]).toMatchObject({ medianMs: null, verdict: 'undecided', flaggedReplicates: 3, flags: ['busy-system'] });
    });

    it('comes as CSV with one column per device and figure', async () => {
      const { status, type, text } = await get(`/api/v1/studies/${ids.study}/table?format=csv&device=vm-b`);
      const [header, ...lines] = text.trimEnd().split('\r\n');

      expect(status).toBe(200);
      expect(type).toMatch(/^text\/csv/);
      expect(header).toBe(
        'variant,baseline,model,madds,params,top1,median_ms[vm-b],ci_low_ms[vm-b],ci_high_ms[vm-b],delta_ms[vm-b],delta_pct[vm-b],delta_ci_low_pct[vm-b],' +
          'delta_ci_high_pct[vm-b],mde_pct[vm-b],verdict[vm-b],verdict_reason[vm-b],replicates[vm-b],rounds[vm-b],flagged_replicates[vm-b],flags[vm-b],samples[vm-b]',
      );
      expect(lines).toHaveLength(3);
      expect(lines[2]).toMatch(/^hswish,false,mobilenetv3-small-0\.75\+act=hswish,\d+,\d+,,8\.8,[\d.]+,[\d.]+,0\.8,10,[\d.]+,[\d.]+,[\d.]+,slower,,3,3,0,,180$/);
    });
  });

  describe('GET /api/v1/studies/{id}/layer-deltas', () => {
    it('attributes the extra time to the blocks, ops and layers that have h-swish, pairing the runs by round', async () => {
      const { status, body } = await get(`/api/v1/studies/${ids.study}/layer-deltas?variant=hswish&device=vm-a`);
      const d = body as LayerDeltas;
      const hswish = models.hswish.layers.filter((l) => l.activation === 'hswish');
      const count = (pred: (l: (typeof hswish)[number]) => boolean) => hswish.filter(pred).length;

      expect(status).toBe(200);
      expect(d).toMatchObject({
        device: { name: 'vm-a' },
        includeFlagged: false,
        baseline: { label: 'paper', profiledIterations: 20, replicates: 4, flaggedReplicates: 0 },
        variant: { label: 'hswish', profiledIterations: 15, replicates: 3, flaggedReplicates: 1, flags: ['busy-cpu'], flaggedRunIds: [ids.flaggedRun] },
      });
      for (const g of d.groups.block) {
        const n = g.key === '(unattributed)' ? 0 : count((l) => l.block === g.key);
        expect(g.deltaMs).toBeCloseTo((n * 5_000) / MS, 6);
        expect(g).toMatchObject({ rounds: 3, verdict: n ? 'slower' : 'within noise' });
        expect(g.pAdjusted!).toBeGreaterThanOrEqual(g.pValue!);
      }
      expect(d.groups.block.map((g) => g.key)).toEqual([...new Set(models.paper.layers.map((l) => l.block)), '(unattributed)']);
      for (const g of d.groups.op.filter((x) => x.key !== '(unattributed)')) expect(g.deltaMs).toBeCloseTo((count((l) => l.op === g.key) * 5_000) / MS, 6);
      const unchanged = models.hswish.layers.find((l) => l.activation !== 'hswish')!.name;
      expect(d.groups.layer.find((g) => g.key === unchanged)).toMatchObject({ baselineMs: 0.01, variantMs: 0.01, deltaMs: 0, verdict: 'within noise' });
      expect(d.groups.layer.find((g) => g.key === 'stem')).toMatchObject({ baselineMs: 0.01, variantMs: 0.015, deltaMs: 0.005, deltaPct: 50 });
      expect(d.groups.runtimeOp.find((g) => g.key === 'ReorderOutput')).toMatchObject({ deltaMs: 0 });
      expect(d.profiledKernel.deltaMs).toBeCloseTo((hswish.length * 5_000) / MS, 6);
      expect(d.note).toContain('Benjamini–Hochberg within each grouping');
    });

    it('gives the end-to-end difference as the comparison does', async () => {
      const d = (await get(`/api/v1/studies/${ids.study}/layer-deltas?variant=hswish&device=vm-a`)).body as LayerDeltas;
      const c = (await get(`/api/v1/studies/${ids.study}/comparison?device=vm-a`)).body as Comparison;
      const row = (variant: string) => c.rows.find((r) => r.variant === variant)!;

      expect(d.endToEnd).toMatchObject({
        baselineMs: row('paper').medianMs,
        variantMs: row('hswish').medianMs,
        deltaPct: row('hswish').deltaPct,
        mdePct: row('hswish').mdePct,
        verdict: 'within noise',
        rounds: 3,
        design: 'paired',
      });
    });

    it('answers with the fields the OpenAPI document declares', async () => {
      const doc = (await get('/api/docs/openapi.json')).body as { components: { schemas: Record<string, { properties: Record<string, { properties?: object }> }> } };
      const declared = (name: string, field?: string) =>
        Object.keys(field ? doc.components.schemas[name]!.properties[field]!.properties! : doc.components.schemas[name]!.properties).sort();
      const d = (await get(`/api/v1/studies/${ids.study}/layer-deltas?variant=hswish&device=vm-a`)).body as LayerDeltas;

      expect(Object.keys(d).sort()).toEqual(declared('LayerDeltas'));
      expect(Object.keys(d.groups.block[0]!).sort()).toEqual(declared('GroupDelta'));
      for (const field of ['variant', 'endToEnd', 'profiledKernel'] as const) expect(Object.keys(d[field]).sort()).toEqual(declared('LayerDeltas', field));
    });

    it('keeps the flagged run with include=flagged', async () => {
      const d = (await get(`/api/v1/studies/${ids.study}/layer-deltas?variant=hswish&device=vm-a&include=flagged`)).body as LayerDeltas;

      expect(d).toMatchObject({ includeFlagged: true, variant: { replicates: 4, flaggedReplicates: 1, profiledIterations: 20 }, endToEnd: { rounds: 4 } });
      expect(d.groups.layer.every((g) => g.rounds === 4)).toBe(true);
    });

    it('needs a device when the variants ran on several, and names the missing variant', async () => {
      expect(await get(`/api/v1/studies/${ids.study}/layer-deltas?variant=hswish`)).toMatchObject({ status: 400, body: { error: { field: 'device' } } });
      expect(await get(`/api/v1/studies/${ids.study}/layer-deltas?variant=gelu&device=vm-a`)).toMatchObject({ status: 400, body: { error: { field: 'variant' } } });
      expect(await get(`/api/v1/studies/${ids.study}/layer-deltas?device=vm-a`)).toMatchObject({ status: 400, body: { error: { field: 'variant' } } });
      expect(await get(`/api/v1/studies/${ids.study}/layer-deltas?variant=hswish&device=phone-x`)).toMatchObject({ status: 400, body: { error: { field: 'device' } } });
    });
  });

  describe('GET /api/v1/runs/{id} and /latencies', () => {
    it('gives the run as stored: where, when, its round, statistics, quality flags, attempts and report', async () => {
      const { status, body } = await get(`/api/v1/runs/${ids.flaggedRun}`);
      const [row] = await ds.query(`SELECT r.job_id, r.round, r.median_ns, r.p90_ns, r.timed_runs, r.started_at, r.report FROM runs r WHERE r.id = $1`, [ids.flaggedRun]);

      expect(status).toBe(200);
      expect(body).toMatchObject({
        id: ids.flaggedRun,
        studyId: ids.study,
        study: 'activations',
        variant: 'hswish',
        variantId: ids.variants['hswish'],
        model: models.hswish.name,
        modelSha256: models.hswish.sha256,
        device: 'vm-a',
        deviceId: ids.vmA,
        jobId: row.job_id,
        attempt: 1,
        round: 3,
        startedAt: row.started_at.toISOString(),
        flagged: true,
        flags: ['busy-cpu', 'host-slow'],
        flaggedBy: ['busy-cpu'],
        statistics: { medianNs: Number(row.median_ns), p90Ns: Number(row.p90_ns), timedRuns: row.timed_runs, stdNs: null },
        protocol: { timedRuns: 60 },
        environment: { runtimeVersion: '1.30.0' },
        report: row.report,
      });
      expect(body.attempts).toEqual(
        row.report.attempts.map((a: { attempt: number; startedAt: string; finishedAt: string }) => ({
          attempt: a.attempt,
          flags: ['busy-cpu'],
          startedAt: a.startedAt,
          finishedAt: a.finishedAt,
        })),
      );
      expect(body.attempts).toHaveLength(2);
    });

    it('shows the advice a clean run carries apart from the flags that would exclude it', async () => {
      const [clean] = await ds.query(`SELECT id FROM runs WHERE report -> 'flaggedBy' = '[]'::jsonb`);
      expect((await get(`/api/v1/runs/${clean.id}`)).body).toMatchObject({ variant: 'relu', round: 1, flagged: false, flags: ['host-slow'], flaggedBy: [] });
    });

    it('answers with the fields the OpenAPI document declares', async () => {
      const doc = (await get('/api/docs/openapi.json')).body as { components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
      const declared = (name: string) => Object.keys(doc.components.schemas[name]!.properties).sort();
      const run = (await get(`/api/v1/runs/${ids.runWithOverhead}`)).body;
      const listed = (await get(`/api/v1/runs?study=${ids.study}&limit=1`)).body.items[0];

      expect(Object.keys(run).sort()).toEqual(declared('Run'));
      expect(Object.keys(listed).sort()).toEqual(declared('RunSummary'));
      expect(Object.keys(run.statistics).sort()).toEqual(Object.keys((doc.components.schemas['Run']!.properties['statistics'] as { properties: object }).properties).sort());
      expect(run).toMatchObject({ round: 0, flagged: false, flags: [], attempts: [] });
    });

    it('gives the raw timed latencies in iteration order, as JSON or CSV', async () => {
      const stored: Array<{ iteration: number; latency_ns: string }> = await ds.query(`SELECT iteration, latency_ns FROM run_latencies WHERE run_id = $1 ORDER BY iteration`, [
        ids.flaggedRun,
      ]);
      const json = await get(`/api/v1/runs/${ids.flaggedRun}/latencies`);
      const csv = await get(`/api/v1/runs/${ids.flaggedRun}/latencies?format=csv`);

      expect(stored).toHaveLength(60);
      expect(json.body).toEqual({ runId: ids.flaggedRun, latencies: stored.map((r) => ({ iteration: r.iteration, latencyNs: Number(r.latency_ns) })) });
      expect(csv.type).toMatch(/^text\/csv/);
      expect(csv.text).toBe(['iteration,latency_ns', ...stored.map((r) => `${r.iteration},${r.latency_ns}`)].join('\r\n') + '\r\n');
      expect(await get(`/api/v1/runs/${ids.flaggedRun}/latencies?format=xml`)).toMatchObject({ status: 400, body: { error: { field: 'format' } } });
    });

    it('answers 404 for an unknown run', async () => {
      for (const path of ['', '/latencies']) {
        expect(await get(`/api/v1/runs/1b4e28ba-2fa1-11d2-883f-0016d3cca427${path}`)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
        expect(await get(`/api/v1/runs/not-a-run${path}`)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
      }
    });
  });

  describe('GET /api/v1/runs/{id}/layers', () => {
    it('puts each layer’s executor overhead and total beside its stored kernel time, with the session as its own row', async () => {
      const { status, body } = await get(`/api/v1/runs/${ids.runWithOverhead}/layers`);
      const l = body as RunLayers;
      const truth: Array<{ layer: string; median: string }> = await ds.query(
        `SELECT layer, percentile_cont(0.5) WITHIN GROUP (ORDER BY ns) AS median
           FROM (SELECT layer, iteration, sum(duration_ns) AS ns FROM layer_timings WHERE run_id = $1 GROUP BY layer, iteration) x GROUP BY layer`,
        [ids.runWithOverhead],
      );

      expect(status).toBe(200);
      expect(l.layers).toHaveLength(truth.length);
      for (const t of truth) expect(l.layers.find((r) => r.layer === (t.layer || '(unattributed)'))?.medianMs).toBeCloseTo(Number(t.median) / MS, 6);
      expect(l.layers.map((r) => r.layer)).toEqual([...models.paper.layers.map((x) => x.name), '(unattributed)']);
      expect(l.layers[0]).toMatchObject({ layer: 'stem', medianMs: 0.01, overheadMs: 0.002, totalMs: 0.012 });
      expect(l.layers.at(-1)).toMatchObject({ medianMs: 0.003, overheadMs: 0.0005, totalMs: 0.0035 });
      expect(l.session).toMatchObject({ key: '(session)', kernelMs: 0, overheadMs: 0.007, totalMs: 0.007 });
      expect(l.layers.reduce((a, r) => a + r.totalShare!, 0) + l.session!.totalShare).toBeCloseTo(1, 2);
      expect(l.layerSumWithOverheadMs).toBeCloseTo(l.modelRunMedianMs!, 6);
      // the sums over the run's end-to-end medians, as stored
      const n = models.paper.layers.length;
      const [r] = await ds.query(`SELECT median_ns::float8 AS timed, profiled_median_ns::float8 AS profiled FROM runs WHERE id = $1`, [ids.runWithOverhead]);
      const kernel = n * 10_000 + 3_000;
      const total = n * 12_000 + 3_500 + 7_000;
      const r3 = (x: number) => Math.round(x * 1e3) / 1e3;
      expect(l.ratios).toEqual({
        kernel: { toProfiledMedian: r3(kernel / r.profiled), toModelRunMedian: r3(kernel / total), toTimedMedian: r3(kernel / r.timed) },
        withOverhead: { toProfiledMedian: r3(total / r.profiled), toModelRunMedian: 1, toTimedMedian: r3(total / r.timed) },
      });
      expect(l.blocks?.map((g) => g.key)).toEqual([...new Set(models.paper.layers.map((x) => x.block)), '(unattributed)']);
      expect(l.blocks?.[0]).toMatchObject({ key: 'stem', kernelMs: 0.01, overheadMs: 0.002, totalMs: 0.012, nodes: 1 });
      const ops: Array<{ op: string; nodes: number }> = await ds.query(
        `SELECT op_type AS op, count(DISTINCT node_name)::int AS nodes FROM layer_timings WHERE run_id = $1 GROUP BY 1`,
        [ids.runWithOverhead],
      );
      expect(l.opTypes?.map((g) => [g.key, g.nodes]).sort()).toEqual(ops.map((o) => [o.op, o.nodes]).sort());
      expect(l.opTypes?.[0]).toMatchObject({ key: 'Conv', overheadMs: ops.find((o) => o.op === 'Conv')!.nodes * 0.002 });
      expect(l.opTypes?.find((g) => g.key === 'ReorderOutput')).toMatchObject({ kernelMs: 0.003, overheadMs: 0.0005 });
      expect(l.attributionSource).toBe('lineage');
    });

    it('shows runs stored before executor overhead with kernel time only', async () => {
      const cases = [
        [ids.runKernelOnly, 'names'],
        [await anyRunWithoutReport(), null],
      ] as const;
      for (const [runId, source] of cases) {
        const { status, body } = await get(`/api/v1/runs/${runId}/layers`);
        const l = body as RunLayers;
        const [r] = await ds.query(
          `SELECT median_ns::float8 AS timed, profiled_median_ns::float8 AS profiled,
                  (SELECT sum(ns) FROM (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ns) AS ns
                     FROM (SELECT layer, iteration, sum(duration_ns) AS ns FROM layer_timings WHERE run_id = $1 GROUP BY 1, 2) x GROUP BY layer) y) AS kernel
             FROM runs WHERE id = $1`,
          [runId],
        );
        const r3 = (x: number) => Math.round(x * 1e3) / 1e3;
        const kernel = { toProfiledMedian: r3(r.kernel / r.profiled), toModelRunMedian: null, toTimedMedian: r3(r.kernel / r.timed) };

        expect(status).toBe(200);
        expect(l.layers.length).toBeGreaterThan(1);
        expect(l.layers.every((r) => r.overheadMs === null && r.totalMs === null && r.totalShare === null)).toBe(true);
        expect(l.layers.reduce((a, r) => a + r.share, 0)).toBeCloseTo(1, 2);
        expect(l).toMatchObject({ attributionSource: source, session: null, blocks: null, opTypes: null, layerSumWithOverheadMs: null, modelRunMedianMs: null });
        expect(l.ratios.withOverhead).toEqual({ toProfiledMedian: null, toModelRunMedian: null, toTimedMedian: null });
        expect(l.ratios.kernel).toEqual(kernel);
      }
    });

    it('answers with the fields the OpenAPI document declares', async () => {
      const doc = (await get('/api/docs/openapi.json')).body as { components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
      const declared = (name: string) => Object.keys(doc.components.schemas[name]!.properties).sort();
      const l = (await get(`/api/v1/runs/${ids.runWithOverhead}/layers`)).body as RunLayers;

      expect(Object.keys(l).sort()).toEqual(declared('RunLayers'));
      expect(Object.keys(l.layers[0]!).sort()).toEqual(declared('LayerRow'));
      expect(Object.keys(l.session!).sort()).toEqual(declared('AttributedGroupRow'));
      expect(Object.keys(l.ratios.kernel).sort()).toEqual(declared('LayerSumRatios'));
    });

    it('answers 404 for an unknown run', async () => {
      expect(await get(`/api/v1/runs/1b4e28ba-2fa1-11d2-883f-0016d3cca427/layers`)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    });

    async function anyRunWithoutReport(): Promise<string> {
      const [r] = await ds.query(`SELECT r.id FROM runs r WHERE r.report = '{}'::jsonb AND r.layer_rows > 0 LIMIT 1`);
      return r.id;
    }
  });

  describe('accuracy registry, reward and Pareto front', () => {
    it('is preloaded with the published top-1 and their source: paper and table', async () => {
      const { body } = await get('/api/v1/accuracies?model=efficientnet-b0');
      expect(body).toMatchObject({ total: 1, items: [{ model: 'efficientnet-b0', top1: 76.3, variantId: null, published: true }] });
      expect(body.items[0].source).toBe('Tan and Le 2019, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks" (ICML 2019), Table 2');
      expect(new Date(body.items[0].createdAt).getUTCFullYear()).toBeGreaterThan(1970);
      expect((await get('/api/v1/accuracies?limit=500')).body.total).toBe(PUBLISHED_TOP1.length);
    });

    it('takes accuracies only with an API key', async () => {
      const res = await fetch(`${base}/api/v1/accuracies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mnasnet', top1: 1, source: 'x' }),
      });
      expect(res.status).toBe(401);
      expect((await get('/api/v1/accuracies?model=mnasnet-a1')).body.total).toBe(1);
    });

    it('takes accuracies for a variant or a model, and validates them naming the field', async () => {
      const byVariant = await post('/api/v1/accuracies', { variantId: ids.variants['relu'], top1: 64.0, source: 'our training run 17' });
      const byModel = await post('/api/v1/accuracies', { model: 'mobilenetv3-small-0.75+act=hswish', top1: 65.6, source: 'our training run 18' });

      expect(byVariant).toMatchObject({ status: 201, body: { variantId: ids.variants['relu'], model: null, top1: 64 } });
      expect(byModel).toMatchObject({ status: 201, body: { model: 'mobilenetv3-small-0.75+act=hswish', dataset: 'imagenet-1k' } });
      expect(await post('/api/v1/accuracies', { top1: 70, source: 'x' })).toMatchObject({ status: 400, body: { error: { field: 'model' } } });
      expect(await post('/api/v1/accuracies', { model: 'mnasnet', variantId: ids.variants['relu'], top1: 70, source: 'x' })).toMatchObject({ status: 400 });
      expect(await post('/api/v1/accuracies', { model: 'mnasnet', top1: 170, source: 'x' })).toMatchObject({ status: 400, body: { error: { field: 'top1' } } });
      expect(await post('/api/v1/accuracies', { model: 'resnet-50', top1: 76, source: 'x' })).toMatchObject({ status: 400, body: { error: { field: 'model' } } });
      expect(await post('/api/v1/accuracies', { variantId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', top1: 70, source: 'x' })).toMatchObject({ status: 404 });
      const alias = await post('/api/v1/accuracies', { model: 'mnasnet', top1: 75.3, source: 'x' });
      expect(alias.body.model).toBe('mnasnet-a1');
    });

    it('ranks by the MnasNet reward per device, soft or hard', async () => {
      const soft = (await get(`/api/v1/studies/${ids.study}/reward?target=3.8&device=vm-a`)).body as Reward;
      const hard = (await get(`/api/v1/studies/${ids.study}/reward?target=3.8&constraint=hard&device=vm-a`)).body as Reward;
      const expected = (top1: number, lat: number, a: number, b: number) => (top1 / 100) * (lat / 3.8) ** (lat <= 3.8 ? a : b);

      expect(soft).toMatchObject({ alpha: -0.07, beta: -0.07, targetMs: 3.8 });
      const rows = soft.devices[0]!.rows;
      expect(rows.map((r) => [r.rank, r.variant])).toEqual([
        [1, 'hswish'],
        [2, 'paper'],
        [3, 'relu'],
      ]);
      for (const r of rows) expect(r.reward).toBeCloseTo(expected(r.top1!, r.medianMs, -0.07, -0.07), 12);
      const hardRows = hard.devices[0]!.rows;
      expect(hardRows.map((r) => r.variant)).toEqual(['relu', 'hswish', 'paper']);
      expect(hardRows[0]).toMatchObject({ withinTarget: true, reward: 0.64 });
      expect(await get(`/api/v1/studies/${ids.study}/reward`)).toMatchObject({ status: 400, body: { error: { field: 'target' } } });
      expect(await get(`/api/v1/studies/${ids.study}/reward?target=-1`)).toMatchObject({ status: 400, body: { error: { field: 'target' } } });
    });

    it('gives the latency–accuracy and latency–MAdds fronts per device', async () => {
      const p = (await get(`/api/v1/studies/${ids.study}/pareto`)).body as Pareto;
      const vmA = p.devices.find((d) => d.device.name === 'vm-a')!;

      expect(vmA.accuracyFront).toEqual(['relu', 'hswish']);
      expect(vmA.maddsFront).toEqual(['relu']);
      // Activation variants have identical MAdds: MAdds cannot rank their latency at all.
      expect(vmA.maddsLatencyCorrelation).toBeNull();
      expect(p.devices.find((d) => d.device.name === 'vm-b')!.accuracyFront).toEqual(['relu', 'paper', 'hswish']);
    });
  });

  describe('across devices and versions', () => {
    it('shows one model side by side on every device that ran it, each run a replicate', async () => {
      const { body } = await get('/api/v1/models/mobilenetv3-small-0.75/devices');
      const m = body as ModelAcrossDevices;
      const paper = (await storedRuns()).filter((r) => r.label === 'paper');
      expect(m.devices.map((d) => [d.device.name, d.relativeToFastest, d.replicates, d.samples])).toEqual([
        ['vm-a', 1, 4, 240],
        ['vm-c', 1.5, 3, 180],
        ['vm-b', 2, 3, 180],
      ]);
      for (const d of m.devices) {
        expect(d.medianMs!).toBeCloseTo(medianOf(paper.filter((r) => r.device === d.device.name).map((r) => r.median)) / MS, 3);
        expect(d.ciLowMs!).toBeLessThan(d.ciHighMs!);
      }
      const hswish = (await get('/api/v1/models/mobilenetv3-small-0.75+act=hswish/devices')).body as ModelAcrossDevices;
      expect(hswish.devices.map((d) => [d.device.name, d.replicates, d.flaggedReplicates, d.flags])).toEqual([
        ['vm-a', 3, 1, ['busy-cpu']],
        ['vm-b', 3, 0, []],
        ['vm-c', 0, 3, ['busy-system']],
      ]);
      expect((await get(`/api/v1/models/${models.paper.sha256}/devices`)).body.devices).toHaveLength(3);
      expect(await get('/api/v1/models/resnet-50/devices')).toMatchObject({ status: 404 });
    });

    it('flags a version whose median is slower than the noise of its history', async () => {
      const { body } = await get(`/api/v1/devices/${ids.vmA}/history`);
      const h = body as DeviceHistory;
      const v2 = h.models.find((m) => m.model === 'mobilenetv2-0.35')!;

      expect(h.models[0]!.model).toBe('mobilenetv2-0.35');
      expect(v2.regression).toBe(true);
      expect(v2.segments.map((s) => [s.runtimeVersion, s.runs, s.replicates, s.regression])).toEqual([
        ['1.29.0', 3, 3, false],
        ['1.31.0', 3, 3, true],
      ]);
      expect(v2.segments[1]!.vsHistory).toMatchObject({ verdict: 'slower', design: 'unpaired', rounds: 3 });
      expect(v2.segments[1]!.vsHistory!.deltaPct).toBeCloseTo(10, 0);
      expect(h.models.find((m) => m.model === 'mobilenetv3-small-0.75+act=hswish')!.segments[0]).toMatchObject({ runs: 4, replicates: 3, flaggedReplicates: 1 });
      expect(h.models.find((m) => m.model === 'mobilenetv3-small-0.75')).toMatchObject({ regression: false, segments: [{ vsHistory: null }] });
      expect(await get(`/api/v1/devices/1b4e28ba-2fa1-11d2-883f-0016d3cca427/history`)).toMatchObject({ status: 404 });
    });
  });

  describe('lists', () => {
    it('page and filter studies, devices, runs and models, with a total', async () => {
      expect((await get('/api/v1/studies?limit=1')).body).toMatchObject({ limit: 1, offset: 0, total: 2, items: [{}] });
      expect((await get('/api/v1/studies?status=running')).body).toMatchObject({ total: 1, items: [{ name: 'history' }] });
      expect((await get('/api/v1/devices?class=phone')).body).toMatchObject({ total: 1, items: [{ name: 'phone-x', state: 'offline' }] });
      expect((await get('/api/v1/devices?state=online')).body.total).toBe(2);
      expect((await get(`/api/v1/runs?study=${ids.study}&variant=relu`)).body).toMatchObject({ total: 10 });
      expect((await get('/api/v1/runs?device=vm-b&limit=2')).body).toMatchObject({ total: 9, items: [{ device: 'vm-b', round: null, flagged: false }, { device: 'vm-b' }] });
      const vmC = (await get(`/api/v1/runs?study=${ids.study}&variant=hswish&device=vm-c`)).body;
      expect(vmC.items.map((r: { round: number; flagged: boolean }) => [r.round, r.flagged]).sort()).toEqual([
        [0, true],
        [1, true],
        [2, true],
      ]);
      expect((await get('/api/v1/models?measured=true')).body.total).toBe(4);
      expect(await get('/api/v1/studies?limit=0')).toMatchObject({ status: 400, body: { error: { field: 'limit' } } });
      expect(await get('/api/v1/runs?variant=relu')).toMatchObject({ status: 400, body: { error: { field: 'variant' } } });
    });
  });

  describe('docs and metrics', () => {
    it('serves an OpenAPI document and a page describing it', async () => {
      const doc = await get('/api/docs/openapi.json');
      const page = await get('/api/docs');

      expect(doc.body).toMatchObject({ openapi: '3.1.0' });
      expect(doc.body).toEqual(openApiDocument(QUERY_CONTROLLERS)); // generated from the controllers Nest serves
      expect(Object.keys(doc.body.paths)).toContain('/api/v1/studies/{id}/layer-deltas');
      expect(page.type).toMatch(/^text\/html/);
      expect(page.text).toContain('/api/v1/studies/{id}/reward');
    });

    it('answers as the generated OpenAPI document says, no field more or less', async () => {
      const doc = (await get('/api/docs/openapi.json')).body;
      const checked = async (route: string, url: string) => ({ url, mismatch: undocumentedAnswer(doc, 'GET', route, await get(url)) });
      const s = ids.study;
      const answers = [
        await checked('/api/v1/studies', '/api/v1/studies'),
        await checked('/api/v1/studies/{id}', `/api/v1/studies/${s}`),
        await checked('/api/v1/studies/{id}/comparison', `/api/v1/studies/${s}/comparison?include=flagged`),
        await checked('/api/v1/studies/{id}/table', `/api/v1/studies/${s}/table`),
        await checked('/api/v1/studies/{id}/layer-deltas', `/api/v1/studies/${s}/layer-deltas?variant=hswish&device=vm-a`),
        await checked('/api/v1/studies/{id}/reward', `/api/v1/studies/${s}/reward?target=3.8&device=vm-a`),
        await checked('/api/v1/studies/{id}/pareto', `/api/v1/studies/${s}/pareto`),
        await checked('/api/v1/runs', `/api/v1/runs?study=${s}`),
        await checked('/api/v1/runs/{id}', `/api/v1/runs/${ids.runWithOverhead}`),
        await checked('/api/v1/runs/{id}', `/api/v1/runs/${ids.flaggedRun}`),
        await checked('/api/v1/runs/{id}/latencies', `/api/v1/runs/${ids.flaggedRun}/latencies`),
        await checked('/api/v1/runs/{id}/layers', `/api/v1/runs/${ids.runWithOverhead}/layers`),
        await checked('/api/v1/runs/{id}/layers', `/api/v1/runs/${ids.runKernelOnly}/layers`),
        await checked('/api/v1/devices', '/api/v1/devices'),
        await checked('/api/v1/devices/{id}/history', `/api/v1/devices/${ids.vmA}/history`),
        await checked('/api/v1/models', '/api/v1/models'),
        await checked('/api/v1/models/{ref}/devices', `/api/v1/models/${models.paper.sha256}/devices`),
        await checked('/api/v1/accuracies', '/api/v1/accuracies'),
        await checked('/api/v1/runs/{id}', '/api/v1/runs/1b4e28ba-2fa1-11d2-883f-0016d3cca427'),
        await checked('/api/v1/studies/{id}/reward', `/api/v1/studies/${s}/reward?target=-1`),
        await checked('/healthz', '/healthz'),
      ];

      expect(answers.filter((a) => a.mismatch)).toEqual([]);
    });

    it('exports the fleet, queue, ingest, HTTP and latency metrics', async () => {
      const [job] = await ds.query(`SELECT id FROM jobs LIMIT 1`);
      await ds.query(`UPDATE jobs SET state = 'leased', attempt = 2, device_id = $2 WHERE id = $1`, [job.id, ids.vmB]);
      await insertJobAttempt(ds, { jobId: job.id, attempt: 2, deviceId: ids.vmB, leasedSecondsAgo: 120 });
      await insertResultUpload(ds, { outcome: 'stored', bytes: 1000 });
      await insertResultUpload(ds, { outcome: 'stored', bytes: 2500 });
      await insertResultUpload(ds, { outcome: 'rejected', bytes: 300, errorCode: 'VALIDATION_FAILED' });
      const m = (await get('/metrics')).text;

      expect(m).toMatch(/^latfleet_agents\{device_class="cpu",state="busy"\} 1$/m);
      expect(m).toMatch(/^latfleet_agents\{device_class="cpu",state="idle"\} 1$/m);
      expect(m).toMatch(/^latfleet_agents\{device_class="phone",state="offline"\} 1$/m);
      expect(m).toMatch(/^latfleet_agents_connected\{device_class="cpu"\} 2$/m);
      expect(m).toMatch(/^latfleet_jobs\{state="leased"\} 1$/m);
      const leaseAge = Number(/^latfleet_jobs_oldest_lease_age_seconds (\S+)$/m.exec(m)?.[1]);
      expect(leaseAge).toBeGreaterThanOrEqual(120);
      expect(leaseAge).toBeLessThan(180);
      expect(m).toMatch(/^latfleet_result_rows_ingested_total\{kind="latency"\} 2160$/m);
      expect(m).toMatch(/^latfleet_result_bytes_ingested_total 3500$/m);
      expect(m).toMatch(/^latfleet_result_uploads_rejected_total\{code="VALIDATION_FAILED"\} 1$/m);
      expect(m).toMatch(/^latfleet_result_uploads_rejected_total\{code="PERMISSION_DENIED"\} 0$/m);
      expect(m).toMatch(/^latfleet_result_storage_bytes\{table="layer_timings"\} [1-9]\d*$/m);
      // Only the running study is active: one variant on one device.
      expect(m).toMatch(/^latfleet_study_latency_median_seconds\{study_id="[^"]+",study="history",variant="v2",device="vm-a"\} 0\.0055/m);
      expect(m).not.toMatch(/^latfleet_study_latency_median_seconds\{[^}]*study="activations"/m);
      expect(m).toMatch(/^latfleet_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/studies\/:id\/comparison",status_code="200"\} [1-9]/m);
      expect(m).toMatch(/^latfleet_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/studies\/:id\/comparison",status_code="400"\} [1-9]/m);
    });

    it('counts requests no route matches under one label, whatever their path', async () => {
      await get('/no/such/path/1');
      await get('/no/such/path/2');
      const m = (await get('/metrics')).text;
      expect(m).toMatch(/^latfleet_http_request_duration_seconds_count\{method="GET",route="\(unmatched\)",status_code="404"\} 2$/m);
    });
  });

  // last: its device and runs would change the fleet and row counts the metrics test expects
  describe('between studies', () => {
    it('learns a device’s between-study component from comparisons repeated in several studies, and widens their intervals by it', async () => {
      const device = await insertDevice(ds, { name: 'vm-repro', online: false, deviceClass: 'board' });
      const host = [1, 1.04, 0.98, 1.02];
      const tiny = [1.0004, 0.9996, 1.0002, 0.9998];
      // the same pair measured in six studies: within each, four rounds agree to ±0.04%; between them, Δ moves 1–6%
      const studies: string[] = [];
      for (const deltaPct of [1, 4, 2, 6, 3, 5]) {
        const study = await insertStudy(ds, {
          name: 'repeat',
          baseline: 'a',
          variants: [
            { label: 'a', model: models.paper },
            { label: 'b', model: models.relu },
          ],
        });
        for (const [round, h] of host.entries()) {
          const at = { studyId: study.id, deviceId: device.id, round };
          await insertRun(ds, { ...at, variantId: study.variantIds.a!, model: models.paper, latenciesNs: latencies(4 * MS * h, 21, 0.001) });
          await insertRun(ds, { ...at, variantId: study.variantIds.b!, model: models.relu, latenciesNs: latencies(4 * MS * h * (1 + deltaPct / 100) * tiny[round]!, 21, 0.001) });
        }
        studies.push(study.id);
      }
      const logs = [1, 4, 2, 6, 3, 5].map((d) => Math.log(1 + d / 100));
      const sd = Math.sqrt(logs.reduce((a, x) => a + (x - logs.reduce((p, q) => p + q) / 6) ** 2, 0) / 5);

      const c = (await get(`/api/v1/studies/${studies[5]}/comparison`)).body as Comparison;
      const b = c.rows.find((r) => r.variant === 'b')!;

      expect(c.reproducibility).toHaveLength(1);
      expect(c.reproducibility[0]).toMatchObject({ device: 'vm-repro', source: 'learned', df: 5 });
      // DerSimonian–Laird with each study's variance se² + (1% of its log ratio)²: near the SD of the studies' log ratios
      expect(c.reproducibility[0]!.betweenStudyPct).toBeGreaterThan(0.85 * sd * 100);
      expect(c.reproducibility[0]!.betweenStudyPct).toBeLessThan(1.05 * sd * 100);
      expect(c.reproducibility[0]).toMatchObject({ relativePct: 1 });
      // +5% in this study's rounds (±0.04%), but its studies scatter by ~1.9% (SD): not a verdict to bet on
      expect(b).toMatchObject({ deltaPct: 5, verdict: 'within noise', rounds: 4 });
      expect(b.deltaCiLowPct!).toBeLessThan(0);
      const d = (await get(`/api/v1/studies/${studies[5]}/layer-deltas?variant=b`)).body as LayerDeltas;
      expect(d.reproducibility).toEqual(c.reproducibility.map(({ deviceId, device, ...r }) => r)[0]);
      expect(d.endToEnd).toMatchObject({ deltaPct: 5, mdePct: b.mdePct, verdict: 'within noise' });
    });

    it('keeps the protocol’s floor on a device that repeated nothing', async () => {
      const c = (await get(`/api/v1/studies/${ids.study}/comparison?device=vm-a`)).body as Comparison;
      expect(c.reproducibility).toEqual([{ deviceId: ids.vmA, device: 'vm-a', betweenStudyPct: 0.3, source: 'floor', df: 0, learnedPct: null, relativePct: 1 }]);
    });
  });
});
