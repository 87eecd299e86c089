import { describe, expect, it } from 'vitest';
import { REWARD_EXPONENTS, mnasnetReward, sourcedReward } from './mnasnet-reward.util.js';

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

describe(sourcedReward.name, () => {
  it('marks a measured latency as measured, with no range', () => {
    expect(sourcedReward(0.75, { ms: 75, source: 'measured' }, 75, REWARD_EXPONENTS.soft)).toEqual({
      reward: 0.75,
      latencyMs: 75,
      latencySource: 'measured',
      rewardRange: null,
      withinTarget: true,
    });
  });

  it('gives a predicted latency the reward over its interval, the slow end lowest', () => {
    const sut = sourcedReward(0.75, { ms: 80, source: 'predicted', intervalMs: { low: 70, high: 90 } }, 75, REWARD_EXPONENTS.hard);
    expect(sut).toMatchObject({ latencySource: 'predicted', withinTarget: false });
    expect(sut.reward).toBeCloseTo(0.75 * (75 / 80), 12);
    expect(sut.rewardRange!.low).toBeCloseTo(0.75 * (75 / 90), 12);
    expect(sut.rewardRange!.high).toBe(0.75);
  });
});
