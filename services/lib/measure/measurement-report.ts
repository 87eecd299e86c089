import type { MeasurementProtocol } from './protocol.js';
import type { WarmupOutcome, StopReason } from './run-loop.js';
import type { EnvironmentSample, QualityFlag, RunQuality } from './run-quality.js';
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
  /** wall time the two host speed probes took (their ns are in environmentBefore/After.hostProbeNs); 0 when not probed */
  hostProbeSeconds: number;
  /** measured in a round with other variants, timed runs alternating in blocks: how many variants, this one's place, the block */
  interleave?: { variants: number; position: number; blockRuns: number };
  /** what loading the model cost and the memory the runner process held (runners that measure it) */
  resources?: AttemptResources;
}

/** Model load and memory of one attempt, as device farms report them beside latency. */
export interface AttemptResources {
  /** creating the attempt's session (or compiling the model): reading the file, optimizing the graph, placing weights */
  loadFirstMs: number;
  /** creating it again right after: the file in the page cache, the runtime initialized */
  loadWarmMs: number;
  /** the runner process's peak resident memory during the attempt; in a round, the round's (every variant's session open at once) */
  peakResidentBytes: number;
  /** vmhwm: the process's high-water mark, reset when the attempt began; process-lifetime: the most since the process started */
  peakResidentSource: 'vmhwm' | 'process-lifetime';
}

/** One row of a per-layer, per-block or per-op-type table: medians over the profiled runs. */
export interface AttributedGroup {
  /** layer, block or op type; '' for the unattributed bucket, '(session)' for the session overhead */
  key: string;
  kernelMedianNs: number;
  /** the executor's time between kernels spent on this group's nodes (fences, allocation, bookkeeping, the profiler) */
  overheadMedianNs: number;
  /** median of kernel + overhead */
  totalMedianNs: number;
  /** of the kernel-time table */
  share: number;
  /** of the kernel + overhead table (session bucket included) */
  totalShare: number;
  nodes: number;
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
  /**
   * The same three ratios for the table with each layer's executor overhead and the session bucket
   * added: by construction it adds up to the runtime's own run time (`model_run`), so these differ
   * from 1 only by what lies outside it (the binding's call, profiler start/stop) and by medians
   * of parts not adding up exactly to the median of the whole.
   */
  layerSumWithOverheadToProfiledMedian: number | null;
  layerSumWithOverheadToProfileRunMedian: number | null;
  layerSumWithOverheadToTimedMedian: number | null;
  /** median over profiled runs of the runtime's own run time (`model_run`) */
  profileRunMedianNs: number | null;
  /** median over profiled runs of kernels + overheads + session overhead: equals profileRunMedianNs by construction (rounding aside) */
  accountedRunMedianNs: number | null;
  /** median over profiled runs of `model_run` time outside every node (before the first, after the last) */
  sessionOverheadMedianNs: number | null;
  /** per layer, per block, per op type: kernel and overhead; the unattributed and session buckets last */
  byLayer: AttributedGroup[];
  byBlock: AttributedGroup[];
  byOpType: AttributedGroup[];
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
  /**
   * the kept attempt's flags that made it flagged: all of them for a run measured alone; in an
   * interleaved round only ROUND_EXCLUDING_FLAGS (the others stay in `quality.flags` as advice)
   */
  flaggedBy?: QualityFlag[];
  quality: RunQuality;
  timed: LatencyStats;
  profiled: LatencyStats | null;
  /** profiled median / timed median − 1 */
  profilingOverhead: number | null;
  profiledWarmupRuns: number;
  attribution: AttributionSummary;
  /** the kept attempt's load times and peak memory (runners that measure them) */
  resources?: AttemptResources;
}
