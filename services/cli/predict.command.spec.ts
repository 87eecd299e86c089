import { describe, expect, it } from 'vitest';
import { liveLevel } from '../lib/predict/index.js';
import type { PredictedRewardAnswer, PredictedVariant } from '../query/contract.js';
import { describeLive, describePredictor, renderPredictions, renderReward } from './predict.command.js';

const prediction = (live: PredictedVariant['predictor']['live']): PredictedVariant => ({
  variant: 'mobilenetv3-small-1.0@128',
  device: 'vm-cpu',
  predicted: true,
  medianMs: 2.2,
  intervalLowMs: 2,
  intervalHighMs: 2.5,
  kernelSumMs: 2,
  overheadMs: 0.2,
  outOfRange: [],
  predictor: { id: 'p1', version: 2, runtime: 'ort', optimization: 'all', format: 'onnx', kind: 'kernels', validation: null, createdAt: '', live },
});
const slower = (n: number) => liveLevel(Array.from({ length: n }, () => ({ predictedNs: 1e6, measuredNs: 1.1e6 })));

describe(describeLive.name, () => {
  it('says at which level a prediction is, and how the trained predictor does on the runs since training', () => {
    expect(describeLive(slower(6))).toBe(
      "at the device's level now: ×1.100 from 6 runs since training (trained predictor on them: median error -9.1%, 0% within ±5%, 100% within ±10%)",
    );
    expect(describeLive(slower(2))).toMatch(/^at the level of its calibration: 2 runs since training, too few to follow \(/);
    expect(describeLive(liveLevel([]))).toBe('at the level of its calibration: no run measured since it was trained');
  });

  it('puts the level under each predictor in the table, and the factor applied in CSV', () => {
    expect(renderPredictions([prediction(slower(6))], 'table')).toContain("\n    at the device's level now: ×1.100 from 6 runs");
    const lastColumn = (csv: string) =>
      csv
        .trim()
        .split(/\r?\n/)
        .map((line) => line.split(',').at(-1));
    expect(lastColumn(renderPredictions([prediction(slower(6))], 'csv'))).toEqual(['level_factor', '1.1']);
    expect(lastColumn(renderPredictions([prediction(slower(2))], 'csv'))).toEqual(['level_factor', '1']);
  });
});

describe(renderReward.name, () => {
  const answer: PredictedRewardAnswer = {
    device: 'vm-cpu',
    targetMs: 5,
    constraint: 'soft',
    alpha: -0.07,
    beta: -0.07,
    predictor: prediction(slower(6)).predictor,
    rows: [
      {
        rank: 1,
        variant: 'a',
        top1: 75.2,
        accuracySource: 'stored',
        latencyMs: 4.1,
        latencySource: 'predicted',
        outOfRange: [],
        reward: 0.7622,
        rewardRange: { low: 0.75, high: 0.77 },
        withinTarget: true,
      },
      { rank: null, variant: 'b', top1: null, accuracySource: null, latencyMs: 6.3, latencySource: 'predicted', outOfRange: [] },
    ],
  };

  it('ranks best first with the reward over the interval, the unranked last, and says the latencies are predicted', () => {
    const text = renderReward(answer, 'table');
    const lines = text.split('\n');
    expect(lines.findIndex((l) => /\ba\b.*75\.2 \(stored\).*4\.10.*0\.7622 \[0\.7500, 0\.7700\].*yes/.test(l))).toBeLessThan(lines.findIndex((l) => /\bb\b.*—.*6\.30/.test(l)));
    expect(text).toContain('T = 5 ms, soft (α = -0.07, β = -0.07); every latency predicted, not measured');
    expect(text).toContain('1 without a top-1 stored for their name');
  });

  it('writes JSON as the API answered, and a CSV row per variant', () => {
    expect(JSON.parse(renderReward(answer, 'json'))).toEqual(answer);
    expect(renderReward(answer, 'csv').trim().split(/\r?\n/)).toHaveLength(3);
  });
});

describe(describePredictor.name, () => {
  const validation = { heldOutVariants: 40, within10Pct: 80, within5Pct: 50, rmspePct: 7.5, spearmanRho: 0.99 };
  it('names a kernel predictor by runtime and optimization level, and a layer-sum one by format and what it learned from', () => {
    expect(describePredictor('vm-cpu', { version: 3, runtime: 'onnxruntime-node 1.30.0', optimization: 'all', format: 'onnx', kind: 'kernels', validation })).toBe(
      'vm-cpu v3 (onnxruntime-node 1.30.0, all): on 40 held-out variants 80.0% within ±10%, 50.0% within ±5%, RMSPE 7.5%, ρ 0.990',
    );
    expect(describePredictor('pixel', { version: 1, runtime: '@litertjs/core 2.5.3', optimization: 'all', format: 'tflite', kind: 'layer-sum', validation: null })).toBe(
      'pixel v1 tflite (@litertjs/core 2.5.3; layer-sum, from end-to-end times): not validated (fewer than 2 variants)',
    );
  });
});
