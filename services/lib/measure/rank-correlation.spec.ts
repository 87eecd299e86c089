import { describe, expect, it } from 'vitest';
import { averageRanks, spearman } from './rank-correlation.js';

describe(averageRanks.name, () => {
  it('gives tied values the mean of their ranks', () => {
    expect(averageRanks([10, 30, 20, 30])).toEqual([1, 3.5, 2, 3.5]);
  });
});

describe(spearman.name, () => {
  it('is 1 for any increasing relation and -1 for a decreasing one', () => {
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 64])?.rho).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [9, 4, 1, 0])?.rho).toBeCloseTo(-1, 12);
  });

  it.each([
    // scipy 1.17 stats.spearmanr(x, y).statistic
    { x: [1, 2, 3, 4, 5], y: [5, 6, 7, 8, 7], rho: 0.8207826816681233 },
    { x: [216.6, 216.6, 180.2, 56.1, 300.4, 219.0], y: [3.78, 4.19, 3.1, 1.2, 5.9, 3.34], rho: 0.8116794499134278 },
  ])('matches scipy with ties (%#)', ({ x, y, rho }) => {
    const sut = spearman(x, y);
    expect(sut?.rho).toBeCloseTo(rho, 10);
    expect(sut?.n).toBe(x.length);
  });

  it('is undefined for fewer than 3 pairs or a constant side', () => {
    expect(spearman([1, 2], [2, 1])).toBeNull();
    expect(spearman([1, 2, 3], [4, 4, 4])).toBeNull();
  });
});
