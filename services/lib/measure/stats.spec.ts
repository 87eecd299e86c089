import { describe, expect, it } from 'vitest';
import { SeededRandom } from './seeded-random.js';
import { bootstrapMedianCi, bootstrapMediansOfSorted, bootstrapQuantileCi, median, relativeCiHalfWidth, summarize } from './stats.js';

/** P(X ≥ k) for X ~ Binomial(n, p). */
function binomialUpperTail(n: number, p: number, k: number): number {
  let sum = 0;
  let coef = 1;
  for (let i = 0; i <= n; i++) {
    if (i > 0) coef = (coef * (n - i + 1)) / i;
    if (i >= k) sum += coef * p ** i * (1 - p) ** (n - i);
  }
  return sum;
}

describe(summarize.name, () => {
  it('gives the order statistics of unsorted input', () => {
    const sut = summarize([5, 1, 4, 2, 3]);
    expect(sut).toMatchObject({ count: 5, min: 1, max: 5, median: 3, mean: 3 });
    // percentile_cont(0.9) over 1..5 (Postgres): 4 + 0.6 × (5 − 4)
    expect(sut.p90).toBeCloseTo(4.6, 12);
  });

  it('takes the mean of the middle pair for an even count', () => {
    expect(summarize([4, 1, 3, 2]).median).toBe(2.5);
  });

  it('gives the dispersion figures of a textbook sample', () => {
    // numpy: std(ddof=1) = 2.138089935299395; scipy median_abs_deviation = 0.5
    const sut = summarize([2, 4, 4, 4, 5, 5, 7, 9]);

    expect(sut.mean).toBe(5);
    expect(sut.std).toBeCloseTo(2.138089935299395, 12);
    expect(sut.mad).toBe(0.5);
    expect(sut.cv).toBeCloseTo(2.138089935299395 / 5, 12);
  });

  it('has no spread for a single value', () => {
    expect(summarize([7])).toMatchObject({ std: 0, mad: 0, cv: 0, medianCi: { low: 7, high: 7 } });
  });

  it('refuses an empty sample instead of inventing a number', () => {
    expect(() => summarize([])).toThrow(RangeError);
  });

  it.each([[Number.NaN], [Number.POSITIVE_INFINITY]])('refuses %s, naming its index', (bad) => {
    expect(() => summarize([1, 2, bad])).toThrow(/\[2\]/);
  });
});

describe(median.name, () => {
  it('does not reorder its input', () => {
    const input = [3, 1, 2];
    expect(median(input)).toBe(2);
    expect(input).toEqual([3, 1, 2]);
  });
});

describe(bootstrapMedianCi.name, () => {
  const sample = Array.from({ length: 41 }, (_, i) => 100 + ((i * 37) % 41));

  it('is deterministic for a seed and brackets the median', () => {
    const a = bootstrapMedianCi(sample, { seed: 7 });
    const b = bootstrapMedianCi(sample, { seed: 7 });

    expect(a).toEqual(b);
    expect(a.low).toBeLessThan(median(sample));
    expect(a.high).toBeGreaterThan(median(sample));
    expect(a.level).toBe(0.95);
  });

  it('matches the exact bootstrap distribution of the median for an odd count', () => {
    // For odd n, P(resample median ≤ x₍ⱼ₎) = P(Binomial(n, j/n) ≥ (n+1)/2): the percentile interval is known exactly.
    const n = 21;
    const values = Array.from({ length: n }, (_, i) => i + 1);
    const cdf = (j: number) => binomialUpperTail(n, j / n, (n + 1) / 2);
    const quantile = (p: number) => values.find((j) => cdf(j) >= p)!;

    const sut = bootstrapMedianCi(values, { resamples: 40_000, seed: 3 });

    // scipy binom.sf(10, 21, j/21): j=6 → 0.0183, j=7 → 0.0557, j=14 → 0.9443, j=15 → 0.9817
    expect([quantile(0.025), quantile(0.975)]).toEqual([7, 15]);
    expect(sut).toMatchObject({ low: 7, high: 15 });
  });

  it('matches a resampling bootstrap for an even count', () => {
    const values = Array.from({ length: 20 }, (_, i) => (i + 1) ** 1.5);
    const rng = new SeededRandom(11);
    const naive = Array.from({ length: 20_000 }, () => median(values.map(() => values[Math.floor(rng.uniform() * values.length)]!)));
    const fast = bootstrapMediansOfSorted(values, 20_000, new SeededRandom(12));
    const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((s, x) => s + x, 0) / xs.length;
    const below = (xs: ArrayLike<number>, t: number) => Array.from(xs).filter((x) => x <= t).length / xs.length;

    expect(mean(fast)).toBeCloseTo(mean(naive), 0);
    for (const t of [values[6]!, values[9]!, values[12]!]) expect(Math.abs(below(fast, t) - below(naive, t))).toBeLessThan(0.02);
  });

  it('covers the true median about 95% of the time', () => {
    const rng = new SeededRandom(5);
    const trials = 400;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const draws = Array.from({ length: 61 }, () => rng.normal());
      const ci = bootstrapMedianCi(draws, { resamples: 1000, seed: t });
      if (ci.low <= 0 && ci.high >= 0) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.9);
    expect(covered / trials).toBeLessThan(0.99);
  });
});

describe(bootstrapQuantileCi.name, () => {
  it('matches the exact bootstrap distribution of the 90th percentile', () => {
    // nearest rank k = ⌈0.9·50⌉ = 45; P(resample k-th ≤ x₍ⱼ₎) = P(Binomial(50, j/50) ≥ 45)
    const n = 50;
    const values = Array.from({ length: n }, (_, i) => i + 1);
    const cdf = (j: number) => binomialUpperTail(n, j / n, 45);
    const quantile = (q: number) => values.find((j) => cdf(j) >= q)!;

    const sut = bootstrapQuantileCi(values, 0.9, { resamples: 40_000, seed: 4 });

    // scipy binom.sf(44, 50, j/50): j=39 → 0.0233, j=40 → 0.0480, j=47 → 0.9224, j=48 → 0.9856
    expect([quantile(0.025), quantile(0.975)]).toEqual([40, 48]);
    expect(sut).toMatchObject({ low: 40, high: 48 });
  });

  it('is part of the summary', () => {
    const sut = summarize(Array.from({ length: 200 }, (_, i) => i));
    expect(sut.p90Ci.low).toBeLessThanOrEqual(sut.p90);
    expect(sut.p90Ci.high).toBeGreaterThanOrEqual(sut.p90);
  });
});

describe(relativeCiHalfWidth.name, () => {
  it('takes the wider side', () => {
    expect(relativeCiHalfWidth(100, { low: 99, high: 103, level: 0.95 })).toBeCloseTo(0.03, 12);
  });
});
