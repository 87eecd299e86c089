import { quantileSorted } from 'simple-statistics';
import { SeededRandom } from './seeded-random.js';
import { bootstrapMediansOfSorted, DEFAULT_RESAMPLES, DEFAULT_SEED, percentileInterval, sortedFinite, type ConfidenceInterval } from './stats.js';

export interface MannWhitneyResult {
  /** U of the first sample: pairs (a, b) with a > b, ties counting one half */
  u: number;
  /** two-sided p-value */
  pValue: number;
  method: 'exact' | 'asymptotic';
}

/** Exact null distribution is used when there are no ties and n₁·n₂ is at most this. */
const EXACT_MAX_PAIRS = 2_500;

/**
 * Two-sided Mann–Whitney U test (Wilcoxon rank-sum). Exact p-value for small samples without ties;
 * otherwise the normal approximation with tie correction and continuity correction (the same
 * conventions as scipy.stats.mannwhitneyu with method 'exact' / 'asymptotic').
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  const x = sortedFinite(a, 'mannWhitneyU a');
  const y = sortedFinite(b, 'mannWhitneyU b');
  const n1 = x.length;
  const n2 = y.length;
  const n = n1 + n2;
  const pooled = [...x.map((v) => ({ v, first: true })), ...y.map((v) => ({ v, first: false }))].sort((p, q) => p.v - q.v);
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && pooled[j + 1]!.v === pooled[i]!.v) j++;
    const t = j - i + 1;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (pooled[k]!.first) rankSumA += rank;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const u1 = rankSumA - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const big = Math.max(u1, u2);
  if (tieTerm === 0 && n1 * n2 <= EXACT_MAX_PAIRS) {
    return { u: u1, pValue: Math.min(1, 2 * exactUpperTail(n1, n2, big)), method: 'exact' };
  }
  const mu = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u: u1, pValue: 1, method: 'asymptotic' };
  const z = (big - mu - 0.5) / Math.sqrt(variance);
  return { u: u1, pValue: Math.min(1, 2 * normalUpperTail(z)), method: 'asymptotic' };
}

/** P(U ≥ u) under the null for sample sizes n1, n2, by counting arrangements: f(i,j,u) = f(i−1,j,u−j) + f(i,j−1,u). */
function exactUpperTail(n1: number, n2: number, u: number): number {
  const max = n1 * n2;
  // row[j] = counts of U for sizes (i, j), indexed by U value
  let row: Float64Array[] = Array.from({ length: n2 + 1 }, () => Float64Array.of(1));
  for (let i = 1; i <= n1; i++) {
    const next: Float64Array[] = [Float64Array.of(1)];
    for (let j = 1; j <= n2; j++) {
      const counts = new Float64Array(i * j + 1);
      const left = next[j - 1]!; // sizes (i, j−1): the largest value is from the second sample, U unchanged
      const up = row[j]!; // sizes (i−1, j): the largest value is from the first sample, it beats all j
      for (let v = 0; v < left.length; v++) counts[v]! += left[v]!;
      for (let v = 0; v < up.length; v++) counts[v + j]! += up[v]!;
      next.push(counts);
    }
    row = next;
  }
  const dist = row[n2]!;
  let total = 0;
  let tail = 0;
  for (let v = 0; v <= max; v++) {
    total += dist[v]!;
    if (v >= u) tail += dist[v]!;
  }
  return tail / total;
}

/** 1 − Φ(z), accurate in the far tail (erfc, Numerical Recipes' Chebyshev fit, relative error < 1.2e-7). */
export function normalUpperTail(z: number): number {
  return erfc(z / Math.SQRT2) / 2;
}

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export interface CompareOptions {
  /** significance level for both the interval (1 − alpha) and the U test; default 0.05 */
  alpha?: number;
  resamples?: number;
  seed?: number;
  /** differences smaller than this fraction of the baseline median count as noise even when significant; default 0 */
  minRelativeDifference?: number;
}

export interface MedianComparison {
  baselineMedian: number;
  candidateMedian: number;
  /** candidate − baseline */
  difference: number;
  /** difference / baseline median */
  relativeDifference: number;
  /** percentile bootstrap interval of the median difference */
  differenceCi: ConfidenceInterval;
  mannWhitney: MannWhitneyResult;
  /** the interval excludes 0, the U test rejects, and the difference is at least minRelativeDifference */
  significant: boolean;
  /** for latencies: 'slower' means the candidate takes longer */
  verdict: 'faster' | 'slower' | 'within noise';
}

export interface DifferenceJudgement {
  /** candidate − baseline */
  difference: number;
  relativeDifference: number;
  differenceCi: ConfidenceInterval;
  /** null when skipped (`lazyPValue`) because the interval alone already says "within noise" */
  mannWhitney: MannWhitneyResult | null;
  significant: boolean;
  verdict: 'faster' | 'slower' | 'within noise';
}

/**
 * The rule that decides "beyond noise", from samples and their bootstrap medians drawn in
 * advance (paired by index): both the bootstrap interval of the median difference must exclude
 * zero and the Mann–Whitney U test must reject (they guard against different failures: the
 * interval is about the medians, the U test is robust to a few outliers in small samples).
 * `lazyPValue` skips the U test (exact, hence costly, for small samples) where the interval
 * already decides.
 */
export function judgeDifference(input: {
  baseSorted: readonly number[];
  candSorted: readonly number[];
  baseMedian: number;
  candMedian: number;
  baseDraws: ArrayLike<number>;
  candDraws: ArrayLike<number>;
  alpha: number;
  minRelativeDifference?: number;
  lazyPValue?: boolean;
}): DifferenceJudgement {
  const n = Math.min(input.baseDraws.length, input.candDraws.length);
  const diffs = new Float64Array(n);
  for (let i = 0; i < n; i++) diffs[i] = input.candDraws[i]! - input.baseDraws[i]!;
  const differenceCi = percentileInterval(diffs, 1 - input.alpha);
  const difference = input.candMedian - input.baseMedian;
  const relativeDifference =
    input.baseMedian === 0 ? (difference === 0 ? 0 : Number.POSITIVE_INFINITY * Math.sign(difference)) : difference / input.baseMedian;
  const excludesZero = differenceCi.low > 0 || differenceCi.high < 0;
  const mannWhitney = excludesZero || !input.lazyPValue ? mannWhitneyU(input.baseSorted, input.candSorted) : null;
  const significant =
    excludesZero && mannWhitney !== null && mannWhitney.pValue < input.alpha && Math.abs(relativeDifference) >= (input.minRelativeDifference ?? 0);
  return { difference, relativeDifference, differenceCi, mannWhitney, significant, verdict: !significant ? 'within noise' : difference > 0 ? 'slower' : 'faster' };
}

/** Whether the candidate's median differs from the baseline's beyond noise (`judgeDifference`). */
export function compareMedians(baseline: readonly number[], candidate: readonly number[], options: CompareOptions = {}): MedianComparison {
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha ${alpha} is not in (0, 1)`);
  const base = sortedFinite(baseline, 'baseline');
  const cand = sortedFinite(candidate, 'candidate');
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const rng = new SeededRandom(options.seed ?? DEFAULT_SEED);
  const baseDraws = bootstrapMediansOfSorted(base, resamples, rng);
  const candDraws = bootstrapMediansOfSorted(cand, resamples, rng);
  const baselineMedian = quantileSorted(base, 0.5);
  const candidateMedian = quantileSorted(cand, 0.5);
  const j = judgeDifference({
    baseSorted: base,
    candSorted: cand,
    baseMedian: baselineMedian,
    candMedian: candidateMedian,
    baseDraws,
    candDraws,
    alpha,
    minRelativeDifference: options.minRelativeDifference,
  });
  return { baselineMedian, candidateMedian, ...j, mannWhitney: j.mannWhitney! };
}
