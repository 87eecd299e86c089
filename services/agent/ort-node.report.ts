import type { RunEnvironment } from '../lib/proto/index.js';
import {
  breakdownBy,
  byBlock,
  byLayer,
  byOpType,
  layerSumRatio,
  median,
  summarize,
  type AttributedGroup,
  type AttributionSummary,
  type MeasurementAttempt,
  type MeasurementProtocol,
  type MeasurementReport,
  type NodeTiming,
  type QualityFlag,
  type RunQuality,
  type TimingBreakdown,
  type TimingMeasure,
} from '../lib/measure/index.js';
import type { RunnerResult } from './runner.js';

/**
 * What a measurement becomes once its attempts are done: which attempt is kept, and the result and
 * report a runner uploads (statistics, attribution tables, quality). Pure: no session, no file.
 */

export type OrtRunnerResult = RunnerResult & { flagged: boolean; report: MeasurementReport<RunEnvironment> };

/** A builder layer and its block (for the per-block table). */
export interface LayerBlock {
  name: string;
  block: string;
}

export interface ProfiledOutcome {
  latenciesNs: number[];
  /** the runtime's own `model_run` durations */
  runDurationsNs: number[];
  /** per profiled run: `model_run` time outside every node */
  sessionOverheadNs: number[];
  layers: NodeTiming[];
  warmupRuns: number;
  attribution: Pick<AttributionSummary, 'source' | 'error'>;
}

/** An attempt with what it measured: the report keeps the attempt, the upload its latencies and node timings. */
export type KeptAttempt = MeasurementAttempt<RunEnvironment> & { latenciesNs: number[]; profiled: ProfiledOutcome };

/** What a job's status line says before a retry: "retry 2/3: busy-system". */
export function retryNote(attempt: number, protocol: Pick<MeasurementProtocol, 'maxRetries'>, flags: readonly QualityFlag[] | readonly string[]): string {
  return `retry ${attempt + 1}/${protocol.maxRetries}: ${flags.join(', ')}`;
}

/** A job's result from its attempts and the one kept: statistics, per-layer tables and the report. */
export function resultOf(
  startedAt: Date,
  protocol: MeasurementProtocol,
  layers: LayerBlock[],
  attempts: KeptAttempt[],
  kept: KeptAttempt,
  /** the flags that make the run flagged (left out of verdicts): all of them for a run alone, ROUND_EXCLUDING_FLAGS in a round */
  flaggedBy: readonly QualityFlag[] = kept.quality.flags,
): OrtRunnerResult {
  const timed = summarize(kept.latenciesNs);
  const profiled = kept.profiled.latenciesNs.length ? summarize(kept.profiled.latenciesNs) : null;
  const options = { sessionOverheadNs: kept.profiled.sessionOverheadNs };
  const breakdown = breakdownBy(kept.profiled.layers, byLayer, options);
  const ratio = (e2e: number | undefined, measure: TimingMeasure = 'kernel') => (e2e && breakdown.iterations ? layerSumRatio(breakdown, e2e, measure) : null);
  const runMedian = kept.profiled.runDurationsNs.length ? median(kept.profiled.runDurationsNs) : undefined;
  const report: MeasurementReport<RunEnvironment> = {
    protocol,
    attempts: attempts.map(({ latenciesNs: _l, profiled: _p, ...a }) => a),
    flagged: flaggedBy.length > 0,
    flaggedBy: [...flaggedBy],
    quality: kept.quality,
    timed,
    profiled,
    profilingOverhead: profiled ? profiled.median / timed.median - 1 : null,
    profiledWarmupRuns: kept.profiled.warmupRuns,
    ...(kept.resources ? { resources: kept.resources } : {}),
    attribution: {
      ...kept.profiled.attribution,
      unattributedShare: breakdown.unattributedShare,
      layerSumToProfiledMedian: ratio(profiled?.median),
      layerSumToProfileRunMedian: ratio(runMedian),
      layerSumToTimedMedian: ratio(timed.median),
      layerSumWithOverheadToProfiledMedian: ratio(profiled?.median, 'with-overhead'),
      layerSumWithOverheadToProfileRunMedian: ratio(runMedian, 'with-overhead'),
      layerSumWithOverheadToTimedMedian: ratio(timed.median, 'with-overhead'),
      profileRunMedianNs: runMedian ?? null,
      accountedRunMedianNs: breakdown.iterations ? breakdown.runMedianNs : null,
      sessionOverheadMedianNs: kept.profiled.sessionOverheadNs.length ? median(kept.profiled.sessionOverheadNs) : null,
      byLayer: table(breakdown),
      byBlock: table(breakdownBy(kept.profiled.layers, byBlock(layers), options)),
      byOpType: table(breakdownBy(kept.profiled.layers, byOpType, options)),
    },
  };
  return {
    startedAt,
    finishedAt: new Date(),
    latenciesNs: kept.latenciesNs,
    profiledMedianNs: profiled ? Math.round(profiled.median) : 0,
    layers: kept.profiled.layers,
    environment: kept.environmentBefore,
    flagged: report.flagged,
    report,
  };
}

/**
 * The attempt to keep: a clean one (the last attempt, when it is); when every attempt was flagged,
 * the one with the fewest flags, then the least spread (relative MAD), then the largest CPU share,
 * then the latest.
 */
export function cleanest<A extends { quality: Pick<RunQuality, 'flags' | 'relativeMad' | 'cpuShare'> }>(attempts: readonly A[]): A {
  const better = (a: A, b: A): boolean => {
    const flags = a.quality.flags.length - b.quality.flags.length;
    if (flags !== 0) return flags < 0;
    const spread = (a.quality.relativeMad ?? Infinity) - (b.quality.relativeMad ?? Infinity);
    if (Number.isFinite(spread) && spread !== 0) return spread < 0;
    return (a.quality.cpuShare ?? 0) >= (b.quality.cpuShare ?? 0);
  };
  return attempts.reduce((best, a) => (better(a, best) ? a : best));
}

/** A breakdown as the report keeps it: whole nanoseconds, shares to 4 decimals. */
function table(breakdown: TimingBreakdown): AttributedGroup[] {
  const round4 = (f: number) => Math.round(f * 1e4) / 1e4;
  return breakdown.groups.map((g) => ({
    key: g.key,
    kernelMedianNs: Math.round(g.medianNs),
    overheadMedianNs: Math.round(g.overheadMedianNs),
    totalMedianNs: Math.round(g.totalMedianNs),
    share: round4(g.share),
    totalShare: round4(g.totalShare),
    nodes: g.nodes,
  }));
}
