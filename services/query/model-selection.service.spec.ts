import { describe, expect, it } from 'vitest';
import type { Comparison, ComparisonRow } from './comparison.service.js';
import { NO_DELTA } from './latency-statistics.js';
import { paretoOf, rankByReward } from './model-selection.service.js';

const row = (variant: string, medianMs: number | null, madds: number, top1: number | null): ComparisonRow => ({
  variant,
  variantId: variant,
  baseline: false,
  model: variant,
  device: 'pixel',
  deviceId: 'd',
  medianMs,
  p90Ms: medianMs,
  ciLowMs: medianMs,
  ciHighMs: medianMs,
  samples: 10,
  replicates: medianMs === null ? 0 : 3,
  flaggedReplicates: medianMs === null ? 3 : 0,
  flags: [],
  ...NO_DELTA,
  madds,
  params: 1,
  top1,
  top1Source: null,
  runIds: [],
  flaggedRunIds: [],
  resources: null,
});
const comparison = (rows: ComparisonRow[]): Comparison => ({
  studyId: 's',
  study: 'scaling',
  status: 'completed',
  baseline: 'b0',
  confidenceLevel: 0.95,
  noiseTest: '',
  includeFlagged: false,
  reproducibility: [],
  devices: [{ id: 'd', name: 'pixel', deviceClass: 'phone' }],
  variants: [],
  rows,
});

// EfficientNet-like: more MAdds, more accuracy, more latency; one variant with no accuracy yet.
const c = comparison([row('b0', 60, 390, 76.3), row('b1', 95, 700, 78.8), row('b2', 130, 1000, 79.8), row('b3', 230, 1800, 81.1), row('custom', 80, 500, null)]);

describe(rankByReward.name, () => {
  it('hard constraint: the most accurate model within the target wins; beyond it the accuracy is scaled by T/LAT', () => {
    const sut = rankByReward(c, { targetMs: 100, constraint: 'hard' });
    // b1 0.788 and b0 0.763 within the target; b2 0.798·100/130 = 0.614; b3 0.811·100/230 = 0.353
    expect(sut.devices[0]!.rows.map((r) => [r.rank, r.variant])).toEqual([
      [1, 'b1'],
      [2, 'b0'],
      [3, 'b2'],
      [4, 'b3'],
      [null, 'custom'],
    ]);
    expect(sut.devices[0]!.rows[2]!.reward).toBeCloseTo(0.798 / 1.3, 12);
  });

  it('soft constraint trades a little accuracy for speed', () => {
    const sut = rankByReward(c, { targetMs: 100, constraint: 'soft' });
    const reward = (v: string) => sut.devices[0]!.rows.find((r) => r.variant === v)!.reward!;
    expect(reward('b0')).toBeCloseTo(0.763 * 0.6 ** -0.07, 12);
    expect(reward('b3')).toBeCloseTo(0.811 * 2.3 ** -0.07, 12);
  });

  it('leaves out a variant whose every run on the device is flagged: it has no latency to rank', () => {
    const sut = rankByReward(comparison([row('b0', 60, 390, 76.3), row('busy', null, 390, 77)]), { targetMs: 100, constraint: 'soft' });
    expect(sut.devices[0]!.rows.map((r) => r.variant)).toEqual(['b0']);
  });

  it('uses given exponents over the preset', () => {
    const sut = rankByReward(c, { targetMs: 100, constraint: 'soft', beta: -2 });
    expect(sut).toMatchObject({ alpha: -0.07, beta: -2 });
    expect(sut.devices[0]!.rows.find((r) => r.variant === 'b3')!.reward).toBeCloseTo(0.811 * 2.3 ** -2, 12);
  });
});

describe(paretoOf.name, () => {
  it('puts every model of a monotone family on both fronts, and MAdds rank its latency perfectly', () => {
    const sut = paretoOf(c).devices[0]!;
    expect(sut.accuracyFront).toEqual(['b0', 'b1', 'b2', 'b3']);
    expect(sut.maddsFront).toEqual(['b0']);
    expect(sut.maddsLatencyCorrelation).toEqual({ rho: 1, n: 5 });
  });

  it('leaves out a variant without a latency on the device', () => {
    const sut = paretoOf(comparison([row('a', 10, 300, 70), row('busy', null, 100, 72)])).devices[0]!;
    expect(sut.points.map((p) => p.variant)).toEqual(['a']);
    expect(sut.accuracyFront).toEqual(['a']);
  });

  it('drops a model that is slower and less accurate than another, and MAdds that mislead lower ρ', () => {
    const sut = paretoOf(comparison([row('a', 10, 300, 70), row('b', 12, 100, 69), row('c', 14, 200, 72)])).devices[0]!;
    expect(sut.accuracyFront).toEqual(['a', 'c']);
    expect(sut.maddsFront).toEqual(['a', 'b']);
    expect(sut.maddsLatencyCorrelation?.rho).toBeCloseTo(-0.5, 12);
  });
});
