import { describe, expect, it } from 'vitest';
import { compareMedians, SeededRandom } from '../lib/measure/index.js';
import { compareSamples, sampleStats, seedOf } from './latency-statistics.js';

const rng = new SeededRandom(9);
const noisy = (center: number, n: number) => Array.from({ length: n }, () => center * (1 + 0.01 * rng.normal())).sort((a, b) => a - b);

describe(compareSamples.name, () => {
  it('reaches the verdicts compareMedians reaches, on the same samples', () => {
    for (const [a, b] of [
      [noisy(10_000, 200), noisy(10_300, 200)],
      [noisy(10_000, 200), noisy(9_800, 150)],
      [noisy(10_000, 200), noisy(10_000, 200)],
      [noisy(5, 30), noisy(5.01, 30)],
    ] as const) {
      const sut = compareSamples(sampleStats(a, 'a', 0.95), sampleStats(b, 'b', 0.95), 0.95);
      const reference = compareMedians(a, b);
      expect(sut.verdict).toBe(reference.verdict);
      expect(sut.pValue).toBe(reference.mannWhitney.pValue);
      expect(sut.difference).toBeCloseTo(reference.difference, 9);
      // Both are percentile intervals of 2000 bootstrap differences: equal up to resampling noise.
      const width = reference.differenceCi.high - reference.differenceCi.low;
      expect(Math.abs(sut.differenceCi.low - reference.differenceCi.low)).toBeLessThan(0.15 * width);
      expect(Math.abs(sut.differenceCi.high - reference.differenceCi.high)).toBeLessThan(0.15 * width);
    }
  });

  it('draws each sample independently: identical samples under different identities still give an interval around 0', () => {
    const a = noisy(100, 101);
    const sut = compareSamples(sampleStats(a, 'run-1', 0.95), sampleStats(a, 'run-2', 0.95), 0.95);
    expect(sut.differenceCi.low).toBeLessThan(0);
    expect(sut.differenceCi.high).toBeGreaterThan(0);
  });
});

describe('compareSamples with lazyPValue', () => {
  it('skips the U test only where the interval already says within noise', () => {
    const a = noisy(100, 40);
    const same = compareSamples(sampleStats(a, 'a', 0.95), sampleStats(noisy(100, 40), 'b', 0.95), 0.95, { lazyPValue: true });
    const slower = compareSamples(sampleStats(a, 'a', 0.95), sampleStats(noisy(110, 40), 'c', 0.95), 0.95, { lazyPValue: true });
    expect(same).toMatchObject({ verdict: 'within noise', pValue: null });
    expect(slower.verdict).toBe('slower');
    expect(slower.pValue).toBeLessThan(0.05);
  });
});

describe(sampleStats.name, () => {
  it('is reproducible for one identity and leaves its draws unsorted for pairing', () => {
    const a = noisy(100, 51);
    const first = sampleStats(a, 'x', 0.95);
    expect(sampleStats(a, 'x', 0.95)).toEqual(first);
    expect([...first.draws].sort((p, q) => p - q)).not.toEqual([...first.draws]);
    expect(first.ci.low).toBeLessThanOrEqual(first.median);
    expect(first.ci.high).toBeGreaterThanOrEqual(first.median);
    expect(seedOf('x')).not.toBe(seedOf('y'));
  });
});
