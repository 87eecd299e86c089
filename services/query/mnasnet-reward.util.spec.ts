import { describe, expect, it } from 'vitest';
import { REWARD_EXPONENTS, mnasnetReward } from './mnasnet-reward.util.js';

describe(mnasnetReward.name, () => {
  it('is the accuracy itself at the target, whatever the exponents', () => {
    expect(mnasnetReward(0.752, 75, 75, REWARD_EXPONENTS.soft)).toBe(0.752);
    expect(mnasnetReward(0.752, 75, 75, REWARD_EXPONENTS.hard)).toBe(0.752);
  });

  it('soft: twice as slow costs a factor 2^-0.07 (about 4.7%), twice as fast gains as much', () => {
    expect(mnasnetReward(0.75, 150, 75, REWARD_EXPONENTS.soft)).toBeCloseTo(0.75 * 0.952638, 6);
    expect(mnasnetReward(0.75, 37.5, 75, REWARD_EXPONENTS.soft)).toBeCloseTo(0.75 / 0.952638, 6);
  });

  it('hard: nothing for being faster, the accuracy scaled by T/LAT beyond the target', () => {
    expect(mnasnetReward(0.75, 30, 75, REWARD_EXPONENTS.hard)).toBe(0.75);
    expect(mnasnetReward(0.75, 100, 75, REWARD_EXPONENTS.hard)).toBeCloseTo(0.75 * 0.75, 12);
  });

  it('refuses a latency or target that is not positive', () => {
    expect(() => mnasnetReward(0.7, 0, 75, REWARD_EXPONENTS.soft)).toThrow(RangeError);
    expect(() => mnasnetReward(0.7, 10, -1, REWARD_EXPONENTS.soft)).toThrow(RangeError);
  });
});
