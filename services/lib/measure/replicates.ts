import { percentileCont } from './percentile.js';
import { SeededRandom } from './seeded-random.js';
import { bootstrapMediansOfSorted, DEFAULT_RESAMPLES, percentileInterval, type ConfidenceInterval } from './stats.js';
import { studentTQuantile, studentTTwoSidedP } from './student-t.js';

/**
 * Statistics that follow the experiment's design: the unit of replication is a run (a fresh
 * session), not an iteration, and a difference comes from rounds in which the compared variants
 * ran close together on the same device (Kalibera & Jones, "Rigorous Benchmarking in Reasonable
 * Time", ISMM 2013). Iterations of one run share its session, memory placement and host state, so
 * a CI computed from pooled iterations is far too narrow whenever runs differ.
 */

/** Fewer paired rounds than this give no verdict: "undecided". */
export const MIN_ROUNDS = 3;

/** One replicate: a run's timed iterations. */
export interface Replicate {
  runId: string;
  /** the round it was measured in (paired with the other variants' runs of that round on the device); null: in no round */
  round: number | null;
  /** timed latencies, ascending */
  sortedNs: readonly number[];
}

export interface ReplicatedLatency {
  /** median over replicates of each replicate's median */
  median: number;
  /** median over replicates of each replicate's p90 */
  p90: number;
  /** hierarchical bootstrap (replicates, then iterations within them) of `median`; null with fewer than 2 replicates */
  ci: ConfidenceInterval | null;
  replicates: number;
  iterations: number;
}

const medianOfUnsorted = (xs: readonly number[]) => percentileCont(Float64Array.from(xs).sort(), 0.5);

/**
 * A variant's latency from its replicates: the median of the replicates' medians, with a
 * percentile interval from a two-level bootstrap — draw replicates with replacement, then the
 * median of each drawn replicate's iterations resampled — so that the interval carries the
 * between-run variance, which a pooled-iteration bootstrap misses.
 */
export function replicatedLatency(replicates: ReadonlyArray<Pick<Replicate, 'sortedNs'>>, options: { level?: number; resamples?: number; seed?: number } = {}): ReplicatedLatency {
  const reps = replicates.filter((r) => r.sortedNs.length > 0);
  if (reps.length === 0) throw new RangeError('replicatedLatency: no replicate has iterations');
  const medians = reps.map((r) => percentileCont(r.sortedNs, 0.5));
  const p90s = reps.map((r) => percentileCont(r.sortedNs, 0.9));
  const iterations = reps.reduce((s, r) => s + r.sortedNs.length, 0);
  const base = { median: medianOfUnsorted(medians), p90: medianOfUnsorted(p90s), replicates: reps.length, iterations };
  if (reps.length < 2) return { ...base, ci: null };
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const rng = new SeededRandom(options.seed ?? 0x5eed);
  // each replicate's bootstrap medians, drawn once; the outer level picks replicates and consumes them in turn
  const inner = reps.map((r) => bootstrapMediansOfSorted(r.sortedNs, resamples, rng));
  const next = new Array<number>(reps.length).fill(0);
  const n = reps.length;
  const picked = new Array<number>(n);
  const draws = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) {
      const j = Math.min(n - 1, Math.floor(rng.uniform() * n));
      picked[i] = inner[j]![next[j]!++ % resamples]!;
    }
    draws[b] = medianOfUnsorted(picked);
  }
  return { ...base, ci: percentileInterval(draws, options.level ?? 0.95) };
}

export type Verdict = 'faster' | 'slower' | 'within noise' | 'undecided';

/** A difference between two variants, from paired rounds (or, without rounds, from independent replicates). */
export interface PairedDifference {
  /** paired: per round; unpaired: Welch's t over replicates (runs stored before rounds existed) */
  design: 'paired' | 'unpaired';
  /** rounds paired (paired) or the smaller side's replicates (unpaired) */
  rounds: number;
  /** candidate / baseline: the geometric mean of the per-round ratios of medians */
  ratio: number;
  /** confidence interval of the ratio; null when undecided */
  ratioCi: ConfidenceInterval | null;
  /** the CI's half-width in log space as a ratio − 1: the smallest difference this comparison can call (its resolution) */
  minimumDetectable: number | null;
  pValue: number | null;
  verdict: Verdict;
  /** why the verdict is undecided, when it is */
  reason: string | null;
}

/** Per-replicate values (a run's median latency, or a layer's median time in it) of the two sides. */
export interface PairedInput {
  base: ReadonlyArray<{ round: number | null; value: number }>;
  cand: ReadonlyArray<{ round: number | null; value: number }>;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: readonly number[]) => {
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
};

/** Paired rounds' log ratios ln(cand / base): their number, mean and standard error (NaN below 2 rounds). */
export function pairedLogRatio(pairs: ReadonlyArray<{ base: number; cand: number }>): { rounds: number; logRatio: number; se: number } {
  const logs = pairs.map((p) => Math.log(p.cand / p.base));
  return { rounds: logs.length, logRatio: logs.length ? mean(logs) : Number.NaN, se: logs.length > 1 ? Math.sqrt(variance(logs) / logs.length) : Number.NaN };
}

/** Rounds in which both sides have exactly one value (a round with two runs of one variant is ambiguous and left out). */
export function pairByRound(input: PairedInput): Array<{ round: number; base: number; cand: number }> {
  const one = (xs: PairedInput['base']) => {
    const m = new Map<number, number[]>();
    for (const x of xs) if (x.round !== null) m.set(x.round, [...(m.get(x.round) ?? []), x.value]);
    return m;
  };
  const b = one(input.base);
  const c = one(input.cand);
  return [...b.entries()]
    .filter(([r, v]) => v.length === 1 && c.get(r)?.length === 1)
    .map(([round, v]) => ({ round, base: v[0]!, cand: c.get(round)![0]! }))
    .sort((x, y) => x.round - y.round);
}

const undecided = (design: PairedDifference['design'], rounds: number, ratio: number, reason: string): PairedDifference => ({
  design,
  rounds,
  ratio,
  ratioCi: null,
  minimumDetectable: null,
  pValue: null,
  verdict: 'undecided',
  reason,
});

export interface CompareOptions {
  level?: number;
  minRounds?: number;
  /**
   * The device's between-study standard deviation of a paired log ratio (`reproducibility`):
   * how far a study's mean ratio moves between studies measured minutes or days apart, beyond what
   * its own rounds show. Added in quadrature to the rounds' standard error, so that the interval
   * covers what a repeat of the study would find, not only this study's minutes. 0: this study only.
   */
  betweenStudySd?: number;
  /** The part of the between-study SD proportional to the |log ratio| (a fraction: 0.01 = 1% of it); added in quadrature. */
  betweenStudyRelative?: number;
}

/** The between-study SD of a paired log ratio of this size: the device's component and the share that grows with the ratio, in quadrature. */
export function betweenStudySdAt(logRatio: number, sd: number, relative: number): number {
  return Math.hypot(sd, relative * logRatio);
}

/**
 * The ratio candidate / baseline with a t interval on the log ratios of paired rounds: each round's
 * ratio cancels whatever the host did to both variants then (speed state, co-tenants), and the
 * rounds are the independent replicates. "Beyond the noise" when the interval excludes a ratio of 1.
 * Without rounds (runs stored before rounds existed) the runs are independent replicates: Welch's
 * t on their log values. Values must be positive.
 */
export function compareReplicates(input: PairedInput, options: CompareOptions = {}): PairedDifference {
  const level = options.level ?? 0.95;
  const minRounds = options.minRounds ?? MIN_ROUNDS;
  const pairs = pairByRound(input);
  const bad = [...input.base, ...input.cand].find((x) => !(x.value > 0) || !Number.isFinite(x.value));
  if (bad) throw new RangeError(`compareReplicates: ${bad.value} is not a positive latency`);
  const paired = pairs.length > 0 || input.base.some((x) => x.round !== null) || input.cand.some((x) => x.round !== null);
  if (paired) {
    const { rounds, logRatio, se } = pairedLogRatio(pairs);
    const ratio = rounds ? Math.exp(logRatio) : Number.NaN;
    if (rounds < minRounds) return undecided('paired', rounds, ratio, `${rounds} paired round${rounds === 1 ? '' : 's'}: a verdict needs at least ${minRounds}`);
    const between = betweenStudySdAt(logRatio, options.betweenStudySd ?? 0, options.betweenStudyRelative ?? 0);
    return tInterval('paired', rounds, logRatio, Math.sqrt(se ** 2 + between ** 2), rounds - 1, level);
  }
  const lb = input.base.map((x) => Math.log(x.value));
  const lc = input.cand.map((x) => Math.log(x.value));
  const n = Math.min(lb.length, lc.length);
  const ratio = lb.length && lc.length ? Math.exp(mean(lc) - mean(lb)) : Number.NaN;
  if (n < minRounds) return undecided('unpaired', n, ratio, `${n} replicate${n === 1 ? '' : 's'} on the smaller side: a verdict needs at least ${minRounds}`);
  const vb = variance(lb) / lb.length;
  const vc = variance(lc) / lc.length;
  const se = Math.sqrt(vb + vc);
  const df = se === 0 ? lb.length + lc.length - 2 : (vb + vc) ** 2 / (vb ** 2 / (lb.length - 1) + vc ** 2 / (lc.length - 1));
  return tInterval('unpaired', n, mean(lc) - mean(lb), se, df, level);
}

function tInterval(design: PairedDifference['design'], rounds: number, meanLog: number, se: number, df: number, level: number): PairedDifference {
  const t = studentTQuantile(1 - (1 - level) / 2, df);
  const half = t * se;
  const pValue = se === 0 ? (meanLog === 0 ? 1 : 0) : studentTTwoSidedP(meanLog / se, df);
  const significant = meanLog - half > 0 || meanLog + half < 0;
  return {
    design,
    rounds,
    ratio: Math.exp(meanLog),
    ratioCi: { low: Math.exp(meanLog - half), high: Math.exp(meanLog + half), level },
    minimumDetectable: Math.exp(half) - 1,
    pValue,
    verdict: !significant ? 'within noise' : meanLog > 0 ? 'slower' : 'faster',
    reason: null,
  };
}

/** A paired difference in absolute terms (ns), for groups a variant may not have at all (a layer it lacks: 0 ns). */
export interface PairedShift {
  rounds: number;
  /** mean over rounds of candidate − baseline */
  difference: number;
  differenceCi: ConfidenceInterval | null;
  pValue: number | null;
}

/**
 * Paired t on differences cand − base per round (values may be 0); null CI and p below `minRounds`.
 * The between-study term is relative, so it enters as a share of the baseline's mean; its part that
 * grows with the difference reads the difference relative to the baseline (a layer one side lacks: 1).
 */
export function pairedShift(input: PairedInput, options: CompareOptions = {}): PairedShift {
  const level = options.level ?? 0.95;
  const pairs = pairByRound(input);
  const d = pairs.map((p) => p.cand - p.base);
  const difference = d.length ? mean(d) : Number.NaN;
  if (d.length < (options.minRounds ?? MIN_ROUNDS)) return { rounds: d.length, difference, differenceCi: null, pValue: null };
  const baseMean = mean(pairs.map((p) => p.base));
  const relativeDifference = baseMean > 0 ? Math.abs(difference) / baseMean : 0;
  const between = betweenStudySdAt(relativeDifference, options.betweenStudySd ?? 0, options.betweenStudyRelative ?? 0);
  const se = Math.sqrt(variance(d) / d.length + (between * baseMean) ** 2);
  const half = studentTQuantile(1 - (1 - level) / 2, d.length - 1) * se;
  const pValue = se === 0 ? (difference === 0 ? 1 : 0) : studentTTwoSidedP(difference / se, d.length - 1);
  return { rounds: d.length, difference, differenceCi: { low: difference - half, high: difference + half, level }, pValue };
}

/**
 * Benjamini–Hochberg adjusted p-values (the false discovery rate of the family is at most α when
 * the adjusted values are compared with α). Nulls (tests not run) stay null and do not count.
 */
export function benjaminiHochberg(pValues: ReadonlyArray<number | null>): Array<number | null> {
  const tested = pValues.map((p, i) => ({ p, i })).filter((x): x is { p: number; i: number } => x.p !== null);
  const m = tested.length;
  const out: Array<number | null> = pValues.map(() => null);
  tested.sort((a, b) => a.p - b.p);
  let running = 1;
  for (let k = m - 1; k >= 0; k--) {
    running = Math.min(running, (tested[k]!.p * m) / (k + 1));
    out[tested[k]!.i] = running;
  }
  return out;
}

/** One study's paired estimate of a comparison on a device: the mean log ratio over its rounds and its standard error. */
export interface StudyEstimate {
  /** what is compared, the same across studies (e.g. baseline model hash > candidate model hash) */
  comparison: string;
  logRatio: number;
  se: number;
}

export interface BetweenStudyVariance {
  /** estimated standard deviation of a study's mean log ratio between studies, beyond its own standard error */
  sd: number;
  /** degrees of freedom it rests on: Σ (studies − 1) over the comparisons measured in two studies or more */
  df: number;
  /** comparisons repeated in two studies or more */
  comparisons: number;
}

/**
 * The between-study variance component τ² of paired comparisons on one device (Kalibera and
 * Jones' next level above rounds), pooled over every comparison that more than one study measured:
 * the DerSimonian–Laird moment estimator, τ² = max(0, (ΣQ − Σdf) / Σc), where for each comparison
 * Q is Cochran's heterogeneity statistic of its studies' log ratios weighted by 1/se². Estimates
 * with se = 0 carry no usable weight and are left out. With `relative` (the part of the between-study
 * SD that grows with the |log ratio|), each study's variance is se² + (relative · log ratio)², and τ
 * is what remains beyond it.
 */
export function betweenStudyVariance(estimates: readonly StudyEstimate[], relative = 0): BetweenStudyVariance {
  const groups = new Map<string, StudyEstimate[]>();
  for (const e of estimates) if (e.se > 0 && Number.isFinite(e.se) && Number.isFinite(e.logRatio)) groups.set(e.comparison, [...(groups.get(e.comparison) ?? []), e]);
  let q = 0;
  let df = 0;
  let c = 0;
  let comparisons = 0;
  for (const xs of groups.values()) {
    if (xs.length < 2) continue;
    const w = xs.map((x) => 1 / (x.se ** 2 + (relative * x.logRatio) ** 2));
    const sw = w.reduce((a, b) => a + b, 0);
    const ybar = xs.reduce((a, x, i) => a + w[i]! * x.logRatio, 0) / sw;
    q += xs.reduce((a, x, i) => a + w[i]! * (x.logRatio - ybar) ** 2, 0);
    df += xs.length - 1;
    c += sw - w.reduce((a, b) => a + b * b, 0) / sw;
    comparisons++;
  }
  return { sd: df > 0 && c > 0 ? Math.sqrt(Math.max(0, (q - df) / c)) : 0, df, comparisons };
}

/** A device's learned between-study component is used once it rests on at least this many degrees of freedom. */
export const MIN_BETWEEN_STUDY_DF = 5;

/** The between-study standard deviation a comparison uses, and where it comes from. */
export interface Reproducibility {
  /** standard deviation of a study's mean log ratio between studies, in percent */
  betweenStudyPct: number;
  /** 'learned': from the device's repeated comparisons (it exceeds the protocol's floor); 'floor': the protocol's `betweenStudyPct` */
  source: 'learned' | 'floor';
  /** degrees of freedom of the device's estimate (0: no comparison measured twice yet) */
  df: number;
  /** the device's estimate, in percent, whatever was used */
  learnedPct: number | null;
  /** the part that grows with the difference, in percent of the |log ratio| (the protocol's `betweenStudyRelativePct`), in quadrature with betweenStudyPct */
  relativePct: number;
}

/**
 * The protocol's floor, raised to the device's learned component once that rests on enough
 * repeats: a short quiet spell never claims better reproducibility than the floor.
 */
export function reproducibility(floorPct: number, learned: BetweenStudyVariance, relativePct = 0): Reproducibility {
  const known = learned.df >= MIN_BETWEEN_STUDY_DF;
  const learnedPct = known ? Math.round(learned.sd * 1e5) / 1e3 : null;
  return learnedPct !== null && learnedPct > floorPct
    ? { betweenStudyPct: learnedPct, source: 'learned', df: learned.df, learnedPct, relativePct }
    : { betweenStudyPct: floorPct, source: 'floor', df: learned.df, learnedPct, relativePct };
}
