import { RunnerError } from './runner.error.js';

const TOOL = 'benchmark_model';

/**
 * One `count=… first=… curr=… min=… max=… avg=… std=…` line (tensorflow Stat::OutputToStream), in µs.
 * When every run took the same time the tool prints only `count=N curr=X` (plus `(all same)`).
 */
export interface TfliteRunStat {
  count: number;
  curr: number;
  first?: number;
  min?: number;
  max?: number;
  avg?: number;
  std?: number;
}

/** `Inference timings in us: Init: …, First inference: …, Warmup (avg): …, Inference (avg): …`, in µs. */
export interface TfliteInferenceTimings {
  initUs: number;
  firstInferenceUs: number;
  warmupAvgUs: number;
  inferenceAvgUs: number;
}

export interface TfliteBenchmarkOutput {
  /** Every run-statistics line in order: per process, the warm-up runs then the regular runs. */
  runStats: TfliteRunStat[];
  /** One entry per benchmark_model process whose output is in the text. */
  timings: TfliteInferenceTimings[];
  /**
   * The process's peak resident memory over the run (MiB), per process that printed it: older builds'
   * `Peak memory footprint (MB): init=… overall=…` (overall), later builds' `Overall peak memory
   * footprint (MB) via periodic monitoring: …`. Their `Memory footprint delta from the start of the
   * tool` is a difference, not a peak, and is not read.
   */
  peakMemoryMb: number[];
}

const LOG_PREFIX = /^(?:INFO|WARN|WARNING):\s*/;
const num = (v: string | undefined) => (v === undefined ? Number.NaN : v.trim().toLowerCase() === 'nan' ? Number.NaN : Number(v));

/** Parses benchmark_model's log (stdout and stderr merged: recent builds log through stderr with an `INFO: ` prefix). */
export function parseTfliteBenchmarkOutput(text: string): TfliteBenchmarkOutput {
  const out: TfliteBenchmarkOutput = { runStats: [], timings: [], peakMemoryMb: [] };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(LOG_PREFIX, '');
    if (/^count=\d+/.test(line)) {
      const kv = Object.fromEntries([...line.matchAll(/(\w+)=([-+\d.eE]+|nan)/g)].map((m) => [m[1], num(m[2])]));
      out.runStats.push({ count: kv.count!, curr: kv.curr ?? Number.NaN, first: kv.first, min: kv.min, max: kv.max, avg: kv.avg, std: kv.std });
      continue;
    }
    const peak =
      /^Peak memory footprint \(MB\):\s*init=[-+\d.eE]+\s+overall=([-+\d.eE]+)/.exec(line) ??
      /^Overall peak memory footprint \(MB\) via periodic monitoring:\s*([-+\d.eE]+)/.exec(line);
    if (peak) {
      out.peakMemoryMb.push(Number(peak[1]));
      continue;
    }
    const at = line.indexOf('timings in us:');
    if (at < 0) continue;
    // Older builds: `Average inference timings in us: Warmup: …, Init: …, Inference: …`.
    const fields = new Map(
      line
        .slice(at + 'timings in us:'.length)
        .split(',')
        .map((f) => f.split(':'))
        .filter((kv) => kv.length === 2)
        .map(([k, v]) => [k!.trim().toLowerCase(), num(v)]),
    );
    const inference = fields.get('inference (avg)') ?? fields.get('inference') ?? fields.get('no stats');
    if (inference === undefined || Number.isNaN(inference)) {
      throw RunnerError.unparsable(TOOL, `timings line without an inference average: ${JSON.stringify(raw.trim())}`);
    }
    out.timings.push({
      initUs: fields.get('init') ?? Number.NaN,
      firstInferenceUs: fields.get('first inference') ?? Number.NaN,
      warmupAvgUs: fields.get('warmup (avg)') ?? fields.get('warmup') ?? Number.NaN,
      inferenceAvgUs: inference,
    });
  }
  return out;
}
