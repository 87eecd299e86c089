import os from 'node:os';
import { median } from '../../lib/measure/index.js';
import type { DeviceFacts } from '../../lib/proto/index.js';
import { AGENT_VERSION } from '../agent-version.js';
import { cpuModel, readEnvironment } from '../device-facts.js';
import type { Runner, RunnerJob, RunnerResult, RunPhase } from '../runner.js';
import { ProcessSpawner } from './process-spawner.js';
import { parseRknnBenchmarkOutput, rknnBenchmarkProgress } from './rknn-benchmark-output.js';
import { parseRknnPerfDetail, rknnNodeTimings, rknnRunDurationsNs } from './rknn-profile.js';
import { RunnerError, RunnerErrorCode } from './runner.error.js';
import { parseTfliteBenchmarkOutput } from './tflite-benchmark-output.js';
import { parseTfliteOpProfile, tfliteNodeTimings } from './tflite-profile.js';

/** How the timed command reports each run. */
export type TimedOutputFormat = 'rknn-benchmark';
/** How the profiling command reports per-layer times. */
export type ProfileOutputFormat = 'rknn-perf-detail' | 'tflite-op-profile';

export interface CommandRunnerOptions {
  /** Runner name reported at registration; default `command`. */
  name?: string;
  /** Recorded with every run, e.g. `librknnrt 2.3.0 / rknn_benchmark`. */
  runtimeVersion: string;
  /** The model format the tool takes (announced at registration), e.g. `rknn`; default `onnx`. */
  format?: string;
  /**
   * Timed runs (profiling off). `argv[0]` is the program; `{model}` and `{runs}` are replaced in any
   * argument, e.g. `['rknn_benchmark', '{model}', '', '{runs}', '1']` (input file empty: zeros; core mask 1).
   */
  timed: {
    argv: string[];
    output: TimedOutputFormat;
    /** Warm-up runs the tool always does before its timed loop (rknn_benchmark: 5); the protocol's extra warm-ups are timed runs that are dropped. */
    toolWarmupRuns?: number;
  };
  /** Profiled runs, e.g. a script calling RKNN-Toolkit2 `eval_perf()` or the runtime's RKNN_QUERY_PERF_DETAIL; `{model}`, `{runs}`. */
  profile?: { argv: string[]; output: ProfileOutputFormat };
  cwd?: string;
  /** Extra environment for both commands (e.g. LD_LIBRARY_PATH of the vendor runtime). */
  env?: Record<string, string>;
  /** CPU core whose governor/frequency the run environment records; -1: core 0. */
  core?: number;
  /** Longest one command may take; default 30 minutes. */
  timeoutMs?: number;
  /** Registered device class; default `npu`. */
  deviceClass?: string;
  tags?: Record<string, string>;
}

/**
 * A vendor benchmark tool on the machine the agent runs on (an NPU board: the agent runs on the board).
 * Per-run latencies come from the timed command's output; per-layer times from the optional profiling
 * command. Each printed layer table is one profiled inference.
 */
export class CommandRunner implements Runner {
  readonly name: string;
  readonly runtimeVersion: string;
  readonly formats: readonly string[];

  constructor(
    private readonly options: CommandRunnerOptions,
    private readonly spawner: ProcessSpawner = new ProcessSpawner(),
  ) {
    for (const [field, argv] of [
      ['timed.argv', options.timed.argv],
      ['profile.argv', options.profile?.argv],
    ] as const) {
      if (argv === undefined) continue;
      if (!argv.length || !argv[0]) throw new RunnerError(RunnerErrorCode.InvalidOptions, `${field}: the program to run is missing`);
      if (!argv.some((a) => a.includes('{model}'))) throw new RunnerError(RunnerErrorCode.InvalidOptions, `${field}: no argument holds {model}`);
    }
    this.name = options.name ?? 'command';
    this.runtimeVersion = options.runtimeVersion;
    this.formats = [options.format ?? 'onnx'];
  }

  deviceFacts(name: string): DeviceFacts {
    return {
      name,
      deviceClass: this.options.deviceClass ?? 'npu',
      cpuModel: cpuModel(),
      cores: os.cpus().length,
      os: `${os.type()} ${os.release()}`,
      hostname: os.hostname(),
      runner: this.name,
      runtimeVersion: this.runtimeVersion,
      agentVersion: AGENT_VERSION,
      tags: { ...this.options.tags },
      formats: [...this.formats],
    };
  }

  async run(job: RunnerJob, onProgress: (phase: RunPhase, done: number, total: number) => void, signal: AbortSignal): Promise<RunnerResult> {
    const startedAt = new Date();
    const { warmupRuns, timedRuns, profiledRuns } = job.protocol;
    const environment = readEnvironment(this.options.core ?? -1, { runtime: this.runtimeVersion, agent: AGENT_VERSION });

    const extraWarmups = Math.max(warmupRuns - (this.options.timed.toolWarmupRuns ?? 0), 0);
    const asked = extraWarmups + timedRuns;
    let inPerf = false;
    let done = 0;
    const timedOut = await this.exec(this.options.timed.argv, job.modelPath, asked, signal, (line) => {
      if (rknnBenchmarkProgress.isPerfStart(line)) inPerf = true;
      else if (inPerf && rknnBenchmarkProgress.isRun(line) && ++done > extraWarmups) {
        if (done === extraWarmups + 1) onProgress('warmup', warmupRuns, warmupRuns);
        onProgress('timed', done - extraWarmups, timedRuns);
      }
    });
    const runsMs = parseRknnBenchmarkOutput(timedOut).runsMs;
    if (runsMs.length !== asked) throw RunnerError.unparsable(this.options.timed.argv[0]!, `printed ${runsMs.length} timed runs, asked for ${asked}`);
    const latenciesNs = runsMs.slice(extraWarmups).map((ms) => Math.round(ms * 1e6));

    const result = { startedAt, environment, latenciesNs, profiledMedianNs: 0, layers: [] as RunnerResult['layers'] };
    const profile = this.options.profile;
    if (profile && profiledRuns > 0) {
      const out = await this.exec(profile.argv, job.modelPath, profiledRuns, signal);
      if (profile.output === 'rknn-perf-detail') {
        const tables = parseRknnPerfDetail(out);
        result.layers = rknnNodeTimings(tables);
        result.profiledMedianNs = Math.round(median(rknnRunDurationsNs(tables)));
      } else {
        result.layers = tfliteNodeTimings(parseTfliteOpProfile(out));
        const mean = parseTfliteBenchmarkOutput(out).timings[0]?.inferenceAvgUs;
        result.profiledMedianNs = mean === undefined ? 0 : Math.round(mean * 1000);
      }
      onProgress('profiled', profiledRuns, profiledRuns);
    }
    return { ...result, finishedAt: new Date() };
  }

  private async exec(template: string[], model: string, runs: number, signal: AbortSignal, onStdoutLine?: (line: string) => void): Promise<string> {
    const filled = template.map((a) => a.replaceAll('{model}', model).replaceAll('{runs}', String(runs)));
    // `env K=V prog …` adds the tool's variables without the agent reading or copying its own environment.
    const extraEnv = Object.entries(this.options.env ?? {}).map(([k, v]) => `${k}=${v}`);
    const argv = extraEnv.length ? ['env', ...extraEnv, ...filled] : filled;
    const { stdout, stderr } = await this.spawner.run(argv[0]!, argv.slice(1), {
      cwd: this.options.cwd,
      signal,
      timeoutMs: this.options.timeoutMs ?? 30 * 60_000,
      onStdoutLine,
    });
    return `${stdout}\n${stderr}`;
  }
}
