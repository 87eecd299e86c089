import { describe, expect, it } from 'vitest';
import { describeVariant } from '../lib/models/index.js';
import { fitPredictor, layerWork, type MeasuredVariant, type PredictorTrainer } from '../lib/predict/index.js';
import { PredictorService } from './predictor.service.js';
import type { PredictorRepository, PredictorSummary } from './predictor.repository.js';

/** A variant whose every layer runs one kernel at 0.05 ns per unit of work, end to end its kernel sum. */
function measured(name: string): MeasuredVariant {
  const d = describeVariant(name);
  const kernels = d.layers.map((l) => ({ nodeName: `${l.name}.k`, opType: 'Conv', layer: l.name, medianNs: 0.05 * layerWork(l) }));
  return { name: d.name, family: d.family, spec: d.spec, layers: d.layers, kernels, medianNs: kernels.reduce((a, k) => a + k.medianNs, 0) };
}

const TRAINING = [128, 160, 192, 224].map((r) => measured(`mobilenetv3-small-1.0@${r}`));

function service(top1: Map<string, number>): PredictorService {
  const summary = { id: 'p1', deviceId: 'd1', device: 'phone', version: 1, runtime: 'ort', optimization: 'all', training: {}, validation: null, createdAt: '' } as PredictorSummary;
  const model = fitPredictor(TRAINING, {
    boosted: { trees: 5, depth: 2, learningRate: 0.1, minLeafWeight: 1, lambda: 1, bins: 16, subsample: 1, seed: 1 },
    exact: true,
    stackFolds: 0,
    context: true,
  });
  model.interval = { low: -0.1, high: 0.1 };
  const repository = {
    deviceId: async () => ({ id: 'd1', name: 'phone' }),
    latest: async () => [summary],
    model: async () => model,
    top1ByModelName: async () => top1,
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
