import { describe, expect, it, vi } from 'vitest';
import { describeVariant } from '../lib/models/index.js';
import { fitPredictor, KernelPredictor, layerWork, type MeasuredVariant, type PredictorTrainer } from '../lib/predict/index.js';
import { measuredVariants, PredictorService, referenceHostProbe } from './predictor.service.js';
import type { PredictorRepository, PredictorSummary, TrainingKernel, TrainingRun } from './predictor.repository.js';

/** A variant whose every layer runs one kernel at 0.05 ns per unit of work, end to end its kernel sum. */
function measured(name: string): MeasuredVariant {
  const d = describeVariant(name);
  const kernels = d.layers.map((l) => ({ nodeName: `${l.name}.k`, opType: 'Conv', layer: l.name, medianNs: 0.05 * layerWork(l) }));
  return { name: d.name, family: d.family, spec: d.spec, layers: d.layers, kernels, medianNs: kernels.reduce((a, k) => a + k.medianNs, 0) };
}

const TRAINING = [128, 160, 192, 224].map((r) => measured(`mobilenetv3-small-1.0@${r}`));

type RunSince = Awaited<ReturnType<PredictorRepository['runsSince']>>[number];

function service(top1: Map<string, number>, since: RunSince[] = []): PredictorService {
  const summary = {
    id: 'p1',
    deviceId: 'd1',
    device: 'phone',
    version: 1,
    runtime: 'ort',
    optimization: 'all',
    format: 'onnx',
    kind: 'kernels',
    training: {},
    validation: null,
    createdAt: '',
  } as PredictorSummary;
  const model = fitPredictor(TRAINING, {
    boosted: { trees: 5, depth: 2, learningRate: 0.1, minLeafWeight: 1, lambda: 1, bins: 16, subsample: 1, seed: 1 },
    exact: true,
    stackFolds: 0,
    context: true,
    layerShare: 0.5,
    blend: false,
  });
  model.interval = { low: -0.1, high: 0.1 };
  const repository = {
    deviceId: async () => ({ id: 'd1', name: 'phone' }),
    latest: async () => [summary],
    model: async () => model,
    top1ByModelName: async () => top1,
    runsSince: async () => since,
  } as unknown as PredictorRepository;
  return new PredictorService(repository, {} as PredictorTrainer);
}

describe(PredictorService.name, () => {
  it('ranks variants by the MnasNet reward of their predicted latency, marked as predicted, with the reward over the interval', async () => {
    const fast = 'mobilenetv3-small-1.0@128';
    const slow = describeVariant('mobilenetv3-small-1.0@224').name;
    const unknown = 'mobilenetv3-small-1.0@160';
    const sut = service(new Map([[slow, 70]]));
    const answer = await sut.predictedReward({ variants: [{ name: slow }, { name: unknown }, { name: fast, top1: 60 }], device: 'phone', targetMs: 1e-3, constraint: 'hard' });
    expect(answer).toMatchObject({ device: 'phone', alpha: 0, beta: -1, predictor: { id: 'p1' } });
    expect(answer.rows.map((r) => [r.variant, r.rank, r.accuracySource, r.latencySource])).toEqual([
      [fast, 1, 'given', 'predicted'],
      [slow, 2, 'stored', 'predicted'],
      [unknown, null, null, 'predicted'],
    ]);
    const [first] = answer.rows;
    expect(first!.reward).toBeCloseTo(0.6 * (1e-3 / first!.latencyMs), 9);
    expect(first!.rewardRange!.low).toBeLessThan(first!.reward!);
    expect(answer.rows[2]!.reward).toBeUndefined();
  });
});

describe('predictions at the live level', () => {
  const names = [160, 176, 192, 208, 224, 240].map((r) => describeVariant(`mobilenetv3-small-1.0@${r}`).name);
  /** The device's runs since training: each variant measured `ratio` × what the trained predictor predicts. */
  async function since(ratio: number, n: number): Promise<RunSince[]> {
    const { predictions } = await service(new Map()).predict({ variants: names.slice(0, n), layers: false, level: 'trained' });
    return predictions.map((p, i) => ({ runId: `r${i}`, spec: describeVariant(p.variant).spec, medianNs: ratio * p.medianMs * 1e6 }));
  }

  it('scales every predicted figure by measured/predicted of the runs since training, once there are 5, and says so', async () => {
    const runs = await since(1.1, 6);
    const trained = (await service(new Map(), runs).predict({ variants: ['mobilenetv3-small-1.0@128'], layers: true, level: 'trained' })).predictions[0]!;
    const live = (await service(new Map(), runs).predict({ variants: ['mobilenetv3-small-1.0@128'], layers: true, level: 'live' })).predictions[0]!;
    // the runs' medians come from predictions rounded to the microsecond: the factor is 1.1 to 3 places
    expect(live.predictor.live).toMatchObject({ runs: 6, applied: true, within5Pct: 0, within10Pct: 100 });
    expect(live.predictor.live.factor).toBeCloseTo(1.1, 3);
    expect(live.predictor.live.medianErrorPct).toBeCloseTo(-9.09, 1);
    expect(trained.predictor.live).toEqual(live.predictor.live);
    for (const k of ['medianMs', 'intervalLowMs', 'intervalHighMs', 'kernelSumMs'] as const) expect(live[k] / trained[k]).toBeCloseTo(1.1, 2);
    expect(live.layers![0]!.predictedMs / trained.layers![0]!.predictedMs).toBeCloseTo(1.1, 2);
  });

  it('computes a device’s live level again only when it has measured something new (a scrape with nothing new predicts nothing)', async () => {
    const runs = await since(1.1, 6);
    const sut = service(new Map(), runs);
    const predict = vi.spyOn(KernelPredictor.prototype, 'predict');
    try {
      const first = await sut.liveLevels();
      const calls = predict.mock.calls.length;
      expect(calls).toBe(6);
      expect(await sut.liveLevels()).toEqual(first);
      expect(predict.mock.calls.length).toBe(calls);
      runs.push({ ...runs[0]!, runId: 'r-new' });
      expect((await sut.liveLevels())[0]!.live.runs).toBe(7);
      expect(predict.mock.calls.length).toBe(calls + 7);
    } finally {
      predict.mockRestore();
    }
  });

  it('keeps the trained level with fewer than 5 runs since training', async () => {
    const runs = await since(1.1, 4);
    const [p] = (await service(new Map(), runs).predict({ variants: ['mobilenetv3-small-1.0@128'], layers: false, level: 'live' })).predictions;
    const [t] = (await service(new Map()).predict({ variants: ['mobilenetv3-small-1.0@128'], layers: false, level: 'trained' })).predictions;
    expect(p!.predictor.live).toMatchObject({ runs: 4, applied: false });
    expect(p!.medianMs).toBe(t!.medianMs);
  });
});

describe(measuredVariants.name, () => {
  const d = describeVariant('mobilenetv3-small-1.0@160');
  const run = (runId: string, medianNs: number): TrainingRun => ({
    runId,
    studyId: 's',
    modelSha256: 'm',
    modelName: d.name,
    family: d.family,
    spec: d.spec,
    layers: d.layers,
    medianNs,
    hostProbeNs: null,
    cpuShare: null,
    format: 'onnx',
  });
  const kernels = (runId: string, ns: number): TrainingKernel[] => d.layers.map((l) => ({ runId, nodeName: `${l.name}.k`, opType: 'Conv', layer: l.name, medianNs: ns }));
  const sum = 1_000 * d.layers.length;

  it('learns a variant from the median of its runs, leaving out a run whose timed phase was far slower than its own kernels', () => {
    const [v] = measuredVariants([run('a', 0.9 * sum), run('b', 1.0 * sum), run('c', 2 * sum)], [...kernels('a', 1_000), ...kernels('b', 1_000), ...kernels('c', 1_000)]);
    expect(v!.medianNs).toBeCloseTo(0.95 * sum, 6);
    expect(v!.kernels).toHaveLength(d.layers.length);
  });

  it('scales every run to the reference host speed before taking medians', () => {
    const slowHost = { ...run('a', 1.1 * sum), hostProbeNs: 1.1e6 };
    const fastHost = { ...run('b', 0.95 * sum), hostProbeNs: 0.95e6 };
    const [v] = measuredVariants([slowHost, fastHost], [...kernels('a', 1_100), ...kernels('b', 950)], 1e6);
    expect(v!.medianNs).toBeCloseTo(sum, 6);
    expect(v!.kernels.every((k) => Math.abs(k.medianNs - 1_000) < 1e-6)).toBe(true);
    expect(referenceHostProbe([slowHost, fastHost, { ...fastHost, hostProbeNs: null }])).toBeCloseTo(1.025e6, 6);
  });

  it('leaves out a preempted run (less than 90% of the CPU) while the variant has another', () => {
    const [v] = measuredVariants(
      [
        { ...run('a', 1.2 * sum), cpuShare: 0.5 },
        { ...run('b', sum), cpuShare: 0.99 },
      ],
      [...kernels('a', 1_000), ...kernels('b', 1_000)],
    );
    expect(v!.medianNs).toBe(sum);
  });

  it('keeps the disturbed runs when a variant has nothing else', () => {
    const [v] = measuredVariants([run('c', 2 * sum)], kernels('c', 1_000));
    expect(v!.medianNs).toBe(2 * sum);
  });
});
