import { describe, expect, it } from 'vitest';
import { percentileCont } from './percentile.js';

describe(percentileCont.name, () => {
  // Postgres 18: SELECT percentile_cont(p) WITHIN GROUP (ORDER BY x) FROM unnest('{1,2,3,4,10}'::float8[]) x
  it.each([
    [0, 1],
    [0.5, 3],
    [0.9, 7.6],
    [1, 10],
    [0.25, 2],
    [0.3, 2.2],
  ])('p = %d gives percentile_cont’s %d', (p, expected) => {
    expect(percentileCont([1, 2, 3, 4, 10], p)).toBeCloseTo(expected, 12);
  });

  it('averages the middle pair for an even count', () => {
    expect(percentileCont([1, 2, 3, 5], 0.5)).toBe(2.5);
  });

  it('refuses an empty sample and a p outside [0, 1]', () => {
    expect(() => percentileCont([], 0.5)).toThrow(RangeError);
    expect(() => percentileCont([1], 1.5)).toThrow(RangeError);
  });
});
