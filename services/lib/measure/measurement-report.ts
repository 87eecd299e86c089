import type { MeasurementProtocol } from './protocol.js';
import type { WarmupOutcome, StopReason } from './run-loop.js';
import type { EnvironmentSample, RunQuality } from './run-quality.js';
import type { LatencyStats } from './stats.js';

/** One pass of warm-up, timed and profiled runs; a throttled or busy pass is repeated. */
export interface MeasurementAttempt<E extends EnvironmentSample = EnvironmentSample> {
  /** 0 for the first */
  attempt: number;
  startedAt: Date;
  finishedAt: Date;
  environmentBefore: E;
  environmentAfter: E;
  quality: RunQuality;
  warmup: WarmupOutcome;
  timed: { runs: number; stopReason: StopReason; seconds: number; ciRelativeHalfWidth: number | null; medianNs: number };
}

export interface AttributionSummary {
  /** `lineage`: through the optimized graph the runtime wrote; `names`: by node-name prefix only (the dump failed) */
  source: 'lineage' | 'names';
  /** why lineage was not available */
  error?: string;
  /** share of the per-layer median sum that no layer claims ('' bucket) */
  unattributedShare: number;
  /** per-layer median sum / median of the profiled runs (same runs: ≈1 minus the profiler's gaps) */
  layerSumToProfiledMedian: number | null;
  /** per-layer median sum / median of the profiled runs as the runtime times them (`model_run` events) */
  layerSumToProfileRunMedian: number | null;
  /** per-layer median sum / median of the timed runs (profiling off) */
  layerSumToTimedMedian: number | null;
}

/**
 * Everything a run measured besides the raw latencies and node timings: what the lead can wire
 * into RunnerResult (optional `report`) and on into the upload summary and the runs table.
 */
export interface MeasurementReport<E extends EnvironmentSample = EnvironmentSample> {
  /** the protocol as executed, every default filled */
  protocol: MeasurementProtocol;
  /** every attempt, the kept one last */
  attempts: Array<MeasurementAttempt<E>>;
  /** the kept attempt's verdict: still throttled or busy after the retries means flagged, not dropped */
  flagged: boolean;
  quality: RunQuality;
  timed: LatencyStats;
  profiled: LatencyStats | null;
  /** profiled median / timed median − 1 */
  profilingOverhead: number | null;
  profiledWarmupRuns: number;
  attribution: AttributionSummary;
}
