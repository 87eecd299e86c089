import { describe, expect, it } from 'vitest';
import { compileBoostedTrees, DEFAULT_BOOSTED_TREES, fitBoostedTrees, predictBoostedTrees, predictCompiled, predictTree, type RegressionTree } from './boosted-trees.js';

describe('boosted trees', () => {
  it('walks a tree left at or below the threshold', () => {
    const tree: RegressionTree = { feature: [1, -1, -1], threshold: [2.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, 10, 20] };
    expect([predictTree(tree, [0, 2.5]), predictTree(tree, [0, 2.6])]).toEqual([10, 20]);
  });

  it('learns an interaction of a step and a category that no single split explains', () => {
    const x: number[][] = [];
    const y: number[] = [];
    for (let a = 0; a < 20; a++) {
      for (const c of [0, 1, 2]) {
        x.push([a, c]);
        y.push((a >= 10 ? 1 : 0) + (c === 2 ? 0.5 * a : 0));
      }
    }
    const model = fitBoostedTrees(x, y, null, { ...DEFAULT_BOOSTED_TREES, trees: 300, subsample: 1, lambda: 0, minLeafWeight: 1 });
    const errors = x.map((r, i) => Math.abs(predictBoostedTrees(model, r) - y[i]!));
    expect(Math.max(...errors)).toBeLessThan(0.05);
  });

  it('weights rows: a heavy row pulls its leaf toward itself', () => {
    const x = [[0], [0], [1]];
    const y = [0, 1, 5];
    const options = { ...DEFAULT_BOOSTED_TREES, trees: 200, subsample: 1, lambda: 0, minLeafWeight: 0.5 };
    const heavy = fitBoostedTrees(x, y, [9, 1, 1], options);
    expect(predictBoostedTrees(heavy, [0])).toBeCloseTo(0.1, 2);
    expect(predictBoostedTrees(fitBoostedTrees(x, y, null, options), [0])).toBeCloseTo(0.5, 2);
  });

  it('is deterministic for a seed and starts from the weighted mean', () => {
    const x = Array.from({ length: 50 }, (_, i) => [i % 7, i % 5]);
    const y = x.map(([a, b]) => a! * b!);
    expect(fitBoostedTrees(x, y, null)).toEqual(fitBoostedTrees(x, y, null));
    expect(fitBoostedTrees(x, y, null, { ...DEFAULT_BOOSTED_TREES, trees: 0 }).base).toBeCloseTo(y.reduce((a, v) => a + v, 0) / y.length, 9);
  });
});

describe('compiled trees', () => {
  it('answer what the trees they were compiled from answer', () => {
    const x = Array.from({ length: 80 }, (_, i) => [i % 9, (i * 7) % 11, i % 2]);
    const y = x.map(([a, b, c]) => a! * 0.3 + (b! > 5 ? 1 : 0) * c!);
    const model = fitBoostedTrees(x, y, null, { ...DEFAULT_BOOSTED_TREES, trees: 30 });
    const sut = compileBoostedTrees(model);
    for (const r of x) expect(predictCompiled(sut, r)).toBeCloseTo(predictBoostedTrees(model, r), 12);
  });
});
