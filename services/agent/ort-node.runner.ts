import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Inject, Injectable, Optional } from '@nestjs/common';
import ort from 'onnxruntime-node';
import pkg from 'onnx-proto';
import { medianAbsoluteDeviation } from 'simple-statistics';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import {
  assessRun,
  attributeTimings,
  blockOfLayer,
  buildLineage,
  tensorLayersOfModel,
  fixedRuns,
  interleavedTimedRuns,
  HostProbeBaseline,
  LayerAttributor,
  median,
  otherBusyCpus,
  ROUND_EXCLUDING_FLAGS,
  parseOrtProfile,
  parseProcStat,
  resolveProtocol,
  roundMs,
  systemClock,
  timedRuns,
  warmUp,
  type LoopClock,
  type MeasurementProtocol,
  type NodeTiming,
  type SystemCpuTimes,
  type TimedOutcome,
  type WarmupOutcome,
} from '../lib/measure/index.js';
import { describeVariant } from '../lib/models/index.js';
import type { RunEnvironment } from '../lib/proto/index.js';
import { AGENT_VERSION } from './agent-version.js';
import { readEnvironment } from './device-facts.js';
import { HostSpeedProbe } from './host-speed-probe.js';
import { peakResidentBytes, resetPeakResident, type PeakMemorySource } from './process-memory.js';
import { cleanest, resultOf, retryNote, type KeptAttempt, type LayerBlock, type OrtRunnerResult, type ProfiledOutcome } from './ort-node.report.js';
import type { ProgressFn, Runner, RunnerJob } from './runner.js';

export type { OrtRunnerResult } from './ort-node.report.js';

const { onnx } = pkg;

/** The side effects the runner needs besides ONNX Runtime itself; tests replace them. */
export interface OrtRunnerHooks {
  readEnvironment(core: number, versions: { runtime: string; agent: string }): RunEnvironment;
  /** CPU time this process has used, in ns (all threads) */
  cpuTimeNs(): number;
  cores(): number;
  /** the machine's cumulative CPU times; null where the OS does not tell */
  systemCpuTimes(): SystemCpuTimes | null;
  /** the host speed probe: a fixed reference workload's time in ns; null where there is none */
  hostProbeNs(): Promise<number | null>;
  /** starts a peak-memory window (process-memory.ts) */
  resetPeakResident(): PeakMemorySource;
  peakResidentBytes(): number;
  clock: LoopClock;
}

export const ORT_RUNNER_HOOKS = Symbol('OrtRunnerHooks');

const systemHooks: OrtRunnerHooks = {
  readEnvironment,
  cpuTimeNs: () => {
    const u = process.cpuUsage();
    return (u.user + u.system) * 1000;
  },
  // the load average is system-wide: all online CPUs, not just those this process may use
  cores: () => os.cpus().length,
  systemCpuTimes: () => {
    try {
      return parseProcStat(readFileSync('/proc/stat', 'utf8'));
    } catch {
      return null;
    }
  },
  // a probe that fails leaves the attempt unprobed; it never fails the measurement
  hostProbeNs: () => (hostProbe ??= new HostSpeedProbe()).measureNs().catch(() => null),
  resetPeakResident,
  peakResidentBytes,
  clock: systemClock,
};

let hostProbe: HostSpeedProbe | undefined;

/** A job; without the builder's layer names they are read from the model's `latfleet.variant` metadata. */
export type OrtRunnerJob = RunnerJob;

/** Profiled sessions run this many unrecorded runs first (at most), so the profile holds no first-run effects. */
const PROFILED_WARMUP_RUNS = 5;

/** ONNX Runtime in this process, on the CPU, single-threaded and sequential. */
@Injectable()
export class OrtNodeRunner implements Runner {
  readonly name = 'ort-node';
  readonly formats = ['onnx'] as const;
  readonly runtimeVersion = `onnxruntime-node ${ort.env.versions.node ?? 'unknown'}`;
  private readonly hooks: OrtRunnerHooks;
  /** the host's best recent speed, from the probes this runner has taken */
  private readonly hostBaseline = new HostProbeBaseline();

  constructor(
    @Inject(CONFIG) private readonly config: LatfleetConfig,
    @Optional() @Inject(ORT_RUNNER_HOOKS) hooks?: Partial<OrtRunnerHooks>,
  ) {
    this.hooks = { ...systemHooks, ...hooks };
  }

  async run(job: OrtRunnerJob, onProgress: ProgressFn, signal: AbortSignal): Promise<OrtRunnerResult> {
    const startedAt = new Date();
    const protocol = resolveProtocol(job.protocol);
    const feeds = feedsOf(job);
    const layers = this.layersOf(job);
    const attempts: KeptAttempt[] = [];
    for (let attempt = 0; ; attempt++) {
      const [outcome] = await this.roundAttempt(attempt, [job], protocol, [feeds], [layers], onProgress, signal);
      attempts.push(outcome!);
      if (outcome!.quality.flags.length === 0 || attempt >= protocol.maxRetries) break;
      onProgress('warmup', 0, 1, retryNote(attempt, protocol, outcome!.quality.flags));
      await this.hooks.clock.sleep(protocol.retryCooldownMs, signal);
    }
    return resultOf(startedAt, protocol, layers, attempts, cleanest(attempts));
  }

  /**
   * A round: every job's session open at once, warmed in turn, then timed runs that alternate in
   * blocks between them (`interleavedTimedRuns`), so that their ratios cancel what the host did
   * meanwhile; then each job's profiled runs in its own session. A throttled or busy round is
   * measured again as a whole (every job's attempt pairs with the others'). Results in the jobs' order.
   */
  async runRound(jobs: OrtRunnerJob[], onProgress: ProgressFn, signal: AbortSignal): Promise<OrtRunnerResult[]> {
    const startedAt = new Date();
    const protocol = resolveProtocol(jobs[0]!.protocol);
    const feeds = jobs.map(feedsOf);
    const layers = jobs.map((j) => this.layersOf(j));
    const rounds: KeptAttempt[][] = [];
    // only what pairing cannot cancel flags (and repeats) a round: the other flags are kept as advice
    const union = (round: KeptAttempt[]) => [...new Set(round.flatMap((a) => a.quality.flags))].filter((f) => ROUND_EXCLUDING_FLAGS.includes(f));
    for (let attempt = 0; ; attempt++) {
      const round = await this.roundAttempt(attempt, jobs, protocol, feeds, layers, onProgress, signal);
      rounds.push(round);
      const flags = union(round);
      if (flags.length === 0 || attempt >= protocol.maxRetries) break;
      onProgress('warmup', 0, 1, retryNote(attempt, protocol, flags));
      await this.hooks.clock.sleep(protocol.retryCooldownMs, signal);
    }
    // the round attempt with the fewest flags over all its jobs, then the least spread: the same for every job
    const keptIndex = rounds.indexOf(
      cleanest(
        rounds.map((r) => ({ round: r, quality: { flags: union(r), relativeMad: Math.max(...r.map((a) => a.quality.relativeMad ?? 0)), cpuShare: r[0]!.quality.cpuShare } })),
      ).round,
    );
    const kept = rounds[keptIndex]!;
    const flaggedBy = union(kept);
    return jobs.map((_, i) =>
      resultOf(
        startedAt,
        protocol,
        layers[i]!,
        rounds.map((r) => r[i]!),
        kept[i]!,
        flaggedBy,
      ),
    );
  }

  private layersOf(job: OrtRunnerJob): LayerBlock[] {
    return job.layerNames?.map((name) => ({ name, block: blockOfLayer(name) })) ?? layersOfModel(job.modelPath);
  }

  private sessionOptions(protocol: MeasurementProtocol): ort.InferenceSession.SessionOptions {
    return {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: protocol.graphOptimizationLevel,
    };
  }

  /**
   * One attempt of one job (measured alone) or of a round: every session opened and warmed, the host
   * probed, the timed runs (interleaved when there are several), probed again, then each job's
   * profiled runs in its own session; each job judged by the round's environment and its own spread.
   */
  private async roundAttempt(
    attempt: number,
    jobs: RunnerJob[],
    protocol: MeasurementProtocol,
    feeds: Array<Record<string, ort.Tensor>>,
    layers: LayerBlock[][],
    onProgress: ProgressFn,
    signal: AbortSignal,
  ): Promise<KeptAttempt[]> {
    const { clock } = this.hooks;
    const versions = { runtime: this.runtimeVersion, agent: AGENT_VERSION };
    const startedAt = new Date();
    const readBefore = this.hooks.readEnvironment(this.config.agentCore, versions);
    const peakSource = this.hooks.resetPeakResident();
    const sessions: ort.InferenceSession[] = [];
    const loads: Array<{ firstMs: number; warmMs: number }> = [];
    const elapsedMs = (t0: bigint) => Number(clock.nowNs() - t0) / 1e6;
    const warmups: WarmupOutcome[] = [];
    let timed: TimedOutcome[];
    let cpuShare: number | null = null;
    let others: number | null = null;
    let probeBeforeNs: number | null;
    let probeAfterNs: number | null;
    let probeNs = 0n;
    const probe = async () => {
      const t0 = clock.nowNs();
      const ns = await this.hooks.hostProbeNs();
      probeNs += clock.nowNs() - t0;
      return ns;
    };
    try {
      for (const job of jobs) {
        const t0 = clock.nowNs();
        sessions.push(await ort.InferenceSession.create(job.modelPath, this.sessionOptions(protocol)));
        const firstMs = elapsedMs(t0);
        const t1 = clock.nowNs();
        await (await ort.InferenceSession.create(job.modelPath, this.sessionOptions(protocol))).release();
        loads.push({ firstMs, warmMs: elapsedMs(t1) });
      }
      const runOnce = sessions.map((session, i) => () => session.run(feeds[i]!));
      for (const [i, run] of runOnce.entries()) {
        warmups.push(await warmUp(run, protocol, { clock, signal, onProgress: (d, t) => onProgress('warmup', i * t + d, jobs.length * t) }));
      }
      probeBeforeNs = await probe();
      const system0 = this.hooks.systemCpuTimes();
      const cpu0 = this.hooks.cpuTimeNs();
      const wall0 = clock.nowNs();
      const timedProgress = { clock, signal, onProgress: (d: number, t: number) => onProgress('timed', d, t) };
      // one job alone: its own timed runs (with the confidence rule); several: interleaved blocks
      timed =
        runOnce.length === 1 ? [await timedRuns(runOnce[0]!, protocol, timedProgress)] : await interleavedTimedRuns(runOnce, protocol, protocol.interleaveBlockRuns, timedProgress);
      const cpuNs = this.hooks.cpuTimeNs() - cpu0;
      const wallNs = Number(clock.nowNs() - wall0);
      const system1 = this.hooks.systemCpuTimes();
      const timedSeconds = timed.reduce((sum, t) => sum + t.timedSeconds, 0);
      if (timedSeconds > 0) cpuShare = cpuNs / (timedSeconds * 1e9);
      if (system0 && system1) others = otherBusyCpus(system0, system1, cpuNs, wallNs);
      probeAfterNs = await probe();
    } finally {
      for (const session of sessions) await session.release();
    }
    const profiled: ProfiledOutcome[] = [];
    for (const [i, job] of jobs.entries())
      profiled.push(
        await this.profile(
          job,
          protocol,
          feeds[i]!,
          layers[i]!.map((l) => l.name),
          onProgress,
          signal,
        ),
      );
    const peakBytes = this.hooks.peakResidentBytes();
    const withProbe = (e: RunEnvironment, ns: number | null): RunEnvironment => ({ ...e, hostProbeNs: ns ?? 0 });
    const environmentBefore = withProbe(readBefore, probeBeforeNs);
    const environmentAfter = withProbe(this.hooks.readEnvironment(this.config.agentCore, versions), probeAfterNs);
    for (const ns of [probeBeforeNs, probeAfterNs]) this.hostBaseline.add(ns);
    const bestHostProbeNs = this.hostBaseline.ns;
    const finishedAt = new Date();
    return jobs.map((_, i) => {
      const t = timed[i]!;
      const timedMedian = median(t.latenciesNs);
      const relativeMad = timedMedian > 0 ? medianAbsoluteDeviation(t.latenciesNs) / timedMedian : null;
      const quality = assessRun(environmentBefore, environmentAfter, { cores: this.hooks.cores(), cpuShare, otherBusyCpus: others, relativeMad, bestHostProbeNs }, protocol);
      return {
        attempt,
        startedAt,
        finishedAt,
        environmentBefore,
        environmentAfter,
        quality,
        warmup: warmups[i]!,
        timed: { runs: t.latenciesNs.length, stopReason: t.stopReason, seconds: t.timedSeconds, ciRelativeHalfWidth: t.ciRelativeHalfWidth, medianNs: timedMedian },
        hostProbeSeconds: Number(probeNs) / 1e9,
        ...(jobs.length > 1 ? { interleave: { variants: jobs.length, position: i, blockRuns: protocol.interleaveBlockRuns } } : {}),
        resources: { loadFirstMs: roundMs(loads[i]!.firstMs), loadWarmMs: roundMs(loads[i]!.warmMs), peakResidentBytes: peakBytes, peakResidentSource: peakSource },
        latenciesNs: t.latenciesNs,
        profiled: profiled[i]!,
      };
    });
  }

  /**
   * A separate session with profiling on, which also writes the graph it actually runs: the
   * lineage from that graph attributes every kernel (renamed, fused, inserted or unnamed) to a layer.
   */
  private async profile(
    job: RunnerJob,
    protocol: MeasurementProtocol,
    feeds: Record<string, ort.Tensor>,
    layerNames: string[],
    onProgress: ProgressFn,
    signal: AbortSignal,
  ): Promise<ProfiledOutcome> {
    if (protocol.profiledRuns === 0) return { latenciesNs: [], runDurationsNs: [], sessionOverheadNs: [], layers: [], warmupRuns: 0, attribution: { source: 'lineage' } };
    const dir = mkdtempSync(join(os.tmpdir(), 'latfleet-profile-'));
    const optimizedPath = join(dir, 'optimized.onnx');
    try {
      const session = await ort.InferenceSession.create(job.modelPath, {
        ...this.sessionOptions(protocol),
        enableProfiling: true,
        profileFilePrefix: join(dir, 'profile'),
        optimizedModelFilePath: optimizedPath,
        // the NCHWc dump warning is expected; weights go to a side file so the graph decodes fast
        logSeverityLevel: 3,
        extra: { session: { optimized_model_external_initializers_file_name: 'optimized.weights', optimized_model_external_initializers_min_size_in_bytes: '1024' } },
      });
      const warmupRuns = Math.min(protocol.warmupRuns, PROFILED_WARMUP_RUNS);
      let latenciesNs: number[];
      try {
        const runOnce = () => session.run(feeds);
        for (let i = 0; i < warmupRuns; i++) {
          signal.throwIfAborted();
          await runOnce();
        }
        latenciesNs = await fixedRuns(runOnce, protocol.profiledRuns, protocol.cooldownMs, {
          clock: this.hooks.clock,
          signal,
          onProgress: (d, t) => onProgress('profiled', d, t),
        });
        // The profile file stays empty until profiling ends.
        session.endProfiling();
      } finally {
        await session.release();
      }
      const file = readdirSync(dir).find((f) => f.endsWith('.json'));
      const parsed = file ? parseOrtProfile(readFileSync(join(dir, file), 'utf8'), { skipRuns: warmupRuns }) : { nodes: [], runDurationsNs: [], sessionOverheadNs: [] };
      let layers: NodeTiming[];
      let attribution: ProfiledOutcome['attribution'];
      try {
        // a model latfleet did not build has a layer per node: its tensors say which node a fused kernel came from
        const tensorLayers = layersOfModel(job.modelPath).length === 0 ? tensorLayersOfModel(readFileSync(job.modelPath), layerNames) : undefined;
        layers = attributeTimings(parsed.nodes, buildLineage(readFileSync(optimizedPath), layerNames, tensorLayers));
        attribution = { source: 'lineage' };
      } catch (err) {
        const names = new LayerAttributor(layerNames);
        layers = parsed.nodes.map((t) => ({ ...t, layer: names.layerOf(t.nodeName) }));
        attribution = { source: 'names', error: (err as Error).message };
      }
      return { latenciesNs, runDurationsNs: parsed.runDurationsNs, sessionOverheadNs: parsed.sessionOverheadNs, layers, warmupRuns, attribution };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** The input every runner feeds: the same deterministic pattern for a given shape. */
function feedsOf(job: RunnerJob): Record<string, ort.Tensor> {
  const size = job.inputShape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = ((i * 7919) % 255) / 255 - 0.5;
  return { [job.inputName]: new ort.Tensor('float32', data, job.inputShape) };
}

/** The builder's layers with their blocks for a latfleet-built model (its `latfleet.variant` metadata); [] for anything else. */
export function layersOfModel(modelPath: string): LayerBlock[] {
  try {
    const model = onnx.ModelProto.decode(readFileSync(modelPath));
    const variant = model.metadataProps.find((p) => p.key === 'latfleet.variant')?.value;
    return variant ? describeVariant(variant).layers.map((l) => ({ name: l.name, block: l.block })) : [];
  } catch {
    return [];
  }
}
