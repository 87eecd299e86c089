import { describe, expect, it } from 'vitest';
import { apportion, blockOfLayer, breakdownBy, byBlock, byLayer, byLayerOp, byOpType, layerSumRatio, SESSION_OVERHEAD } from './aggregation.js';
import type { NodeTiming } from './ort-profile.js';

const t = (iteration: number, nodeName: string, layer: string, durationNs: number, opType = 'Conv'): NodeTiming => ({
  iteration,
  nodeName,
  opType,
  provider: 'CPUExecutionProvider',
  durationNs,
  layer,
});

// three profiled runs; blocks.0.dw has two kernels; a reorder nothing claims; blocks.0.se skips run 2
const timings = [
  t(0, 'stem.conv', 'stem', 100),
  t(0, 'blocks.0.dw.conv', 'blocks.0.dw', 50),
  t(0, 'Mul_7', 'blocks.0.dw', 10, 'Mul'),
  t(0, 'ReorderOutput', '', 5, 'ReorderOutput'),
  t(0, 'blocks.0.se.gate', 'blocks.0.se', 20),
  t(1, 'stem.conv', 'stem', 120),
  t(1, 'blocks.0.dw.conv', 'blocks.0.dw', 40),
  t(1, 'Mul_7', 'blocks.0.dw', 10, 'Mul'),
  t(1, 'ReorderOutput', '', 5, 'ReorderOutput'),
  t(1, 'blocks.0.se.gate', 'blocks.0.se', 30),
  t(2, 'stem.conv', 'stem', 110),
  t(2, 'blocks.0.dw.conv', 'blocks.0.dw', 60),
  t(2, 'Mul_7', 'blocks.0.dw', 10, 'Mul'),
  t(2, 'ReorderOutput', '', 5, 'ReorderOutput'),
];

describe(breakdownBy.name, () => {
  it('gives per-layer medians over runs, shares, and the unattributed bucket last', () => {
    const sut = breakdownBy(timings, byLayer);

    expect(sut.iterations).toBe(3);
    expect(sut.groups.map((g) => [g.key, g.medianNs, g.nodes])).toEqual([
      ['stem', 110, 1],
      ['blocks.0.dw', 60, 2], // per-run sums 60, 50, 70
      ['blocks.0.se', 20, 1], // 20, 30 and 0 in the run it is absent from
      ['', 5, 1],
    ]);
    expect(sut.sumOfMediansNs).toBe(195);
    expect(sut.groups[0]!.share).toBeCloseTo(110 / 195, 12);
    expect(sut.unattributedShare).toBeCloseTo(5 / 195, 12);
    expect(sut.kernelMedianNs).toBe(185); // run totals 185, 205, 185
  });

  it('groups by block and by op type', () => {
    expect(breakdownBy(timings, byBlock()).groups.map((g) => [g.key, g.medianNs])).toEqual([
      ['stem', 110],
      ['blocks.0', 80], // 80, 80, 70
      ['', 5],
    ]);
    expect(breakdownBy(timings, byOpType).groups.map((g) => [g.key, g.medianNs])).toEqual([
      ['Conv', 170],
      ['Mul', 10],
      ['ReorderOutput', 5],
    ]);
    const ops = byLayerOp([
      { name: 'stem', op: 'conv' },
      { name: 'blocks.0.dw', op: 'dwconv' },
      { name: 'blocks.0.se', op: 'se' },
    ]);
    expect(breakdownBy(timings, ops).groups.map((g) => g.key)).toEqual(['conv', 'dwconv', 'se', '']);
  });

  it('uses the builder’s block table when given', () => {
    const key = byBlock([{ name: 'classifier', block: 'head' }]);
    expect(key(t(0, 'classifier', 'classifier', 1))).toBe('head');
    expect(key(t(0, 'x', '', 1))).toBe('');
  });

  it('is empty for no timings', () => {
    expect(breakdownBy([], byLayer, { sessionOverheadNs: [5] })).toEqual({
      groups: [],
      iterations: 0,
      sumOfMediansNs: 0,
      totalSumOfMediansNs: 0,
      kernelMedianNs: 0,
      runMedianNs: 0,
      unattributedShare: 0,
    });
  });
});

describe('breakdownBy with executor overhead', () => {
  // two runs of 100 and 120 ns (model_run): per node kernel + overhead, the rest session overhead
  const run = (iteration: number, [stem, stemGap]: number[], [mul, mulGap]: number[], [reorder, reorderGap]: number[]) => [
    { ...t(iteration, 'stem.conv', 'stem', stem!), overheadNs: stemGap },
    { ...t(iteration, 'Mul_7', 'stem', mul!, 'Mul'), overheadNs: mulGap },
    { ...t(iteration, 'ReorderOutput', '', reorder!, 'ReorderOutput'), overheadNs: reorderGap },
  ];
  const withGaps = [...run(0, [50, 4], [10, 6], [5, 5]), ...run(1, [60, 6], [12, 8], [5, 9])];
  const sessionOverheadNs = [20, 20];

  it('reports kernel and overhead per group, the session bucket after the unattributed one', () => {
    const sut = breakdownBy(withGaps, byLayer, { sessionOverheadNs });

    expect(sut.groups.map((g) => [g.key, g.medianNs, g.overheadMedianNs, g.totalMedianNs, g.nodes])).toEqual([
      ['stem', 66, 12, 78, 2], // kernels 60 | 72, overheads 10 | 14
      ['', 5, 7, 12, 1],
      [SESSION_OVERHEAD, 0, 20, 20, 0],
    ]);
    expect(sut.sumOfMediansNs).toBe(71);
    expect(sut.totalSumOfMediansNs).toBe(110);
    expect(sut.runMedianNs).toBe(110); // 100 and 120: each run's time, all of it
    expect(sut.groups.reduce((s, g) => s + g.totalShare, 0)).toBeCloseTo(1, 12);
    expect(sut.unattributedShare).toBeCloseTo(5 / 71, 12);
  });

  it('keeps the kernel figures of timings without overhead and adds no session bucket unless given one', () => {
    const sut = breakdownBy(timings, byLayer);

    expect(sut.groups.every((g) => g.overheadMedianNs === 0 && g.totalMedianNs === g.medianNs && g.totalShare === g.share)).toBe(true);
    expect(sut.groups.map((g) => g.key)).not.toContain(SESSION_OVERHEAD);
  });

  it('gives both ratios and both estimates', () => {
    const sut = breakdownBy(withGaps, byLayer, { sessionOverheadNs });

    expect(layerSumRatio(sut, 110)).toBeCloseTo(71 / 110, 12);
    expect(layerSumRatio(sut, 110, 'with-overhead')).toBe(1);
    expect(apportion(sut, 220).map((g) => [g.key, Math.round(g.estimatedNs), g.estimatedWithOverheadNs])).toEqual([
      ['stem', Math.round((66 / 71) * 220), 156],
      ['', Math.round((5 / 71) * 220), 24],
      [SESSION_OVERHEAD, 0, 40],
    ]);
  });
});

describe(blockOfLayer.name, () => {
  it.each([
    ['blocks.12.se', 'blocks.12'],
    ['stem', 'stem'],
    ['head.pool', 'head'],
    ['', ''],
  ])('%s → %s', (layer, block) => expect(blockOfLayer(layer)).toBe(block));
});

describe(layerSumRatio.name, () => {
  it('relates the per-layer table to an end-to-end median', () => {
    expect(layerSumRatio(breakdownBy(timings, byLayer), 200)).toBeCloseTo(0.975, 12);
    expect(() => layerSumRatio(breakdownBy(timings, byLayer), 0)).toThrow(RangeError);
  });
});

describe(apportion.name, () => {
  it('splits an end-to-end median by the profiled shares', () => {
    const sut = apportion(breakdownBy(timings, byLayer), 390);

    expect(sut.map((g) => [g.key, g.estimatedNs])).toEqual([
      ['stem', 220],
      ['blocks.0.dw', 120],
      ['blocks.0.se', 40],
      ['', 10],
    ]);
  });
});
