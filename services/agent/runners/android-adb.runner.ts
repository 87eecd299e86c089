import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import { median, parseOrtProfile, roundMs, type AttemptResources, type NodeTiming } from '../../lib/measure/index.js';
import type { DeviceFacts, RunEnvironment } from '../../lib/proto/index.js';
import { AGENT_VERSION } from '../agent-version.js';
import type { Runner, RunnerJob, RunnerResult, RunPhase } from '../runner.js';
import { Adb, HOUSEKEEPING_MS } from './adb.js';
import { androidDeviceFacts, androidRunEnvironment, cpuMaskCores, parseGetprop, parseSysfsDump, SYSFS_SCRIPT } from './android-device-facts.js';
import { modelFormat, type ModelFormat } from './model-format.js';
import { parseOrtPerfTestResultFile, parseOrtPerfTestStdout } from './ort-perf-test-output.js';
import { ProcessSpawner } from './process-spawner.js';
import { RunnerError, RunnerErrorCode } from './runner.error.js';
import { shellJoin, shellQuote } from './shell-quote.js';
import { parseTfliteBenchmarkOutput } from './tflite-benchmark-output.js';
import { parseTfliteOpProfile, tfliteNodeTimings } from './tflite-profile.js';

export interface AndroidAdbRunnerOptions {
  /** Device serial as `adb devices` lists it. */
  serial: string;
  /** taskset mask (hexadecimal) of the cores the benchmark may run on, e.g. `f0`; a one-core mask such as `80` pins exactly. */
  cpuMask: string;
  /** adb on the host; default `adb` from PATH. */
  adbPath?: string;
  /** Work directory on the phone; default `/data/local/tmp/latfleet`. */
  remoteDir?: string;
  /** Host path of an Android (arm64) build of `onnxruntime_perf_test`; needed for `.onnx` models. */
  ortPerfTestPath?: string;
  /** Host path of an Android build of TFLite's `benchmark_model`; needed for `.tflite` models. */
  tfliteBenchmarkPath?: string;
  /** Shared libraries the binaries load (e.g. `libonnxruntime.so`); pushed to `<remoteDir>/lib`, on LD_LIBRARY_PATH. */
  hostLibraries?: string[];
  /** Recorded as the runtime version of ONNX models' runs, e.g. `onnxruntime 1.20.1 (perf_test, android arm64)`. */
  ortVersion?: string;
  /** Recorded as the runtime version of TFLite models' runs, e.g. `tflite 2.16.1 benchmark_model`. */
  tfliteVersion?: string;
  /** Appended to every benchmark_model command, e.g. `['--use_xnnpack=false']`. */
  tfliteExtraArgs?: string[];
  /** Longest one adb command may take (a whole timed phase is one command); default 30 minutes. */
  timeoutMs?: number;
}

const OPT_LEVEL: Record<string, string> = { disabled: '0', basic: '1', extended: '2', all: '99' };
const FACTS_MARK = '__latfleet_sysfs__';

type Progress = (phase: RunPhase, done: number, total: number) => void;
type Measured = Pick<RunnerResult, 'latenciesNs' | 'profiledMedianNs' | 'layers'> & { resources?: AttemptResources };

const MIB = 1024 * 1024;

/**
 * What the tools report of loading and memory, as an attempt's resources: the first process's load
 * (the model just pushed), the median of the later processes' loads (warm: the file in the page
 * cache), and the most any process held (each tool process runs one model, so its lifetime peak is
 * the model's). Absent unless at least two processes reported a load time.
 */
export function toolResources(loadsMs: readonly number[], peakBytes: readonly number[]): AttemptResources | undefined {
  const loads = loadsMs.filter((v) => Number.isFinite(v) && v >= 0);
  const peaks = peakBytes.filter((v) => Number.isFinite(v) && v > 0);
  if (loads.length < 2 || peaks.length === 0) return undefined;
  return {
    loadFirstMs: roundMs(loads[0]!),
    loadWarmMs: roundMs(median(loads.slice(1))),
    peakResidentBytes: Math.round(Math.max(...peaks)),
    peakResidentSource: 'process-lifetime',
  };
}

interface JobContext {
  job: RunnerJob;
  binary: string;
  model: string;
  runDir: string;
  localDir: string;
  onProgress: Progress;
  signal: AbortSignal;
}

/**
 * A phone reached over adb. ONNX models run in `onnxruntime_perf_test`, TFLite models in
 * `benchmark_model`, pinned with taskset to `cpuMask`, one intra-op and one inter-op thread.
 * Binaries, libraries and models are pushed once (content-checked) and reused across jobs.
 */
export class AndroidAdbRunner implements Runner {
  readonly name = 'android-adb';
  readonly runtimeVersion: string;
  /** by the binaries configured: onnxruntime_perf_test runs onnx, benchmark_model tflite */
  readonly formats: readonly string[];
  private readonly adb: Adb;
  private readonly remoteDir: string;
  private readonly ortLabel: string;
  private readonly tfliteLabel: string;

  constructor(
    private readonly options: AndroidAdbRunnerOptions,
    spawner: ProcessSpawner = new ProcessSpawner(),
  ) {
    if (!options.serial) throw new RunnerError(RunnerErrorCode.InvalidOptions, 'serial: the adb serial of the phone is required');
    cpuMaskCores(options.cpuMask);
    if (!options.ortPerfTestPath && !options.tfliteBenchmarkPath) {
      throw new RunnerError(RunnerErrorCode.InvalidOptions, 'ortPerfTestPath / tfliteBenchmarkPath: give at least one benchmark binary');
    }
    this.remoteDir = (options.remoteDir ?? '/data/local/tmp/latfleet').replace(/\/+$/, '');
    if (!isAbsolute(this.remoteDir)) throw new RunnerError(RunnerErrorCode.InvalidOptions, `remoteDir ${JSON.stringify(options.remoteDir)}: must be absolute`);
    this.adb = new Adb(spawner, options.adbPath ?? 'adb', options.serial, options.timeoutMs ?? 30 * 60_000);
    this.ortLabel = options.ortVersion ?? 'onnxruntime_perf_test (version not configured)';
    this.tfliteLabel = options.tfliteVersion ?? 'tflite benchmark_model (version not configured)';
    this.runtimeVersion = [options.ortPerfTestPath && this.ortLabel, options.tfliteBenchmarkPath && this.tfliteLabel].filter(Boolean).join('; ');
    this.formats = [...(options.ortPerfTestPath ? ['onnx'] : []), ...(options.tfliteBenchmarkPath ? ['tflite'] : [])];
  }

  /** What the agent registers for this phone: SoC, cores, Android version, model and build as tags. */
  async deviceFacts(name: string, signal?: AbortSignal): Promise<DeviceFacts> {
    const { props, sys } = await this.readDevice(signal);
    return androidDeviceFacts(name, props, sys, {
      serial: this.options.serial,
      cpuMask: this.options.cpuMask,
      runner: this.name,
      runtimeVersion: this.runtimeVersion,
      agentVersion: AGENT_VERSION,
    });
  }

  async run(job: RunnerJob, onProgress: Progress, signal: AbortSignal): Promise<RunnerResult> {
    const startedAt = new Date();
    const format = modelFormat(job.modelPath);
    const tool = format === 'onnx' ? this.options.ortPerfTestPath : this.options.tfliteBenchmarkPath;
    if (!tool) {
      const option = format === 'onnx' ? 'ortPerfTestPath' : 'tfliteBenchmarkPath';
      throw new RunnerError(RunnerErrorCode.UnsupportedModel, `${format} model, but this runner has no ${option} for ${this.options.serial}`);
    }
    const environment = await this.environment(format, signal);
    const binary = `${this.remoteDir}/bin/${basename(tool)}`;
    const model = `${this.remoteDir}/models/${await this.adb.localSha256(job.modelPath)}.${format}`;
    await this.adb.sync(
      [
        { local: tool, remote: binary, mode: '755' },
        ...(this.options.hostLibraries ?? []).map((lib) => ({ local: lib, remote: `${this.remoteDir}/lib/${basename(lib)}` })),
        { local: job.modelPath, remote: model },
      ],
      signal,
    );
    const runDir = `${this.remoteDir}/runs/${randomUUID()}`;
    const localDir = mkdtempSync(join(tmpdir(), 'latfleet-adb-'));
    try {
      const ctx: JobContext = { job, binary, model, runDir, localDir, onProgress, signal };
      const { resources, ...measured } = format === 'onnx' ? await this.runOrtPerfTest(ctx) : await this.runTfliteBenchmark(ctx);
      return { startedAt, finishedAt: new Date(), environment, ...measured, ...(resources ? { report: { resources } } : {}) };
    } finally {
      rmSync(localDir, { recursive: true, force: true });
      await this.adb.shell(shellJoin(['rm', '-rf', runDir]), { timeoutMs: HOUSEKEEPING_MS }).catch(() => undefined);
    }
  }

  /**
   * perf_test always runs one untimed inference of its own before the timed ones; the remaining
   * warm-ups are timed runs whose results are dropped. Per-run times come from its result file
   * (seconds, printed with 6 significant digits); the profile's first run is that untimed warm-up.
   */
  private async runOrtPerfTest(ctx: JobContext): Promise<Measured> {
    const { warmupRuns, timedRuns, profiledRuns, graphOptimizationLevel } = ctx.job.protocol;
    const extraWarmups = Math.max(warmupRuns - 1, 0);
    const session = ['-e', 'cpu', '-x', '1', '-y', '1', '-o', OPT_LEVEL[graphOptimizationLevel] ?? '99', '-I', '-m', 'times'];

    const { latenciesNs: timed, summary: timedSummary } = await this.runPerfTest(ctx, 'timed', [...session, '-r', String(extraWarmups + timedRuns)]);
    if (timed.length !== extraWarmups + timedRuns) {
      throw RunnerError.unparsable('onnxruntime_perf_test', `result file has ${timed.length} runs, asked for ${extraWarmups + timedRuns}`);
    }
    ctx.onProgress('warmup', warmupRuns, warmupRuns);
    ctx.onProgress('timed', timedRuns, timedRuns);
    if (profiledRuns === 0) return { latenciesNs: timed.slice(extraWarmups), profiledMedianNs: 0, layers: [] };

    const prefix = `${ctx.runDir}/profile`;
    const { latenciesNs: profiledNs, summary: profiledSummary } = await this.runPerfTest(ctx, 'profiled', [...session, '-r', String(profiledRuns), '-p', prefix]);
    const summaries = [timedSummary, profiledSummary];
    const resources = toolResources(
      summaries.map((s) => (s.sessionCreationS ?? Number.NaN) * 1e3),
      summaries.map((s) => s.peakWorkingSetBytes ?? Number.NaN),
    );
    const listing = await this.adb.shell(shellJoin(['ls', ctx.runDir]), { signal: ctx.signal, timeoutMs: HOUSEKEEPING_MS });
    const file = listing.split(/\s+/).find((f) => f.startsWith('profile') && f.endsWith('.json'));
    if (!file) throw RunnerError.unparsable('onnxruntime_perf_test', `no profile JSON in ${ctx.runDir} after a run with -p`);
    const local = join(ctx.localDir, 'profile.json');
    await this.adb.pull(`${ctx.runDir}/${file}`, local, ctx.signal);
    const profile = parseOrtProfile(readFileSync(local, 'utf8'));
    if (profile.runDurationsNs.length !== profiledRuns + 1) {
      throw RunnerError.unparsable(
        'onnxruntime_perf_test',
        `profile has ${profile.runDurationsNs.length} model_run events, expected ${profiledRuns + 1} (its warm-up and ${profiledRuns})`,
      );
    }
    const layers: NodeTiming[] = profile.nodes.filter((n) => n.iteration > 0).map((n) => ({ ...n, iteration: n.iteration - 1 }));
    ctx.onProgress('profiled', profiledRuns, profiledRuns);
    return { latenciesNs: timed.slice(extraWarmups), profiledMedianNs: Math.round(median(profiledNs)), layers, ...(resources ? { resources } : {}) };
  }

  /** One perf_test process; its per-run latencies (ns) from the result file it writes into the run directory, and its stdout summary. */
  private async runPerfTest(ctx: JobContext, label: string, args: string[]): Promise<{ latenciesNs: number[]; summary: ReturnType<typeof parseOrtPerfTestStdout> }> {
    const remote = `${ctx.runDir}/${label}.csv`;
    const stdout = await this.adb.shell(this.deviceCommand(ctx.runDir, shellJoin(['taskset', this.options.cpuMask, ctx.binary, ...args, ctx.model, remote])), {
      signal: ctx.signal,
    });
    const summary = parseOrtPerfTestStdout(stdout);
    const local = join(ctx.localDir, `${label}.csv`);
    await this.adb.pull(remote, local, ctx.signal);
    return { latenciesNs: parseOrtPerfTestResultFile(readFileSync(local, 'utf8')), summary };
  }

  /**
   * benchmark_model prints only aggregates (count/first/curr/min/max/avg/std) for its runs, never each
   * run. Per-run latencies therefore come from one process per timed run (its own warm-ups, then
   * exactly one timed run: `--num_runs=1 --min_secs=0`), all in one device shell loop. The profiled
   * phase is one process; its op table gives per-node means, and its profiled time is the mean.
   */
  private async runTfliteBenchmark(ctx: JobContext): Promise<Measured> {
    const { warmupRuns, timedRuns, profiledRuns } = ctx.job.protocol;
    const base = [ctx.binary, `--graph=${ctx.model}`, '--num_threads=1', `--warmup_runs=${warmupRuns}`, '--warmup_min_secs=0', '--min_secs=0'];
    const extra = this.options.tfliteExtraArgs ?? [];
    const once = `${shellJoin(['taskset', this.options.cpuMask, ...base, '--num_runs=1', ...extra])} 2>&1`;
    let done = 0;
    const timedLog = await this.adb.shell(this.deviceCommand(ctx.runDir, `i=0; while [ "$i" -lt ${timedRuns} ]; do ${once} || exit $?; i=$((i+1)); done`), {
      signal: ctx.signal,
      onStdoutLine: (line) => {
        if (!line.includes('timings in us')) return;
        if (done === 0) ctx.onProgress('warmup', warmupRuns, warmupRuns);
        ctx.onProgress('timed', ++done, timedRuns);
      },
    });
    const timedOutput = parseTfliteBenchmarkOutput(timedLog);
    const timings = timedOutput.timings;
    if (timings.length !== timedRuns) {
      throw RunnerError.unparsable('benchmark_model', `${timings.length} "Inference timings" lines from ${timedRuns} processes`);
    }
    const latenciesNs = timings.map((t) => Math.round(t.inferenceAvgUs * 1000));
    // every process loads the model once (Init); the profiled one also monitors its peak memory
    // (--report_peak_memory_footprint: a thread sampling the RSS, kept out of the timed processes)
    const resourcesOf = (outputs: ReturnType<typeof parseTfliteBenchmarkOutput>[]) =>
      toolResources(
        outputs.flatMap((o) => o.timings.map((t) => t.initUs / 1000)),
        outputs.flatMap((o) => o.peakMemoryMb.map((mb) => mb * MIB)),
      );
    if (profiledRuns === 0) {
      const resources = resourcesOf([timedOutput]);
      return { latenciesNs, profiledMedianNs: 0, layers: [], ...(resources ? { resources } : {}) };
    }

    const profiledLog = await this.adb.shell(
      this.deviceCommand(
        ctx.runDir,
        `${shellJoin(['taskset', this.options.cpuMask, ...base, `--num_runs=${profiledRuns}`, '--enable_op_profiling=true', '--report_peak_memory_footprint=true', ...extra])} 2>&1`,
      ),
      { signal: ctx.signal },
    );
    const profiledOutput = parseTfliteBenchmarkOutput(profiledLog);
    const summary = profiledOutput.timings[0];
    if (!summary) throw RunnerError.unparsable('benchmark_model', 'profiled run printed no "Inference timings" line');
    const layers = tfliteNodeTimings(parseTfliteOpProfile(profiledLog));
    ctx.onProgress('profiled', profiledRuns, profiledRuns);
    const resources = resourcesOf([timedOutput, profiledOutput]);
    return { latenciesNs, profiledMedianNs: Math.round(summary.inferenceAvgUs * 1000), layers, ...(resources ? { resources } : {}) };
  }

  /** A command line run in the work directory, with the pushed libraries on the loader path and the job's run directory present. */
  private deviceCommand(runDir: string, body: string): string {
    const dir = shellQuote(this.remoteDir);
    return `cd ${dir} && mkdir -p ${shellQuote(runDir)} || exit 1; export LD_LIBRARY_PATH=${shellQuote(`${this.remoteDir}/lib`)}; ${body}`;
  }

  private async environment(format: ModelFormat, signal: AbortSignal): Promise<RunEnvironment> {
    const { props, sys } = await this.readDevice(signal);
    return androidRunEnvironment(props, sys, this.options.cpuMask, {
      runtime: format === 'onnx' ? this.ortLabel : this.tfliteLabel,
      agent: AGENT_VERSION,
    });
  }

  private async readDevice(signal?: AbortSignal) {
    const out = await this.adb.shell(`getprop; echo ${FACTS_MARK}; ${SYSFS_SCRIPT}`, { signal, timeoutMs: HOUSEKEEPING_MS });
    const [props = '', sysfs = ''] = out.split(FACTS_MARK);
    return { props: parseGetprop(props), sys: parseSysfsDump(sysfs) };
  }
}
