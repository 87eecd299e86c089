import { describe, expect, it } from 'vitest';
import { summarize } from './stats.js';

describe(summarize.name, () => {
  it('gives the order statistics of unsorted input', () => {
    const sut = summarize([5, 1, 4, 2, 3]);
    expect(sut).toMatchObject({ count: 5, min: 1, median: 3, mean: 3 });
    expect(sut.p90).toBe(5);
  });

  it('takes the mean of the middle pair for an even count', () => {
    expect(summarize([4, 1, 3, 2]).median).toBe(2.5);
  });

  it('refuses an empty sample instead of inventing a number', () => {
    expect(() => summarize([])).toThrow(RangeError);
  });
});
