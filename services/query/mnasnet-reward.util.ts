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

/** Where a latency comes from: measured by the fleet, or predicted by a device's latency predictor (never mixed up in a ranking). */
export type LatencySource = 'measured' | 'predicted';

export interface SourcedLatency {
  ms: number;
  source: LatencySource;
  /** a predicted latency's interval (the predictor's held-out errors); absent for a measured one */
  intervalMs?: { low: number; high: number };
}

export interface SourcedReward {
  reward: number;
  latencyMs: number;
  latencySource: LatencySource;
  /** the reward over the latency's interval (a faster latency never earns less): [at the high end, at the low end] */
  rewardRange: { low: number; high: number } | null;
  withinTarget: boolean;
}

/** The MnasNet reward of a measured or predicted latency, marked with its source; a predicted one carries the reward over its interval. */
export function sourcedReward(accuracy: number, latency: SourcedLatency, target: number, exponents: RewardExponents): SourcedReward {
  const reward = mnasnetReward(accuracy, latency.ms, target, exponents);
  const range = latency.intervalMs;
  return {
    reward,
    latencyMs: latency.ms,
    latencySource: latency.source,
    rewardRange: range
      ? {
          low: mnasnetReward(accuracy, Math.max(range.high, latency.ms), target, exponents),
          high: mnasnetReward(accuracy, Math.max(1e-9, Math.min(range.low, latency.ms)), target, exponents),
        }
      : null,
    withinTarget: latency.ms <= target,
  };
}
