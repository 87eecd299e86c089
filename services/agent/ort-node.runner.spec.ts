import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LatfleetConfig } from '../lib/config/index.js';
import { breakdownBy, byLayer, systemClock, type LoopClock, type MeasurementProtocolInput, type QualityFlag } from '../lib/measure/index.js';
import { buildVariant } from '../lib/models/index.js';
import type { Protocol, RunEnvironment } from '../lib/proto/index.js';
import { cleanest } from './ort-node.report.js';
import { layersOfModel, OrtNodeRunner, type OrtRunnerHooks } from './ort-node.runner.js';
import type { RunPhase } from './runner.js';

const VARIANT = 'mobilenetv3-small-1.0@96';
const built = buildVariant(VARIANT);
const dir = mkdtempSync(join(tmpdir(), 'latfleet-runner-'));
const modelPath = join(dir, 'model.onnx');
writeFileSync(modelPath, built.onnx);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const environment = (e: Partial<RunEnvironment> = {}): RunEnvironment => ({
  cpuModel: 'test cpu',
  pinnedCore: -1,
  governor: 'performance',
  curFreqKhz: 2_000_000,
  maxFreqKhz: 3_000_000,
  temperatureC: 50,
  loadAverage1m: 0.2,
  os: 'test',
  runtimeVersion: 'r',
  agentVersion: 'a',
  hostProbeNs: 0,
  ...e,
});

/**
 * Environment readings in order (the last one repeats); host probes likewise (ms; none: 2 ms each);
 * sleeps recorded instead of waited; CPU time as if never preempted.
 */
function hooks(readings: RunEnvironment[] = [environment()], probesMs: number[] = [2]) {
  const sleeps: number[] = [];
  let i = 0;
  let p = 0;
  const clock: LoopClock = { nowNs: systemClock.nowNs, sleep: async (ms) => void sleeps.push(ms) };
  const h: Partial<OrtRunnerHooks> = {
    readEnvironment: () => readings[Math.min(i++, readings.length - 1)]!,
    cores: () => 2,
    cpuTimeNs: () => Number(systemClock.nowNs()),
    systemCpuTimes: () => null,
    hostProbeNs: async () => probesMs[Math.min(p++, probesMs.length - 1)]! * 1e6,
    clock,
  };
  return { h, sleeps };
}

/** A job's protocol as the wire carries it, plus the newer fields a later proto will carry. */
const job = (p: MeasurementProtocolInput, layerNames?: string[]) => ({
  modelPath,
  inputName: built.inputName,
  inputShape: built.inputShape,
  protocol: { intraOpThreads: 1, interOpThreads: 1, graphOptimizationLevel: 'all', ...p } as Protocol,
  ...(layerNames ? { layerNames } : {}),
});

// a few runs of a 0.3 ms model spread widely on a shared machine: the spread rule is tested in run-quality.spec.ts
const FAST = { warmupRuns: 2, warmupMinSeconds: 0, timedRuns: 20, profiledRuns: 3, retryCooldownMs: 1234, maxRelativeMad: 1 } satisfies MeasurementProtocolInput;
const config = { agentCore: -1 } as LatfleetConfig;
const never = new AbortController().signal;

describe(OrtNodeRunner.name, () => {
  it('records what loading the model took (first session, and again warm) and the peak memory of the attempt', async () => {
    const { h } = hooks();
    const calls: string[] = [];
    const sut = new OrtNodeRunner(config, { ...h, resetPeakResident: () => (calls.push('reset'), 'vmhwm'), peakResidentBytes: () => (calls.push('read'), 250_000_000) });

    const result = await sut.run(job(FAST), () => undefined, never);

    expect(calls).toEqual(['reset', 'read']);
    const resources = result.report.resources!;
    expect(resources).toMatchObject({ peakResidentBytes: 250_000_000, peakResidentSource: 'vmhwm' });
    expect([resources.loadFirstMs > 0, resources.loadWarmMs > 0]).toEqual([true, true]);
    expect(result.report.attempts[0]!.resources).toEqual(resources);
  });

  it('measures timed and profiled runs and attributes every kernel to a layer', async () => {
    const { h } = hooks();
    const phases = new Set<RunPhase>();
    const sut = new OrtNodeRunner(config, h);

    const result = await sut.run(job(FAST), (phase) => phases.add(phase), never);

    expect(result.latenciesNs).toHaveLength(20);
    expect(result.latenciesNs.every((ns) => ns > 0)).toBe(true);
    expect(result.profiledMedianNs).toBeGreaterThan(0);
    expect([...phases]).toEqual(['warmup', 'timed', 'profiled']);
    expect(new Set(result.layers.map((l) => l.iteration))).toEqual(new Set([0, 1, 2]));
    expect(breakdownBy(result.layers, byLayer).unattributedShare).toBeLessThan(0.01);
    expect(result.environment).toMatchObject({ cpuModel: 'test cpu', hostProbeNs: 2e6 });
    expect(result.report).toMatchObject({
      flagged: false,
      profiledWarmupRuns: 2,
      timed: { count: 20 },
      profiled: { count: 3 },
      attribution: { source: 'lineage' },
      protocol: { timedRuns: 20, graphOptimizationLevel: 'all' },
    });
    expect(result.report.attempts).toHaveLength(1);
    expect(result.report.attempts[0]).toMatchObject({ warmup: { runs: 2 }, timed: { runs: 20, stopReason: 'minimum' } });
    // kernels run inside the profiled runs: their sum cannot exceed the runs (the rest is the profiler's own time)
    expect(result.report.attribution.layerSumToProfiledMedian).toBeGreaterThan(0.2);
    expect(result.report.attribution.layerSumToProfiledMedian).toBeLessThan(1);
    expect(result.report.attempts[0]!.environmentBefore.hostProbeNs).toBe(2e6);
    expect(result.report.attempts[0]!.environmentAfter.hostProbeNs).toBe(2e6);
  });

  it('accounts for the whole of each profiled run: kernels, executor overhead, session overhead', async () => {
    const sut = new OrtNodeRunner(config, hooks().h);

    const result = await sut.run(job(FAST), () => undefined, never);
    const a = result.report.attribution;

    expect(result.layers.every((l) => Number.isInteger(l.overheadNs) && l.overheadNs! >= 0)).toBe(true);
    // per run, by construction: nodes and session add up to the runtime's run (to the ns rounding of each node)
    expect(Math.abs(a.accountedRunMedianNs! - a.profileRunMedianNs!)).toBeLessThanOrEqual(result.layers.length);
    expect(a.layerSumWithOverheadToProfiledMedian).toBeGreaterThan(a.layerSumToProfiledMedian!);
    expect(a.sessionOverheadMedianNs).toBeGreaterThan(0);
    for (const table of [a.byLayer, a.byBlock, a.byOpType]) {
      expect(table.at(-1)).toMatchObject({ key: '(session)', kernelMedianNs: 0, nodes: 0 });
      expect(table.reduce((s, g) => s + g.totalShare, 0)).toBeCloseTo(1, 2);
      expect(table.every((g) => g.totalMedianNs >= g.kernelMedianNs)).toBe(true);
    }
    expect(a.byBlock.map((g) => g.key)).toContain('blocks.0');
    expect(a.byOpType.map((g) => g.key)).toContain('Conv');
  });

  it('measures a round together: timed runs interleaved in blocks, each job its own result', async () => {
    const { h } = hooks();
    const sut = new OrtNodeRunner(config, h);
    const notes: string[] = [];
    const results = await sut.runRound(
      [job({ ...FAST, interleaveBlockRuns: 5 }), job({ ...FAST, interleaveBlockRuns: 5 })],
      (_p, _d, _t, note) => void (note && notes.push(note)),
      never,
    );
    expect(results).toHaveLength(2);
    for (const [i, r] of results.entries()) {
      expect(r.latenciesNs).toHaveLength(20);
      expect(r.report.attempts.map((a) => a.interleave)).toEqual([{ variants: 2, position: i, blockRuns: 5 }]);
      expect(new Set(r.layers.map((l) => l.iteration))).toEqual(new Set([0, 1, 2]));
    }
    // one environment record and one pair of probes for the whole round
    expect(results[0]!.environment).toEqual(results[1]!.environment);
    expect(notes).toEqual([]);
  });

  it('keeps a round whose flags pairing cancels (host speed, other cores, spread) as advice, without repeating it', async () => {
    // the host changed speed during the timed runs: every variant of the round saw it alike
    const { h, sleeps } = hooks([environment()], [2.0, 2.6]);
    const sut = new OrtNodeRunner(config, h);
    const results = await sut.runRound([job({ ...FAST, timedRuns: 5, profiledRuns: 0 }), job({ ...FAST, timedRuns: 5, profiledRuns: 0 })], () => undefined, never);
    for (const r of results) {
      expect(r.report.quality.flags).toContain('host-speed-changed');
      expect(r.report).toMatchObject({ flagged: false, flaggedBy: [] });
      expect(r.flagged).toBe(false);
    }
    expect(sleeps).toEqual([]);
  });

  it('repeats a whole round when any of its jobs is flagged, and says so on the status line', async () => {
    // attempt 1: 50 → 70 °C (temperature-rise for every job); attempt 2: 50 → 52 °C
    const { h, sleeps } = hooks([environment(), environment({ temperatureC: 70 }), environment(), environment({ temperatureC: 52 })]);
    const sut = new OrtNodeRunner(config, h);
    const notes: string[] = [];
    const results = await sut.runRound(
      [job({ ...FAST, timedRuns: 5, profiledRuns: 0 }), job({ ...FAST, timedRuns: 5, profiledRuns: 0 })],
      (_p, _d, _t, note) => void (note && notes.push(note)),
      never,
    );
    expect(results.map((r) => r.report.attempts.map((a) => a.quality.flags))).toEqual([
      [['temperature-rise'], []],
      [['temperature-rise'], []],
    ]);
    expect(results.every((r) => !r.flagged && r.report.flaggedBy!.length === 0)).toBe(true);
    expect(notes).toEqual(['retry 1/2: temperature-rise']);
    expect(sleeps).toEqual([1234]);
  });

  it('repeats a measurement the host ran slower than its best, and keeps the clean one', async () => {
    // probes in ms: attempt 1 before 2.0, after 2.0; attempt 2 (the host in a slow state) 2.6, 2.6; attempt 3 back at 2.0
    const { h, sleeps } = hooks([environment()], [2.0, 2.0, 2.6, 2.6, 2.05, 2.0]);
    const sut = new OrtNodeRunner(config, h);

    const first = await sut.run(job({ ...FAST, timedRuns: 5, profiledRuns: 0 }), () => undefined, never);
    const second = await sut.run(job({ ...FAST, timedRuns: 5, profiledRuns: 0 }), () => undefined, never);

    expect(first.report.attempts.map((a) => a.quality.flags)).toEqual([[]]);
    expect(second.report.attempts.map((a) => a.quality.flags)).toEqual([['host-slow'], []]);
    expect(second.report.attempts[0]!.quality).toMatchObject({ throttled: true, bestHostProbeNs: 2e6 });
    expect(second.report.attempts[0]!.quality.hostSlowdown).toBeCloseTo(0.3, 12);
    expect(second.report.flagged).toBe(false);
    expect(sleeps).toEqual([1234]);
  });

  it('flags a host that changed speed during the timed runs', async () => {
    const { h } = hooks([environment()], [2.0, 2.5]);
    const sut = new OrtNodeRunner(config, h);

    const result = await sut.run(job({ ...FAST, timedRuns: 5, profiledRuns: 0, maxRetries: 0, maxHostSlowdown: 0 }), () => undefined, never);

    expect(result.report).toMatchObject({ flagged: true, quality: { throttled: true, flags: ['host-speed-changed'] } });
    expect(result.report.attempts[0]!.hostProbeSeconds).toBeGreaterThanOrEqual(0);
  });

  it('repeats a throttled measurement after the retry cooldown and keeps the clean one', async () => {
    // attempt 1: before 50 °C, after 70 °C; attempt 2: 50 → 52 °C
    const { h, sleeps } = hooks([environment(), environment({ temperatureC: 70 }), environment(), environment({ temperatureC: 52 })]);
    const sut = new OrtNodeRunner(config, h);

    const result = await sut.run(job({ ...FAST, timedRuns: 5, profiledRuns: 1 }), () => undefined, never);

    expect(result.report.attempts.map((a) => a.quality.flags)).toEqual([['temperature-rise'], []]);
    expect(result.report.flagged).toBe(false);
    expect(sleeps).toContain(1234);
  });

  it('flags, rather than drops, a measurement still busy after the last retry', async () => {
    const { h } = hooks([environment({ loadAverage1m: 5 })]);
    const sut = new OrtNodeRunner(config, h);

    const result = await sut.run(job({ ...FAST, timedRuns: 5, profiledRuns: 0, maxRetries: 1 }), () => undefined, never);

    expect(result.report.attempts).toHaveLength(2);
    expect(result.report).toMatchObject({ flagged: true, quality: { busy: true, flags: ['busy-load'] } });
    expect(result.flagged).toBe(true);
    expect(result.latenciesNs).toHaveLength(5);
    expect(result.layers).toEqual([]);
  });

  it('flags other work that kept the machine busy while it measured', async () => {
    // the machine: 2 CPUs; between the samples, every tick busy: 2 CPUs' worth, of which this process ≈ 1
    let ticks = 0;
    const { h } = hooks();
    const sut = new OrtNodeRunner(config, { ...h, systemCpuTimes: () => ((ticks += 1_000_000), { busy: ticks, total: ticks, cpus: 2 }) });

    const result = await sut.run(job({ ...FAST, timedRuns: 5, profiledRuns: 0, maxRetries: 0 }), () => undefined, never);

    expect(result.report.quality.flags).toEqual(['busy-system']);
    expect(result.report.quality.otherBusyCpus).toBeGreaterThan(0.5);
  });

  it('stops when the job is cancelled', async () => {
    const abort = new AbortController();
    const sut = new OrtNodeRunner(config, hooks().h);

    await expect(sut.run(job(FAST), (phase, done) => phase === 'timed' && done === 3 && abort.abort(new Error('cancelled')), abort.signal)).rejects.toThrow('cancelled');
  });

  it('refuses an invalid protocol, naming the field', async () => {
    await expect(new OrtNodeRunner(config, hooks().h).run(job({ ...FAST, timedRuns: 0 }), () => undefined, never)).rejects.toThrow(/protocol\.timedRuns/);
  });
});

describe(cleanest.name, () => {
  const attempt = (attempt: number, flags: QualityFlag[], cpuShare: number | null, relativeMad: number | null = null) => ({
    attempt,
    quality: {
      throttled: false,
      busy: flags.length > 0,
      flags,
      reasons: [],
      cpuShare,
      otherLoadPerCore: 0,
      otherBusyCpus: null,
      relativeMad,
      hostSpeedChange: null,
      hostSlowdown: null,
      bestHostProbeNs: null,
    },
  });

  it('keeps a clean attempt', () => {
    expect(cleanest([attempt(0, ['busy-load'], 0.99), attempt(1, [], 0.99)]).attempt).toBe(1);
  });

  it('keeps the least disturbed of flagged attempts', () => {
    expect(cleanest([attempt(0, ['busy-load', 'busy-cpu'], 0.6), attempt(1, ['busy-load'], 0.97), attempt(2, ['busy-load'], 0.95)]).attempt).toBe(1);
    expect(cleanest([attempt(0, ['busy-load'], 0.9), attempt(1, ['busy-load'], 0.9)]).attempt).toBe(1);
    expect(cleanest([attempt(0, ['unstable'], 1, 0.04), attempt(1, ['unstable'], 1, 0.09)]).attempt).toBe(0);
  });
});

describe(layersOfModel.name, () => {
  it('reads the variant from the model’s metadata', () => {
    expect(layersOfModel(modelPath)).toEqual(built.layers.map((l) => ({ name: l.name, block: l.block })));
  });

  it('gives no names for a file that is not a latfleet model', () => {
    const other = join(dir, 'other.onnx');
    writeFileSync(other, 'not onnx');
    expect(layersOfModel(other)).toEqual([]);
  });
});
