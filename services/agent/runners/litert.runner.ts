import { readFileSync } from 'node:fs';
import os from 'node:os';
import pkg from 'onnx-proto';
import { medianAbsoluteDeviation } from 'simple-statistics';
import {
  assessRun,
  median,
  resolveProtocol,
  roundMs,
  summarize,
  systemClock,
  timedRuns,
  warmUp,
  type AttemptResources,
  type LatencyStats,
  type LoopClock,
  type MeasurementAttempt,
  type MeasurementProtocol,
  type QualityFlag,
  type RunQuality,
} from '../../lib/measure/index.js';
import { buildTflite, inspectTflite } from '../../lib/models/index.js';
import type { RunEnvironment } from '../../lib/proto/index.js';
import { AGENT_VERSION } from '../agent-version.js';
import { peakResidentBytes, resetPeakResident, type PeakMemorySource } from '../process-memory.js';
import { readEnvironment } from '../device-facts.js';
import { cleanest, retryNote } from '../ort-node.report.js';
import type { ProgressFn, Runner, RunnerJob, RunnerResult } from '../runner.js';
import { LITERT_VERSION, loadLiteRtInNode } from './litert-node.js';
import { modelFormat } from './model-format.js';
import { RunnerError, RunnerErrorCode } from './runner.error.js';

const { onnx } = pkg;

/** The side effects besides LiteRT itself; tests replace them. */
export interface LiteRtRunnerHooks {
  readEnvironment(core: number, versions: { runtime: string; agent: string }): RunEnvironment;
  /** CPU time this process has used, in ns (all threads) */
  cpuTimeNs(): number;
  cores(): number;
  /** starts a peak-memory window (process-memory.ts) */
  resetPeakResident(): PeakMemorySource;
  peakResidentBytes(): number;
  clock: LoopClock;
}

const systemHooks: LiteRtRunnerHooks = {
  readEnvironment,
  cpuTimeNs: () => {
    const u = process.cpuUsage();
    return (u.user + u.system) * 1000;
  },
  cores: () => os.cpus().length,
  resetPeakResident,
  peakResidentBytes,
  clock: systemClock,
};

/** Why the report has no per-layer table: say it rather than leave the reader guessing. */
export const LITERT_PROFILING_UNAVAILABLE = '@litertjs/core exposes no per-op profiler (no TFLite op profiling through its JS API): no per-layer timings';

export interface LiteRtReport {
  runtime: 'litert';
  accelerator: 'wasm';
  threads: 1;
  /** `tflite` file as given, or `built-from-onnx`: the latfleet ONNX variant's TFLite twin, built on the agent from its `latfleet.variant` */
  modelSource: 'tflite' | 'built-from-onnx';
  modelSha256?: string;
  protocol: MeasurementProtocol;
  attempts: Array<MeasurementAttempt<RunEnvironment>>;
  flagged: boolean;
  flaggedBy: QualityFlag[];
  quality: RunQuality;
  /** end to end: input already in a LiteRT tensor; the run and the copy of the output to JS */
  timed: LatencyStats;
  profiled: null;
  profiling: { available: false; reason: string };
  /**
   * Every op ran in XNNPACK (LiteRT's `isFullyAccelerated`). False: some ran on TFLite's builtin
   * kernels between XNNPACK partitions (SPLIT_V; in int8 also HARD_SWISH and a standalone RELU).
   */
  fullyDelegated: boolean;
  /** the kept attempt's model compile times (loadAndCompile) and the process's peak memory */
  resources?: AttemptResources;
}

interface Attempt extends MeasurementAttempt<RunEnvironment> {
  latenciesNs: number[];
  fullyDelegated: boolean;
}

/**
 * LiteRT (TFLite's runtime) compiled to WebAssembly, in this process: XNNPACK on the CPU, one
 * thread, no per-op profile. Runs `.tflite` files (a litert agent announces tflite only); given a
 * latfleet ONNX variant outside the fleet it builds the TFLite twin of the same plan and weights.
 */
export class LiteRtRunner implements Runner {
  readonly name = 'litert';
  readonly formats = ['tflite'] as const;
  readonly runtimeVersion = `@litertjs/core ${LITERT_VERSION} (wasm, XNNPACK, 1 thread)`;
  private readonly hooks: LiteRtRunnerHooks;

  constructor(
    private readonly core = -1,
    hooks: Partial<LiteRtRunnerHooks> = {},
  ) {
    this.hooks = { ...systemHooks, ...hooks };
  }

  async run(job: RunnerJob, onProgress: ProgressFn, signal: AbortSignal): Promise<RunnerResult & { flagged: boolean; report: LiteRtReport }> {
    const startedAt = new Date();
    const protocol = resolveProtocol(job.protocol);
    const model = modelOf(job.modelPath);
    const attempts: Attempt[] = [];
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(attempt, model.bytes, protocol, onProgress, signal);
      attempts.push(outcome);
      if (outcome.quality.flags.length === 0 || attempt >= protocol.maxRetries) break;
      onProgress('warmup', 0, 1, retryNote(attempt, protocol, outcome.quality.flags));
      await this.hooks.clock.sleep(protocol.retryCooldownMs, signal);
    }
    const kept = cleanest(attempts);
    const report: LiteRtReport = {
      runtime: 'litert',
      accelerator: 'wasm',
      threads: 1,
      modelSource: model.source,
      ...(model.sha256 ? { modelSha256: model.sha256 } : {}),
      protocol,
      attempts: attempts.map(({ latenciesNs: _l, fullyDelegated: _f, ...a }) => a),
      flagged: kept.quality.flags.length > 0,
      flaggedBy: [...kept.quality.flags],
      quality: kept.quality,
      timed: summarize(kept.latenciesNs),
      profiled: null,
      profiling: { available: false, reason: LITERT_PROFILING_UNAVAILABLE },
      fullyDelegated: kept.fullyDelegated,
      ...(kept.resources ? { resources: kept.resources } : {}),
    };
    return {
      startedAt,
      finishedAt: new Date(),
      latenciesNs: kept.latenciesNs,
      profiledMedianNs: 0,
      layers: [],
      environment: kept.environmentBefore,
      flagged: report.flagged,
      report,
    };
  }

  private async attempt(attempt: number, bytes: Uint8Array, protocol: MeasurementProtocol, onProgress: ProgressFn, signal: AbortSignal): Promise<Attempt> {
    const { clock } = this.hooks;
    const versions = { runtime: this.runtimeVersion, agent: AGENT_VERSION };
    const startedAt = new Date();
    const environmentBefore = this.hooks.readEnvironment(this.core, versions);
    const peakSource = this.hooks.resetPeakResident();
    const litert = await loadLiteRtInNode();
    const compile = () => litert.loadAndCompile(bytes, { accelerator: 'wasm', cpuOptions: { numThreads: 1 } });
    const t0 = clock.nowNs();
    const model = await compile();
    const loadFirstMs = Number(clock.nowNs() - t0) / 1e6;
    const fullyDelegated = model.isFullyAccelerated;
    const t1 = clock.nowNs();
    (await compile()).delete();
    const loadWarmMs = Number(clock.nowNs() - t1) / 1e6;
    const shape = inputShape(bytes);
    const input = new litert.Tensor(inputData(shape), shape);
    let cpuShare: number | null = null;
    let warmup;
    let timed;
    try {
      const runOnce = async () => {
        const outputs = await model.run([input]);
        try {
          for (const o of outputs) await o.data();
        } finally {
          for (const o of outputs) o.delete();
        }
      };
      warmup = await warmUp(runOnce, protocol, { clock, signal, onProgress: (d, t) => onProgress('warmup', d, t) });
      const cpu0 = this.hooks.cpuTimeNs();
      timed = await timedRuns(runOnce, protocol, { clock, signal, onProgress: (d, t) => onProgress('timed', d, t) });
      if (timed.timedSeconds > 0) cpuShare = (this.hooks.cpuTimeNs() - cpu0) / (timed.timedSeconds * 1e9);
    } finally {
      input.delete();
      model.delete();
    }
    const environmentAfter = this.hooks.readEnvironment(this.core, versions);
    const medianNs = median(timed.latenciesNs);
    const relativeMad = medianNs > 0 ? medianAbsoluteDeviation(timed.latenciesNs) / medianNs : null;
    const quality = assessRun(environmentBefore, environmentAfter, { cores: this.hooks.cores(), cpuShare, relativeMad }, protocol);
    return {
      attempt,
      startedAt,
      finishedAt: new Date(),
      environmentBefore,
      environmentAfter,
      quality,
      warmup,
      timed: { runs: timed.latenciesNs.length, stopReason: timed.stopReason, seconds: timed.timedSeconds, ciRelativeHalfWidth: timed.ciRelativeHalfWidth, medianNs },
      hostProbeSeconds: 0,
      resources: {
        loadFirstMs: roundMs(loadFirstMs),
        loadWarmMs: roundMs(loadWarmMs),
        peakResidentBytes: this.hooks.peakResidentBytes(),
        peakResidentSource: peakSource,
      },
      latenciesNs: timed.latenciesNs,
      fullyDelegated,
    };
  }
}

function modelOf(path: string): { bytes: Uint8Array; source: LiteRtReport['modelSource']; sha256?: string } {
  if (modelFormat(path) === 'tflite') return { bytes: readFileSync(path), source: 'tflite' };
  let variant: string | undefined;
  try {
    variant = onnx.ModelProto.decode(readFileSync(path)).metadataProps.find((p) => p.key === 'latfleet.variant')?.value ?? undefined;
  } catch {
    variant = undefined;
  }
  if (!variant) throw new RunnerError(RunnerErrorCode.UnsupportedModel, `${path}: litert runs .tflite files or latfleet-built ONNX variants (no latfleet.variant metadata)`);
  const built = buildTflite(variant);
  return { bytes: built.tflite, source: 'built-from-onnx', sha256: built.sha256 };
}

function inputShape(bytes: Uint8Array): number[] {
  const summary = inspectTflite(bytes);
  return summary.tensors.find((t) => t.name === summary.inputs[0])!.shape;
}

/** The ORT runner's input pattern over the NHWC tensor (latency does not depend on the values). */
function inputData(shape: number[]): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = ((i * 7919) % 255) / 255 - 0.5;
  return data;
}
