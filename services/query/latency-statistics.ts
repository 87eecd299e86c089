import {
  compareReplicates,
  median,
  MIN_ROUNDS,
  nsToMs,
  percentileCont,
  replicatedLatency,
  type PairedDifference,
  type PairedInput,
  type ReplicatedLatency,
  type Verdict,
} from '../lib/measure/index.js';

/**
 * How the query service turns stored runs into figures: a run is a replicate (its timed
 * iterations share one session), a variant's latency comes from its replicates and a difference
 * from the runs' medians paired by round (services/lib/measure/replicates.ts). Flagged runs
 * (throttled or busy after the agent's retries) are left out unless asked for, and always counted.
 */

export const CONFIDENCE_LEVEL = 0.95;
/** False discovery rate of a family of per-layer tests (Benjamini–Hochberg). */
export const FDR = 1 - CONFIDENCE_LEVEL;

export const NOISE_TEST =
  `paired rounds: t interval of the log ratio of run medians, widened by the device's between-study component, excludes 0 (95%); fewer than ${MIN_ROUNDS} rounds: undecided; ` +
  'runs stored without a round: Welch t on the log run medians; flagged runs left out unless include=flagged';

export const ms = (ns: number) => nsToMs(ns);
export const pct = (fraction: number) => Math.round(fraction * 1e4) / 1e2;

/** A stored run as a replicate. */
export interface RunReplicate {
  id: string;
  /** its job's round; null for runs stored before rounds existed */
  round: number | null;
  /** throttled or busy after the agent's retries: left out of figures and verdicts unless asked for */
  flagged: boolean;
  /** the flags that flagged it, e.g. ["busy-cpu"] (report.flaggedBy, or report.quality.flags in reports without it) */
  flags: string[];
  /** timed latencies, ascending, nanoseconds */
  sortedNs: number[];
}

export interface ReplicateSelection<R> {
  /** the runs the figures come from */
  used: R[];
  /** every flagged run: left out of `used` unless flagged runs are included */
  flagged: R[];
}

export function selectReplicates<R extends Pick<RunReplicate, 'flagged'>>(runs: readonly R[], includeFlagged: boolean): ReplicateSelection<R> {
  return { used: includeFlagged ? [...runs] : runs.filter((r) => !r.flagged), flagged: runs.filter((r) => r.flagged) };
}

export function distinctFlags(runs: ReadonlyArray<Pick<RunReplicate, 'flags'>>): string[] {
  return [...new Set(runs.flatMap((r) => r.flags))].sort();
}

/** `no clean replicate: 3 flagged (busy-system)` */
export function noCleanReplicate(flagged: ReadonlyArray<Pick<RunReplicate, 'flags'>>): string {
  const flags = distinctFlags(flagged);
  return `no clean replicate: ${flagged.length} flagged${flags.length ? ` (${flags.join(', ')})` : ''}`;
}

/** A run's median latency: the value it contributes to a comparison. */
export const runMedianNs = (r: Pick<RunReplicate, 'sortedNs'>) => percentileCont(r.sortedNs, 0.5);

export const pairedValues = (runs: ReadonlyArray<Pick<RunReplicate, 'round' | 'sortedNs'>>): PairedInput['base'] => runs.map((r) => ({ round: r.round, value: runMedianNs(r) }));

/** The replicates' latency; null when no run is used. */
export function latencyOf(used: ReadonlyArray<Pick<RunReplicate, 'sortedNs'>>): ReplicatedLatency | null {
  return used.some((r) => r.sortedNs.length > 0) ? replicatedLatency(used, { level: CONFIDENCE_LEVEL }) : null;
}

export interface LatencySummary {
  /** median over the replicates of each one's median; null when no run is used (every run flagged) */
  medianMs: number | null;
  /** median over the replicates of each one's p90 */
  p90Ms: number | null;
  /** 95% hierarchical bootstrap CI of the median (replicates, then iterations); null with fewer than 2 replicates */
  ciLowMs: number | null;
  ciHighMs: number | null;
  /** timed iterations of the replicates used */
  samples: number;
  /** runs the figures come from */
  replicates: number;
  /** flagged runs (left out unless include=flagged) */
  flaggedReplicates: number;
  /** distinct flags that flagged those runs */
  flags: string[];
}

export function latencySummary(latency: ReplicatedLatency | null, sel: ReplicateSelection<Pick<RunReplicate, 'flags'>>): LatencySummary {
  return {
    medianMs: latency && ms(latency.median),
    p90Ms: latency && ms(latency.p90),
    ciLowMs: latency?.ci ? ms(latency.ci.low) : null,
    ciHighMs: latency?.ci ? ms(latency.ci.high) : null,
    samples: latency?.iterations ?? 0,
    replicates: latency?.replicates ?? 0,
    flaggedReplicates: sel.flagged.length,
    flags: distinctFlags(sel.flagged),
  };
}

export function summarizeReplicates(runs: readonly RunReplicate[], includeFlagged = false): LatencySummary {
  const sel = selectReplicates(runs, includeFlagged);
  return latencySummary(latencyOf(sel.used), sel);
}

/** A difference to a baseline from the runs' medians: paired by round, or (runs without rounds) Welch. */
export interface ReplicatedDelta {
  /** the baseline's median × (ratio − 1) */
  deltaMs: number | null;
  /** ratio − 1 in %, the ratio being the geometric mean of the per-round ratios of run medians */
  deltaPct: number | null;
  /** the ratio's 95% interval, as ms over the baseline's median and as % */
  deltaCiLowMs: number | null;
  deltaCiHighMs: number | null;
  deltaCiLowPct: number | null;
  deltaCiHighPct: number | null;
  /** minimum detectable effect: the interval's half-width in %, so that "within noise" reads "within ±x%" */
  mdePct: number | null;
  pValue: number | null;
  /** the interval excludes no difference; null when undecided */
  significant: boolean | null;
  verdict: Verdict | null;
  /** why the verdict is undecided */
  verdictReason: string | null;
  /** rounds paired (paired) or the smaller side's replicates (unpaired) */
  rounds: number | null;
  design: PairedDifference['design'] | null;
}

export const NO_DELTA: ReplicatedDelta = {
  deltaMs: null,
  deltaPct: null,
  deltaCiLowMs: null,
  deltaCiHighMs: null,
  deltaCiLowPct: null,
  deltaCiHighPct: null,
  mdePct: null,
  pValue: null,
  significant: null,
  verdict: null,
  verdictReason: null,
  rounds: null,
  design: null,
};

export const undecidedDelta = (reason: string): ReplicatedDelta => ({ ...NO_DELTA, verdict: 'undecided', verdictReason: reason });

export function deltaOf(d: PairedDifference, baseMedianNs: number): ReplicatedDelta {
  const known = Number.isFinite(d.ratio);
  return {
    deltaMs: known ? ms(baseMedianNs * (d.ratio - 1)) : null,
    deltaPct: known ? pct(d.ratio - 1) : null,
    deltaCiLowMs: d.ratioCi && ms(baseMedianNs * (d.ratioCi.low - 1)),
    deltaCiHighMs: d.ratioCi && ms(baseMedianNs * (d.ratioCi.high - 1)),
    deltaCiLowPct: d.ratioCi && pct(d.ratioCi.low - 1),
    deltaCiHighPct: d.ratioCi && pct(d.ratioCi.high - 1),
    mdePct: d.minimumDetectable === null ? null : pct(d.minimumDetectable),
    pValue: d.pValue,
    significant: d.verdict === 'undecided' ? null : d.verdict !== 'within noise',
    verdict: d.verdict,
    verdictReason: d.reason,
    rounds: d.rounds,
    design: d.design,
  };
}

/**
 * Candidate vs baseline from per-run medians (ns); ms figures are relative to the median of the
 * baseline's run medians. `betweenStudySd`: the device's between-study component (log scale);
 * `betweenStudyRelative`: its part that grows with the |log ratio| (a fraction of it).
 */
export function replicatedDelta(input: PairedInput, betweenStudySd = 0, betweenStudyRelative = 0): ReplicatedDelta {
  return deltaOf(compareReplicates(input, { level: CONFIDENCE_LEVEL, betweenStudySd, betweenStudyRelative }), median(input.base.map((x) => x.value)));
}
