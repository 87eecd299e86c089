import { describe, expect, it } from 'vitest';
import { liveLevel } from '../lib/predict/index.js';
import type { PredictedVariant } from '../query/contract.js';
import { describeLive, renderPredictions } from './predict.command.js';

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
  predictor: { id: 'p1', version: 2, runtime: 'ort', optimization: 'all', validation: null, createdAt: '', live },
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
