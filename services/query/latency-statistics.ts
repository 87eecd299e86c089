import { createHash } from 'node:crypto';
import { bootstrapMediansOfSorted, DEFAULT_RESAMPLES, mannWhitneyU, percentileInterval, SeededRandom, type ConfidenceInterval } from '../lib/measure/index.js';
import { percentileCont } from './percentile.util.js';

/** One sample's bootstrap, computed once and reused for its CI and for every comparison it takes part in. */
export interface SampleStats {
  /** ascending */
  sorted: readonly number[];
  median: number;
  p90: number;
  ci: ConfidenceInterval;
  /** bootstrap medians in draw order (not sorted: comparisons pair them by index) */
  draws: Float64Array;
}

export interface SampleComparison {
  /** candidate − baseline */
  difference: number;
  relativeDifference: number;
  /** percentile interval of the difference of independent bootstrap medians */
  differenceCi: ConfidenceInterval;
  /** two-sided Mann–Whitney U; null when skipped because the interval already contains 0 (`lazyPValue`) */
  pValue: number | null;
  significant: boolean;
  verdict: 'faster' | 'slower' | 'within noise';
}

/** A seed from the sample's identity: reproducible answers, and independent draws for different samples. */
export function seedOf(identity: string): number {
  return createHash('sha256').update(identity).digest().readInt32LE(0);
}

export function sampleStats(sorted: readonly number[], identity: string, level: number, resamples = DEFAULT_RESAMPLES): SampleStats {
  const draws = bootstrapMediansOfSorted(sorted, resamples, new SeededRandom(seedOf(identity)));
  return {
    sorted,
    median: percentileCont(sorted, 0.5),
    p90: percentileCont(sorted, 0.9),
    ci: percentileInterval(Float64Array.from(draws), level),
    draws,
  };
}

/**
 * Whether the candidate's median differs from the baseline's beyond noise, by the rule of
 * `compareMedians` (services/lib/measure/comparison.ts): the bootstrap interval of the median
 * difference excludes 0 and the Mann–Whitney U test rejects at 1 − level. Each sample's bootstrap
 * is drawn once (`sampleStats`) instead of once per pair: an n-variant comparison costs n bootstraps.
 * `lazyPValue` skips the U test (exact, hence costly, for small samples) where the interval alone
 * already decides "within noise".
 */
export function compareSamples(base: SampleStats, cand: SampleStats, level: number, opts: { lazyPValue?: boolean } = {}): SampleComparison {
  const n = Math.min(base.draws.length, cand.draws.length);
  const diffs = new Float64Array(n);
  for (let i = 0; i < n; i++) diffs[i] = cand.draws[i]! - base.draws[i]!;
  const differenceCi = percentileInterval(diffs, level);
  const difference = cand.median - base.median;
  const relativeDifference = base.median === 0 ? (difference === 0 ? 0 : Math.sign(difference) * Number.POSITIVE_INFINITY) : difference / base.median;
  const excludesZero = differenceCi.low > 0 || differenceCi.high < 0;
  // Both tests must reject: when the interval does not, the U test cannot change the verdict.
  const pValue = excludesZero || !opts.lazyPValue ? mannWhitneyU(base.sorted, cand.sorted).pValue : null;
  const significant = excludesZero && pValue !== null && pValue < 1 - level;
  return { difference, relativeDifference, differenceCi, pValue, significant, verdict: !significant ? 'within noise' : difference > 0 ? 'slower' : 'faster' };
}
