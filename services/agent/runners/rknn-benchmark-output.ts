import { RunnerError } from './runner.error.js';

const TOOL = 'rknn_benchmark';

/**
 * rknn_benchmark's stdout (rknpu2/examples/rknn_benchmark/src/rknn_benchmark.cpp): after "Warmup ..."
 * and after "Begin perf ..." one `%4d: Elapse Time = %.2fms, FPS = %.2f` line per run, then
 * `Avg Time %.2fms, Avg FPS = %.3f`. Times are printed to 10 µs.
 */
export interface RknnBenchmarkOutput {
  warmupMs: number[];
  runsMs: number[];
  avgMs?: number;
  avgFps?: number;
}

const RUN_LINE = /^\s*(\d+):\s*Elapse Time\s*=\s*([\d.]+)\s*ms/;
const AVG_LINE = /^Avg Time\s*([\d.]+)\s*ms,\s*Avg FPS\s*=\s*([\d.]+)/;

export function parseRknnBenchmarkOutput(text: string): RknnBenchmarkOutput {
  const out: RknnBenchmarkOutput = { warmupMs: [], runsMs: [] };
  // Without the phase markers (other builds of the tool) every timed line counts as a run.
  let phase: 'warmup' | 'perf' = text.includes('Begin perf') ? 'warmup' : 'perf';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('Warmup')) phase = 'warmup';
    else if (line.startsWith('Begin perf')) phase = 'perf';
    const run = RUN_LINE.exec(line);
    if (run) (phase === 'perf' ? out.runsMs : out.warmupMs).push(Number(run[2]));
    const avg = AVG_LINE.exec(line);
    if (avg) {
      out.avgMs = Number(avg[1]);
      out.avgFps = Number(avg[2]);
    }
  }
  if (!out.runsMs.length) throw RunnerError.unparsable(TOOL, 'no "N: Elapse Time = X ms" lines after "Begin perf ..."');
  return out;
}

/** True for the line that marks the end of the built-in warm-up, and for each timed run line. */
export const rknnBenchmarkProgress = {
  isPerfStart: (line: string) => line.trim().startsWith('Begin perf'),
  isRun: (line: string) => RUN_LINE.test(line.trim()),
};
