import { describe, expect, it } from 'vitest';
import { makeDivisible, splitChannels } from './channels.js';

describe(makeDivisible.name, () => {
  it.each([
    [16 * 0.75, 16],
    [24 * 0.35, 8],
    [32 * 1.3, 40],
    [960 / 4, 240],
    [72 / 4, 24],
    [3, 8],
  ])('rounds %d to %d', (value, expected) => {
    expect(makeDivisible(value)).toBe(expected);
  });
});

describe(splitChannels.name, () => {
  it('gives the remainder to the first group when equal', () => {
    expect(splitChannels(100, 3)).toEqual([34, 33, 33]);
  });

  it('halves each group when exponential', () => {
    expect(splitChannels(96, 3, 'exponential')).toEqual([48, 24, 24]);
  });

  it('rejects more groups than channels', () => {
    expect(() => splitChannels(2, 3)).toThrow();
  });
});
