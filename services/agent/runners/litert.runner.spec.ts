import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type LoopClock, type MeasurementProtocolInput } from '../../lib/measure/index.js';
import { buildTflite, buildVariant } from '../../lib/models/index.js';
import type { Protocol, RunEnvironment } from '../../lib/proto/index.js';
import type { RunPhase } from '../runner.js';
import { LITERT_LOAD_TIMEOUT_MS, loadLiteRtInNode } from './litert-node.js';
import { LITERT_PROFILING_UNAVAILABLE, LiteRtRunner, type LiteRtRunnerHooks } from './litert.runner.js';
import { RunnerError } from './runner.error.js';

const VARIANT = 'mobilenetv3-small-0.75@96';
const dir = mkdtempSync(join(tmpdir(), 'latfleet-litert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
const tflite = buildTflite(VARIANT);
const onnx = buildVariant(VARIANT);
// the agent's model cache names every file <sha256>.onnx: the format is read from the content
const tflitePath = file(`${tflite.sha256}.onnx`, tflite.tflite);
const onnxPath = file('model.onnx', onnx.onnx);

const environment: RunEnvironment = {
  cpuModel: 'test cpu',
  pinnedCore: -1,
  governor: 'performance',
  curFreqKhz: 0,
  maxFreqKhz: 0,
  temperatureC: 0,
  loadAverage1m: 0,
  os: 'test',
  runtimeVersion: 'r',
  agentVersion: 'a',
  hostProbeNs: 0,
};

function hooks(): { h: Partial<LiteRtRunnerHooks>; sleeps: number[] } {
  const sleeps: number[] = [];
  const clock: LoopClock = { nowNs: systemClock.nowNs, sleep: async (ms) => void sleeps.push(ms) };
  return { h: { readEnvironment: () => environment, cores: () => 2, cpuTimeNs: () => Number(systemClock.nowNs()), clock }, sleeps };
}

const FAST = { warmupRuns: 2, warmupMinSeconds: 0, timedRuns: 5, profiledRuns: 3, maxRelativeMad: 1 } satisfies MeasurementProtocolInput;
const job = (modelPath: string, p: MeasurementProtocolInput = FAST) => ({
  modelPath,
  inputName: onnx.inputName,
  inputShape: onnx.inputShape,
  protocol: { intraOpThreads: 1, interOpThreads: 1, graphOptimizationLevel: 'all', ...p } as Protocol,
});
const never = new AbortController().signal;

describe(LiteRtRunner.name, () => {
  // LiteRT compiles its whole Wasm module when it loads (STABLE_WASM_FLAGS): once per test file, not inside a test's timeout
  beforeAll(() => loadLiteRtInNode(), LITERT_LOAD_TIMEOUT_MS);

  it('times end-to-end runs of a .tflite model and says it has no per-op profile', async () => {
    const phases = new Set<RunPhase>();
    const sut = new LiteRtRunner(-1, hooks().h);

    const result = await sut.run(job(tflitePath), (phase) => phases.add(phase), never);

    expect(sut.name).toBe('litert');
    expect(sut.runtimeVersion).toMatch(/^@litertjs\/core \d+\.\d+\.\d+ \(wasm, XNNPACK, 1 thread\)$/);
    expect(result.latenciesNs).toHaveLength(5);
    expect(result.latenciesNs.every((ns) => ns > 0)).toBe(true);
    expect([...phases]).toEqual(['warmup', 'timed']);
    expect(result.layers).toEqual([]);
    expect(result.profiledMedianNs).toBe(0);
    expect(result.environment).toEqual(environment);
    expect(result.report).toMatchObject({
      runtime: 'litert',
      modelSource: 'tflite',
      flagged: false,
      timed: { count: 5 },
      profiled: null,
      profiling: { available: false, reason: LITERT_PROFILING_UNAVAILABLE },
      fullyDelegated: true,
    });
    expect(result.report.attempts[0]).toMatchObject({ warmup: { runs: 2 }, timed: { runs: 5 } });
  });

  it('says when XNNPACK does not run every op: int8 HARD_SWISH runs on the builtin kernel', async () => {
    const int8 = buildTflite(`${VARIANT}+quant=int8-per-channel`);

    const result = await new LiteRtRunner(-1, hooks().h).run(job(file(`${int8.sha256}.onnx`, int8.tflite)), () => undefined, never);

    expect(result.report).toMatchObject({ modelSource: 'tflite', fullyDelegated: false });
  });

  it('records what compiling the model took (first, and again warm) and the peak memory of the attempt', async () => {
    const calls: string[] = [];
    const h = { ...hooks().h, resetPeakResident: () => (calls.push('reset'), 'vmhwm' as const), peakResidentBytes: () => (calls.push('read'), 180_000_000) };

    const result = await new LiteRtRunner(-1, h).run(job(tflitePath), () => undefined, never);

    expect(calls).toEqual(['reset', 'read']);
    const resources = result.report.resources!;
    expect(resources).toMatchObject({ peakResidentBytes: 180_000_000, peakResidentSource: 'vmhwm' });
    expect([resources.loadFirstMs > 0, resources.loadWarmMs > 0]).toEqual([true, true]);
  });

  it('runs the TFLite twin of a latfleet ONNX variant', async () => {
    const result = await new LiteRtRunner(-1, hooks().h).run(job(onnxPath), () => undefined, never);

    expect(result.latenciesNs).toHaveLength(5);
    expect(result.report).toMatchObject({ modelSource: 'built-from-onnx', modelSha256: tflite.sha256 });
  });

  it('refuses a model it cannot run, with the runner error code', async () => {
    const foreign = file('foreign.onnx', new Uint8Array([8, 8, 18, 3, 102, 111, 111]));

    await expect(new LiteRtRunner(-1, hooks().h).run(job(foreign), () => undefined, never)).rejects.toThrow(RunnerError);
  });

  it('stops when the job is aborted', async () => {
    const abort = new AbortController();
    abort.abort();

    await expect(new LiteRtRunner(-1, hooks().h).run(job(tflitePath), () => undefined, abort.signal)).rejects.toThrow();
  });
});
