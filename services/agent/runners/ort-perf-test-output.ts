import { RunnerError } from './runner.error.js';

const TOOL = 'onnxruntime_perf_test';
const NUM = String.raw`([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)`;

export type LatencyStatName = 'min' | 'max' | 'p50' | 'p90' | 'p95' | 'p99' | 'p999';

/** What `onnxruntime_perf_test` prints on stdout after a run (onnxruntime/test/perftest/performance_runner.cc). */
export interface OrtPerfTestSummary {
  sessionCreationS?: number;
  /** `Peak working set size: N bytes`: the process's peak resident memory over its lifetime (builds since 1.x print it) */
  peakWorkingSetBytes?: number;
  firstInferenceMs?: number;
  totalInferenceS?: number;
  /** Number of timed inferences (`Total inference requests`, older builds `Total iterations`). */
  requests: number;
  averageMs: number;
  /** Per-iteration time costs, only printed with `-v` (`iteration:N,time_cost:S`), in seconds. */
  verboseIterationsS: number[];
  /** Order statistics, only printed with `-s` or without a result file, in seconds. */
  latencyS: Partial<Record<LatencyStatName, number>>;
}

const LINE_PATTERNS: Array<[RegExp, (s: OrtPerfTestSummary, v: number) => void]> = [
  [new RegExp(`^Session creation time cost:\\s*${NUM}\\s*s`), (s, v) => (s.sessionCreationS = v)],
  [new RegExp(`^First inference time cost:\\s*${NUM}\\s*ms`), (s, v) => (s.firstInferenceMs = v)],
  [new RegExp(`^Peak working set size:\\s*${NUM}\\s*bytes`), (s, v) => (s.peakWorkingSetBytes = v)],
  [new RegExp(`^Total (?:inference )?time cost:\\s*${NUM}`), (s, v) => (s.totalInferenceS = v)],
  [new RegExp(`^Total (?:inference requests|iterations):\\s*${NUM}`), (s, v) => (s.requests = v)],
  [new RegExp(`^Average (?:inference )?time cost:\\s*${NUM}\\s*ms`), (s, v) => (s.averageMs = v)],
];
const STAT_LINE = new RegExp(`^(Min|Max|P50|P90|P95|P99|P999) Latency(?::| is)\\s*${NUM}\\s*(?:s|sec)\\b`);
const VERBOSE_ITERATION = new RegExp(`^iteration:(\\d+),time_cost:${NUM}`);

/** Parses perf_test's stdout; throws when the average/requests lines (always printed on success) are missing. */
export function parseOrtPerfTestStdout(text: string): OrtPerfTestSummary {
  const summary: OrtPerfTestSummary = { requests: Number.NaN, averageMs: Number.NaN, verboseIterationsS: [], latencyS: {} };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    for (const [re, set] of LINE_PATTERNS) {
      const m = re.exec(line);
      if (m) set(summary, Number(m[1]));
    }
    const stat = STAT_LINE.exec(line);
    if (stat) summary.latencyS[stat[1]!.toLowerCase() as LatencyStatName] = Number(stat[2]);
    const it = VERBOSE_ITERATION.exec(line);
    if (it) summary.verboseIterationsS.push(Number(it[2]));
  }
  if (!Number.isFinite(summary.requests) || !Number.isFinite(summary.averageMs)) {
    throw RunnerError.unparsable(TOOL, 'stdout has no "Total inference requests" / "Average inference time cost" lines (did the run fail?)');
  }
  return summary;
}

/**
 * Per-iteration latencies from perf_test's result file (the optional positional argument after the
 * model path). Each timed run is one line `model_name,time_cost_s,peak_working_set,cpu_usage,run_index`
 * (older builds omit cpu_usage); with `-s` an empty line and the order statistics follow.
 * The file is opened in append mode, so a reused file would hold several runs: that is refused.
 */
export function parseOrtPerfTestResultFile(text: string): number[] {
  const latenciesNs: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    if (STAT_LINE.test(line)) continue;
    const fields = line.split(',');
    const seconds = Number(fields[1]);
    const runIndex = Number(fields[fields.length - 1]);
    if (fields.length < 4 || !Number.isFinite(seconds) || seconds < 0 || !Number.isInteger(runIndex)) {
      throw RunnerError.unparsable(TOOL, `result file line ${i + 1} is not "model,time_cost,peak_ws,[cpu,]run": ${JSON.stringify(line)}`);
    }
    if (runIndex !== latenciesNs.length) {
      throw RunnerError.unparsable(TOOL, `result file line ${i + 1}: run index ${runIndex}, expected ${latenciesNs.length} (file reused across runs?)`);
    }
    latenciesNs.push(Math.round(seconds * 1e9));
  }
  return latenciesNs;
}
