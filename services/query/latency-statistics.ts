import { createHash } from 'node:crypto';
import { bootstrapMediansOfSorted, DEFAULT_RESAMPLES, judgeDifference, percentileInterval, SeededRandom, type ConfidenceInterval } from '../lib/measure/index.js';
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
 * Whether the candidate's median differs from the baseline's beyond noise, by the shared rule
 * (`judgeDifference`, services/lib/measure/comparison.ts). Each sample's bootstrap is drawn once
 * (`sampleStats`) instead of once per pair: an n-variant comparison costs n bootstraps.
 */
export function compareSamples(base: SampleStats, cand: SampleStats, level: number, opts: { lazyPValue?: boolean } = {}): SampleComparison {
  const j = judgeDifference({
    baseSorted: base.sorted,
    candSorted: cand.sorted,
    baseMedian: base.median,
    candMedian: cand.median,
    baseDraws: base.draws,
    candDraws: cand.draws,
    alpha: 1 - level,
    lazyPValue: opts.lazyPValue,
  });
  return {
    difference: j.difference,
    relativeDifference: j.relativeDifference,
    differenceCi: j.differenceCi,
    pValue: j.mannWhitney?.pValue ?? null,
    significant: j.significant,
    verdict: j.verdict,
  };
}
