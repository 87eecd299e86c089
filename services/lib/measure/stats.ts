import { mean, medianAbsoluteDeviation, sampleStandardDeviation } from 'simple-statistics';
import { percentileCont } from './percentile.js';
import { SeededRandom } from './seeded-random.js';

export interface ConfidenceInterval {
  low: number;
  high: number;
  /** e.g. 0.95 */
  level: number;
}

export interface BootstrapOptions {
  /** number of bootstrap resamples (default 2000) */
  resamples?: number;
  /** PRNG seed: the same seed and data give the same interval */
  seed?: number;
  /** confidence level (default 0.95) */
  level?: number;
}

export interface LatencyStats {
  count: number;
  min: number;
  max: number;
  median: number;
  mean: number;
  p90: number;
  p99: number;
  /** sample standard deviation (n − 1); 0 for a single value */
  std: number;
  /** median absolute deviation from the median (unscaled) */
  mad: number;
  /** coefficient of variation: std / mean */
  cv: number;
  /** percentile bootstrap confidence interval of the median */
  medianCi: ConfidenceInterval;
  /** percentile bootstrap confidence interval of the 90th percentile (nearest rank) */
  p90Ci: ConfidenceInterval;
}

export const DEFAULT_RESAMPLES = 2000;
export const DEFAULT_SEED = 0x5eed;

/** Sorted copy; refuses empty input and non-finite values instead of inventing a number. */
export function sortedFinite(values: readonly number[], what = 'values'): number[] {
  if (values.length === 0) throw new RangeError(`${what}: no values`);
  const sorted = Float64Array.from(values).sort();
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`${what}[${bad}]: ${values[bad]} is not a finite number`);
  return Array.from(sorted);
}

/** Summary statistics of latencies (any unit; the caller keeps units consistent). */
export function summarize(values: readonly number[], options: BootstrapOptions = {}): LatencyStats {
  const sorted = sortedFinite(values, 'summarize');
  const avg = mean(sorted);
  const std = sorted.length > 1 ? sampleStandardDeviation(sorted) : 0;
  return {
    count: sorted.length,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    median: percentileCont(sorted, 0.5),
    mean: avg,
    p90: percentileCont(sorted, 0.9),
    p99: percentileCont(sorted, 0.99),
    std,
    mad: medianAbsoluteDeviation(sorted),
    cv: avg === 0 ? 0 : std / avg,
    medianCi: medianCiOfSorted(sorted, options),
    p90Ci: percentileInterval(
      bootstrapOrderStatisticsOfSorted(sorted, nearestRank(sorted.length, 0.9), options.resamples ?? DEFAULT_RESAMPLES, new SeededRandom(options.seed ?? DEFAULT_SEED)),
      options.level ?? 0.95,
    ),
  };
}

export function median(values: readonly number[]): number {
  return percentileCont(sortedFinite(values, 'median'), 0.5);
}

/** Percentile bootstrap confidence interval of the median. */
export function bootstrapMedianCi(values: readonly number[], options: BootstrapOptions = {}): ConfidenceInterval {
  return medianCiOfSorted(sortedFinite(values, 'bootstrapMedianCi'), options);
}

function medianCiOfSorted(sorted: readonly number[], options: BootstrapOptions): ConfidenceInterval {
  const level = options.level ?? 0.95;
  const medians = bootstrapMediansOfSorted(sorted, options.resamples ?? DEFAULT_RESAMPLES, new SeededRandom(options.seed ?? DEFAULT_SEED));
  return percentileInterval(medians, level);
}

export function percentileInterval(draws: Float64Array, level: number): ConfidenceInterval {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level ${level} is not in (0, 1)`);
  const sorted = Array.from(draws.sort());
  const tail = (1 - level) / 2;
  return { low: percentileCont(sorted, tail), high: percentileCont(sorted, 1 - tail), level };
}

/**
 * Medians of `resamples` bootstrap resamples of a sorted sample, drawn without materialising any
 * resample: resampling n values with replacement picks indices ⌊n·U⌋ of n uniforms, so the k-th
 * smallest picked index is ⌊n·U₍ₖ₎⌋ with U₍ₖ₎ ~ Beta(k, n−k+1); the next order statistic is
 * U₍ₖ₎ plus the minimum of the n−k uniforms above it. This is the ordinary bootstrap distribution
 * of the median exactly, at O(1) per resample instead of O(n).
 */
export function bootstrapMediansOfSorted(sorted: readonly number[], resamples: number, rng: SeededRandom): Float64Array {
  const n = sorted.length;
  if (n === 0) throw new RangeError('bootstrap: no values');
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`bootstrap: ${resamples} resamples`);
  const at = (u: number) => sorted[Math.min(n - 1, Math.floor(n * u))]!;
  const out = new Float64Array(resamples);
  const k = n % 2 === 1 ? (n + 1) / 2 : n / 2;
  for (let b = 0; b < resamples; b++) {
    const lower = rng.beta(k, n - k + 1);
    if (n % 2 === 1) {
      out[b] = at(lower);
    } else {
      const upper = lower + (1 - lower) * (1 - rng.open() ** (1 / (n - k)));
      out[b] = (at(lower) + at(upper)) / 2;
    }
  }
  return out;
}

/** 1-based rank of the p-quantile by the nearest-rank rule: ⌈n·p⌉, within 1..n. */
export function nearestRank(n: number, p: number): number {
  return Math.min(n, Math.max(1, Math.ceil(n * p)));
}

/** Bootstrap draws of the k-th smallest value (1-based) of a sorted sample: ⌊n·Beta(k, n−k+1)⌋ picks it, as for the median. */
export function bootstrapOrderStatisticsOfSorted(sorted: readonly number[], k: number, resamples: number, rng: SeededRandom): Float64Array {
  const n = sorted.length;
  if (n === 0) throw new RangeError('bootstrap: no values');
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`bootstrap: rank ${k} outside 1..${n}`);
  const out = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) out[b] = sorted[Math.min(n - 1, Math.floor(n * rng.beta(k, n - k + 1)))]!;
  return out;
}

/** Percentile bootstrap confidence interval of the p-quantile (nearest rank). */
export function bootstrapQuantileCi(values: readonly number[], p: number, options: BootstrapOptions = {}): ConfidenceInterval {
  if (!(p > 0 && p < 1)) throw new RangeError(`quantile ${p} is not in (0, 1)`);
  const sorted = sortedFinite(values, 'bootstrapQuantileCi');
  const draws = bootstrapOrderStatisticsOfSorted(sorted, nearestRank(sorted.length, p), options.resamples ?? DEFAULT_RESAMPLES, new SeededRandom(options.seed ?? DEFAULT_SEED));
  return percentileInterval(draws, options.level ?? 0.95);
}

/** Half-width of the median's confidence interval relative to the median (the larger side). */
export function relativeCiHalfWidth(median: number, ci: ConfidenceInterval): number {
  if (median === 0) return Number.POSITIVE_INFINITY;
  return Math.max(median - ci.low, ci.high - median) / Math.abs(median);
}
