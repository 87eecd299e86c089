import { describe, expect, it } from 'vitest';
import { compareMedians, mannWhitneyU, normalUpperTail } from './comparison.js';
import { SeededRandom } from './seeded-random.js';

describe(mannWhitneyU.name, () => {
  // Reference values: scipy 1.17 stats.mannwhitneyu(a, b, alternative='two-sided', method=...)
  it.each([
    { a: [1.1, 2.3, 3.5, 4.2, 5.9], b: [6.1, 7.4, 8.0, 9.3, 10.2, 11.7], u: 0, p: 0.004329004329004329, method: 'exact' },
    { a: [3, 5, 1, 9, 7], b: [2, 8, 4, 6, 10], u: 10, p: 0.6904761904761905, method: 'exact' },
    { a: [12.1, 14.3, 11.9, 13.4, 15.0, 12.8, 13.9], b: [14.2, 16.5, 15.1, 17.3, 15.8, 16.0, 14.9, 18.2], u: 3, p: 0.0021756021756021756, method: 'exact' },
    { a: [1, 2, 2, 3, 3, 3, 4], b: [3, 4, 4, 5, 5, 6], u: 3.5, p: 0.012999854364387305, method: 'asymptotic' },
  ])('gives scipy’s U and p for %#', ({ a, b, u, p, method }) => {
    const sut = mannWhitneyU(a, b);

    expect(sut.u).toBe(u);
    expect(sut.method).toBe(method);
    expect(sut.pValue).toBeCloseTo(p, 6);
  });

  it('stays exact up to 2500 pairs and switches to the normal approximation beyond (scipy values)', () => {
    const a = Array.from({ length: 60 }, (_, i) => i + 1);
    const b = a.map((x) => x + 10.5);

    const small = mannWhitneyU(a.slice(0, 30), b.slice(0, 30));
    expect(small).toMatchObject({ method: 'exact', u: 190 });
    expect(small.pValue / 7.21501775620137e-5).toBeCloseTo(1, 6);

    const large = mannWhitneyU(a, b);
    expect(large).toMatchObject({ method: 'asymptotic', u: 1225 });
    expect(large.pValue / 0.0025668879435241754).toBeCloseTo(1, 5);
  });

  it('is symmetric: swapping the samples keeps the p-value and mirrors U', () => {
    const a = [5, 7, 9, 11, 13];
    const b = [6, 8, 10, 20, 30, 40];
    const ab = mannWhitneyU(a, b);
    const ba = mannWhitneyU(b, a);

    expect(ba.pValue).toBeCloseTo(ab.pValue, 12);
    expect(ab.u + ba.u).toBe(a.length * b.length);
  });

  it('gives p = 1 for identical constant samples', () => {
    expect(mannWhitneyU([4, 4, 4], [4, 4]).pValue).toBe(1);
  });
});

describe(normalUpperTail.name, () => {
  it.each([
    [0, 0.5],
    [1.959963984540054, 0.025],
    [-1, 0.8413447460685429],
    [6, 9.865876450376946e-10],
  ])('Q(%d) = %d', (z, q) => {
    expect(normalUpperTail(z) / q).toBeCloseTo(1, 5);
  });
});

describe(compareMedians.name, () => {
  const rng = new SeededRandom(1);
  const noisy = (center: number, n: number) => Array.from({ length: n }, () => center * (1 + 0.01 * rng.normal()));

  it('calls a 3% slowdown significant', () => {
    const sut = compareMedians(noisy(10_000, 200), noisy(10_300, 200));

    expect(sut.significant).toBe(true);
    expect(sut.verdict).toBe('slower');
    expect(sut.relativeDifference).toBeGreaterThan(0.02);
    expect(sut.differenceCi.low).toBeGreaterThan(0);
  });

  it('calls two samples from one distribution within noise', () => {
    const sut = compareMedians(noisy(10_000, 200), noisy(10_000, 200));

    expect(sut.verdict).toBe('within noise');
    expect(sut.differenceCi.low).toBeLessThan(0);
    expect(sut.differenceCi.high).toBeGreaterThan(0);
  });

  it('ignores a significant but negligible difference when asked to', () => {
    const base = noisy(10_000, 2000);
    const cand = noisy(10_030, 2000);

    expect(compareMedians(base, cand, { minRelativeDifference: 0.01 }).verdict).toBe('within noise');
  });

  it('is deterministic', () => {
    const a = noisy(5, 50);
    const b = noisy(5.2, 50);
    expect(compareMedians(a, b)).toEqual(compareMedians(a, b));
  });
});
