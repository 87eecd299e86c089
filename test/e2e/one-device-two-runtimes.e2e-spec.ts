import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCpuList } from '../../services/cli/core-affinity.js';
import { LocalFleet } from '../../services/cli/fleet.js';
import { waitForStudy } from '../../services/cli/study-progress.js';
import type { Comparison } from '../../services/query/contract.js';
import type { StudyDetail } from '../../services/query/study.repository.js';
import { localFleetConfig } from '../support/local-fleet-config.js';

// No retries (a shared machine flags runs busy; flagged rounds still pair); exactly 3 rounds.
const PROTOCOL = { warmupRuns: 2, timedRuns: 10, profiledRuns: 2, maxRetries: 0, replicates: 3, maxReplicates: 3 };
const STUDY = {
  name: 'onnx-vs-tflite-one-device',
  base: 'mobilenetv3-small-0.75@96',
  axes: { format: ['onnx', 'tflite'] },
  baseline: 'onnx',
  protocol: PROTOCOL,
};
// A TFLite calibration in miniature (one run each): LiteRT times whole runs only, so its predictor is a layer-sum one.
const TINY_TFLITE_CALIBRATION = {
  name: 'e2e-calibrate-tflite',
  base: { format: 'tflite' },
  variants: ['mobilenetv3-small-0.75@112', 'mobilenetv3-small-0.75@96+act=relu', 'mobilenetv3-small-0.75@112+act=relu', 'mobilenetv3-small-0.75@128'],
  baseline: 'mobilenetv3-small-0.75@112',
  protocol: { warmupRuns: 2, timedRuns: 10, profiledRuns: 2, maxRetries: 0, replicates: 1, maxReplicates: 1, targetHalfWidthPct: 0 },
};

describe('one CPU agent running ONNX Runtime and LiteRT (LATFLEET_AGENT_RUNNER=ort-node+litert), end to end', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latfleet-e2e-two-runtimes-'));
  // the machine's other core runs benchmarks
  const config = localFleetConfig(dataDir, { LATFLEET_AGENT_CORE: '0', LATFLEET_AGENT_RUNNER: 'ort-node+litert' });
  let fleet: LocalFleet;
  let db: pg.Client;
  let study: StudyDetail;
  let affinityBefore: string;

  beforeAll(async () => {
    affinityBefore = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
    fleet = new LocalFleet(config);
    await fleet.start(() => undefined);
    db = new pg.Client({ connectionString: fleet.databaseUrl });
    await db.connect();
    const created = await fleet.api.createStudy(STUDY);
    study = await waitForStudy(fleet.api, created.id, { quiet: true, intervalMs: 200, timeoutMs: 240_000 });
    const calibration = await fleet.api.createStudy(TINY_TFLITE_CALIBRATION);
    expect((await waitForStudy(fleet.api, calibration.id, { quiet: true, intervalMs: 200, timeoutMs: 240_000 })).status).toBe('completed');
  });

  afterAll(async () => {
    await db?.end();
    await fleet?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the fleet’s own services off the agent’s core, and gives this process its cores back', () => {
    const allowed = (pid: number) => /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
    expect(allowed(fleet.pid('agent')!)).toBe('0');
    expect(parseCpuList(allowed(fleet.pid('control')!)!)).not.toContain(0);
    expect(parseCpuList(allowed(fleet.pid('query')!)!)).not.toContain(0);
    expect(allowed(process.pid)).toBe(affinityBefore);
  });

  it('registers one device that announces both formats, and measures every round of both on it', async () => {
    const { rows: devices } = await db.query(`SELECT name, runner, formats FROM devices`);
    expect(devices).toEqual([{ name: expect.stringMatching(/-cpu$/), runner: 'ort-node+litert', formats: ['onnx', 'tflite'] }]);
    const { rows } = await db.query(
      `SELECT m.format, r.round, r.environment->>'runtimeVersion' AS runtime
         FROM runs r JOIN models m ON m.sha256 = r.model_sha256 WHERE r.study_id = $1 ORDER BY m.format, r.round`,
      [study.id],
    );
    expect(study.status).toBe('completed');
    expect(rows.map((r) => [r.format, r.round])).toEqual([
      ['onnx', 0],
      ['onnx', 1],
      ['onnx', 2],
      ['tflite', 0],
      ['tflite', 1],
      ['tflite', 2],
    ]);
    expect(new Set(rows.filter((r) => r.format === 'onnx').map((r) => r.runtime.split(' ')[0]))).toEqual(new Set(['onnxruntime-node']));
    expect(new Set(rows.filter((r) => r.format === 'tflite').map((r) => r.runtime.split(' ')[0]))).toEqual(new Set(['@litertjs/core']));
  });

  it('pairs the TFLite variant with its ONNX twin round by round on that device: a Δ between runtimes with its interval', async () => {
    const res = await fetch(new URL(`/api/v1/studies/${study.id}/comparison?include=flagged`, fleet.api.baseUrl));
    const comparison = (await res.json()) as Comparison;
    const tflite = comparison.rows.find((r) => !r.baseline)!;

    expect(comparison.devices).toHaveLength(1);
    expect(tflite).toMatchObject({ variant: 'tflite', design: 'paired', rounds: 3 });
    expect(tflite.deltaCiLowPct).toBeLessThan(tflite.deltaPct!);
    expect(tflite.deltaCiHighPct).toBeGreaterThan(tflite.deltaPct!);
  });

  it('gives each row the median model load and peak memory of its runs, as both runtimes record them', async () => {
    const res = await fetch(new URL(`/api/v1/studies/${study.id}/comparison?include=flagged`, fleet.api.baseUrl));
    const { rows } = (await res.json()) as Comparison;

    expect(rows.map((r) => [r.variant, r.resources?.runs])).toEqual([
      ['onnx', 3],
      ['tflite', 3],
    ]);
    for (const r of rows) expect(Math.min(r.resources!.loadFirstMs, r.resources!.loadWarmMs, r.resources!.peakResidentBytes)).toBeGreaterThan(0);
  });

  it('learns a layer-sum predictor from the TFLite runs (end-to-end times only) beside a kernel one from the ONNX runs, and answers each format from its own', async () => {
    const device = (await fleet.api.devices()).items[0]!.name;
    const tflite = await fleet.api.trainPredictor({ device, format: 'tflite', includeFlagged: true, folds: 2 });
    const onnx = await fleet.api.trainPredictor({ device, format: 'onnx', includeFlagged: true, folds: 2 });
    const unseen = 'mobilenetv3-small-0.75@104';

    expect(tflite).toMatchObject({ format: 'tflite', kind: 'layer-sum', version: 1, training: { variants: 5, runs: 7, model: 'layer-sum' } });
    expect(tflite.runtime).toMatch(/^@litertjs\/core /);
    expect(tflite.validation).toMatchObject({ heldOutVariants: 5, folds: 2 });
    expect(onnx).toMatchObject({ format: 'onnx', kind: 'kernels', training: { variants: 1, runs: 3 } });

    const [asTflite] = (await fleet.api.predict({ variants: [unseen], devices: [device], format: 'tflite' })).predictions;
    const [asOnnx] = (await fleet.api.predict({ variants: [unseen], devices: [device], format: 'onnx' })).predictions;
    expect(asTflite!.predictor).toMatchObject({ id: tflite.id, format: 'tflite', kind: 'layer-sum' });
    expect(asOnnx!.predictor).toMatchObject({ id: onnx.id, format: 'onnx', kind: 'kernels' });
    // the breakdown is the model's attribution by part (a depthwise 3×3 in float32 of a channel bucket …), summing to the prediction less its constant
    expect(asTflite!.layers!.flatMap((l) => l.kernels.map((k) => k.opType)).some((part) => /^dw-k3-c\d+(-s2)?:f32$/.test(part))).toBe(true);
    expect(asTflite!.kernelSumMs + asTflite!.overheadMs).toBeCloseTo(asTflite!.medianMs, 2);
    // an unseen size between the measured ones: predicted within the span of what LiteRT measured (loosely: a shared core moves single runs)
    const { rows } = await db.query(`SELECT r.median_ns::float8 / 1e6 AS ms FROM runs r JOIN models m ON m.sha256 = r.model_sha256 WHERE m.format = 'tflite'`);
    const measured = rows.map((r: { ms: number }) => r.ms);
    expect(asTflite!.medianMs).toBeGreaterThan(0.5 * Math.min(...measured));
    expect(asTflite!.medianMs).toBeLessThan(2 * Math.max(...measured));
  });

  it('refuses a kernel predictor for runs without per-layer timings, naming the field, and stores nothing', async () => {
    const device = (await fleet.api.devices()).items[0]!.name;
    const before = await fleet.api.predictors();
    const err = await fleet.api.trainPredictor({ device, format: 'tflite', model: 'kernels', includeFlagged: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, field: 'model' });
    expect(String((err as Error).message)).toMatch(/per-layer timings/);
    expect(await fleet.api.predictors()).toEqual(before);
  });
});
