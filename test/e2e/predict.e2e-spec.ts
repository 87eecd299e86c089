import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../services/cli/api.client.js';
import { LocalFleet } from '../../services/cli/fleet.js';
import { waitForStudy } from '../../services/cli/study-progress.js';
import { describeVariant } from '../../services/lib/models/index.js';
import { MIN_LIVE_LEVEL_RUNS } from '../../services/lib/predict/index.js';
import type { PredictorSummary } from '../../services/query/contract.js';
import { localFleetConfig } from '../support/local-fleet-config.js';

// A calibration in miniature: four small variants, one run each; no retries, so the run count is exact on a busy machine.
const TINY_CALIBRATION = {
  name: 'e2e-calibrate',
  variants: ['mobilenetv3-small-0.75@96', 'mobilenetv3-small-0.75@112', 'mobilenetv3-small-0.75@96+act=relu', 'mobilenetv3-small-0.75@112+act=relu'],
  baseline: 'mobilenetv3-small-0.75@96',
  protocol: { warmupRuns: 2, timedRuns: 10, profiledRuns: 3, maxRetries: 0, replicates: 1, maxReplicates: 1, targetHalfWidthPct: 0 },
};
const UNSEEN = 'mobilenetv3-small-0.75@104';

describe('latency predictors, end to end', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latfleet-e2e-predict-'));
  const fleet = new LocalFleet(localFleetConfig(dataDir));
  let device: string;
  let trained: PredictorSummary;

  beforeAll(async () => {
    await fleet.start(() => undefined);
    const study = await fleet.api.createStudy(TINY_CALIBRATION);
    const done = await waitForStudy(fleet.api, study.id, { quiet: true, intervalMs: 200, timeoutMs: 180_000 });
    expect(done.status).toBe('completed');
    device = (await fleet.api.devices()).items[0]!.name;
    trained = await fleet.api.trainPredictor({ device, includeFlagged: true, folds: 2 });
  });

  afterAll(async () => {
    await fleet.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('trains a predictor from the study’s per-layer rows and validates it on variants held out by name', () => {
    expect(trained).toMatchObject({ device, version: 1, optimization: 'all', training: { variants: 4, runs: 4, families: ['mobilenetv3'] } });
    expect(trained.runtime).toMatch(/^onnxruntime-node /);
    expect(trained.validation).toMatchObject({ heldOutVariants: 4, folds: 2 });
  });

  it('answers a variant it never measured with median, interval, per-layer breakdown and the predictor’s validation', async () => {
    const { predictions } = await fleet.api.predict({ variants: [UNSEEN], devices: [device] });
    const [p] = predictions;
    const layers = describeVariant(UNSEEN).layers.map((l) => l.name);
    expect(predictions).toHaveLength(1);
    expect(p).toMatchObject({ variant: UNSEEN, device, predicted: true, predictor: { id: trained.id, version: 1, validation: trained.validation } });
    expect(p!.medianMs).toBeGreaterThan(0);
    expect(p!.intervalLowMs).toBeLessThanOrEqual(p!.medianMs);
    expect(p!.intervalHighMs).toBeGreaterThanOrEqual(p!.medianMs);
    expect(p!.layers!.map((l) => l.layer)).toEqual(layers);
    expect(p!.kernelSumMs).toBeCloseTo(
      p!.layers!.reduce((a, l) => a + l.predictedMs, 0),
      1,
    );
  });

  it('ranks variants by the MnasNet reward on predicted latency, every latency marked predicted', async () => {
    const faster = 'mobilenetv3-small-0.75@96';
    const { predictions } = await fleet.api.predict({ variants: [UNSEEN, faster], devices: [device], layers: false });
    const targetMs = Math.max(...predictions.map((p) => p.medianMs));
    const sut = await fleet.api.predictedReward({ variants: [{ name: UNSEEN, top1: 70 }, { name: faster, top1: 70 }, 'mobilenetv3-small-0.75@88+act=relu'], device, targetMs });

    expect(sut).toMatchObject({ device, targetMs, constraint: 'soft', alpha: -0.07, beta: -0.07, predictor: { id: trained.id } });
    // equal accuracy: the faster prediction earns the higher reward; without an accuracy a variant is listed unranked, last
    const slowest = predictions.reduce((a, b) => (a.medianMs >= b.medianMs ? a : b)).variant;
    expect(sut.rows.map((r) => [r.rank, r.latencySource])).toEqual([
      [1, 'predicted'],
      [2, 'predicted'],
      [null, 'predicted'],
    ]);
    expect(sut.rows[1]!.variant).toBe(slowest);
    expect(sut.rows[1]!.reward).toBeCloseTo(0.7, 9); // LAT = T: ACC · 1
    expect(sut.rows[2]).toMatchObject({ variant: 'mobilenetv3-small-0.75@88+act=relu', top1: null, accuracySource: null });

    // the same ranking through `latfleet predict --reward-target`: top-1 from the accuracies stored for each name
    await fleet.api.addAccuracy({ model: UNSEEN, top1: 70, source: 'e2e' });
    await fleet.api.addAccuracy({ model: faster, top1: 70, source: 'e2e' });
    const cli = await promisify(execFile)(
      process.execPath,
      ['dist/cli/main.js', 'predict', UNSEEN, faster, '-d', device, '--reward-target', String(targetMs), '--json', '--url', fleet.api.baseUrl],
      { env: { ...process.env, LATFLEET_DATA_DIR: dataDir } },
    );
    const answer = JSON.parse(cli.stdout) as { rows: Array<{ variant: string; rank: number; accuracySource: string; reward: number }> };
    expect(answer.rows.map((r) => [r.variant, r.rank, r.accuracySource])).toEqual([
      [sut.rows[0]!.variant, 1, 'stored'],
      [slowest, 2, 'stored'],
    ]);
    expect(answer.rows[1]!.reward).toBeCloseTo(0.7, 9);
  });

  it('lists stored predictors and counts versions up', async () => {
    const second = await fleet.api.trainPredictor({ device, includeFlagged: true, folds: 2 });
    const { predictions } = await fleet.api.predict({ variants: [UNSEEN], layers: false });
    expect(second.version).toBe(2);
    expect(predictions.map((p) => [p.device, p.predictor.version, p.layers])).toEqual([[device, 2, undefined]]);
  });

  it('refuses a variant the builder cannot describe, naming it', async () => {
    const err = await fleet.api.predict({ variants: [UNSEEN, 'nonet-9'], devices: [device] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, field: 'variants.1' });
  });

  it('refuses an unknown device or field, naming it, and stores nothing', async () => {
    const before = await fleet.api.predictors();
    const unknownDevice = await fleet.api.trainPredictor({ device: 'no-such-device' }).catch((e: unknown) => e);
    const unknownField = await fleet.api.trainPredictor({ device, folds: 1 }).catch((e: unknown) => e);
    const noPredictor = await fleet.api.predict({ variants: [UNSEEN], devices: ['no-such-device'] }).catch((e: unknown) => e);
    expect(unknownDevice).toMatchObject({ status: 404 });
    expect(unknownField).toMatchObject({ status: 400, field: 'folds' });
    expect(noPredictor).toMatchObject({ status: 404 });
    expect(await fleet.api.predictors()).toEqual(before);
  });

  it('measures only the top-k of a study by predicted latency, and shows predicted beside measured', async () => {
    const created = await fleet.api.createStudy({
      name: 'e2e-top-k',
      base: 'mobilenetv3-small-0.75',
      axes: { resolution: [96, 104, 112, 120] },
      baseline: 120,
      measure: { select: 'top-k', k: 1, device },
      protocol: TINY_CALIBRATION.protocol,
    });
    const done = await waitForStudy(fleet.api, created.id, { quiet: true, intervalMs: 200, timeoutMs: 120_000 });
    const sut = await fleet.api.studyPredicted(created.id);
    const measured = sut.rows.filter((r) => r.measured);
    expect(done.status).toBe('completed');
    expect(done.variants.map((v) => v.label).sort()).toEqual(measured.map((r) => r.label).sort());
    expect(sut).toMatchObject({ study: 'e2e-top-k', select: 'top-k', k: 1, device });
    expect(sut.rows).toHaveLength(4);
    expect(sut.rows.map((r) => r.predictedMs)).toEqual([...sut.rows.map((r) => r.predictedMs)].sort((a, b) => a - b));
    expect(measured.map((r) => r.label).sort()).toEqual([...new Set([sut.rows[0]!.label, '120'])].sort());
    expect(measured.every((r) => r.measuredMs !== null && r.runs === 1 && r.errorPct !== null)).toBe(true);
    expect(sut.rows.filter((r) => !r.measured).every((r) => r.measuredMs === null && r.runs === 0)).toBe(true);
  });

  it('follows the device’s level from the runs measured since the predictor was trained, once there are 5', async () => {
    const latest = await fleet.api.trainPredictor({ device, includeFlagged: true, folds: 2 });
    const names = [
      'mobilenetv3-small-0.75@104',
      'mobilenetv3-small-0.75@120',
      'mobilenetv3-small-0.75@128',
      'mobilenetv3-small-0.75@104+act=relu',
      'mobilenetv3-small-0.75@120+act=relu',
    ];
    const at = async (level: 'live' | 'trained') => (await fleet.api.predict({ variants: names, devices: [device], layers: false, level })).predictions;
    const before = await at('live');
    expect(before[0]!.predictor).toMatchObject({ id: latest.id, live: { runs: 0, factor: 1, applied: false, medianErrorPct: null } });

    const created = await fleet.api.createStudy({ name: 'e2e-after-training', variants: names, baseline: names[0], protocol: TINY_CALIBRATION.protocol });
    expect((await waitForStudy(fleet.api, created.id, { quiet: true, intervalMs: 200, timeoutMs: 120_000 })).status).toBe('completed');
    const db = new pg.Client({ connectionString: fleet.databaseUrl });
    await db.connect();
    const { rows } = await db.query(`SELECT m.name, r.median_ns::float8 AS ns FROM runs r JOIN models m ON m.sha256 = r.model_sha256 WHERE r.study_id = $1`, [created.id]);
    await db.end();
    const trained = await at('trained');
    const live = await at('live');

    // the runs in Postgres, against what the trained predictor says of their models
    const measured = new Map(rows.map((r) => [r.name as string, (r.ns as number) / 1e6]));
    const logRatios = trained.map((p) => Math.log(measured.get(p.variant)! / p.medianMs)).sort((a, b) => a - b);
    expect(rows).toHaveLength(MIN_LIVE_LEVEL_RUNS);
    expect(live[0]!.predictor.live).toMatchObject({ runs: MIN_LIVE_LEVEL_RUNS, applied: true });
    expect(live[0]!.predictor.live.factor).toBeCloseTo(Math.exp(logRatios[2]!), 2);
    live.forEach((p, i) => expect(p.medianMs / trained[i]!.medianMs).toBeCloseTo(p.predictor.live.factor, 2));
  });
});
