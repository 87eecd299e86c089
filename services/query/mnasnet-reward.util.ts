export type LatencyConstraint = 'soft' | 'hard';

export interface RewardExponents {
  /** exponent while the latency is within the target */
  alpha: number;
  /** exponent once the latency exceeds the target */
  beta: number;
}

/** MnasNet (Tan et al. 2019, eq. 2): soft α = β = −0.07; hard α = 0, β = −1. */
export const REWARD_EXPONENTS: Record<LatencyConstraint, RewardExponents> = {
  soft: { alpha: -0.07, beta: -0.07 },
  hard: { alpha: 0, beta: -1 },
};

/** ACC(m) · (LAT(m) / T)^w with w = α when LAT ≤ T, else β. Accuracy as a fraction (0..1). */
export function mnasnetReward(accuracy: number, latency: number, target: number, { alpha, beta }: RewardExponents): number {
  if (!(latency > 0) || !(target > 0)) throw new RangeError(`mnasnetReward: latency ${latency} and target ${target} must be positive`);
  return accuracy * (latency / target) ** (latency <= target ? alpha : beta);
}
