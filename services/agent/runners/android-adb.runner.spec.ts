import { createHash } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toWireProtocol, type Protocol } from '../../lib/proto/index.js';
import type { RunnerJob, RunPhase } from '../runner.js';
import { AndroidAdbRunner } from './android-adb.runner.js';
import { createFakePhone, type FakePhone } from './fixtures/fake-phone.js';
import { RunnerErrorCode } from './runner.error.js';

const REMOTE = '/data/local/tmp/latfleet';
const protocol = (p: Partial<Protocol> = {}): Protocol => ({
  ...toWireProtocol({ warmupRuns: 3, timedRuns: 5, profiledRuns: 2, graphOptimizationLevel: 'all' }),
  ...p,
});
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const never = new AbortController().signal;

/** The stand-ins' documented timings (fixtures/stand-ins): perf_test run k 5000 + 10·k µs; benchmark_model invocation n 4000 + 7·n µs. */
const perfTestRunNs = (k: number) => (5000 + 10 * k) * 1000;
const benchmarkModelRunNs = (n: number) => (4000 + 7 * n) * 1000;

describe(AndroidAdbRunner.name, () => {
  let phone: FakePhone;
  let onnx: { path: string; sha: string };
  let progress: Array<[RunPhase, number, number]>;
  const job = (modelPath: string, p?: Partial<Protocol>): RunnerJob => ({ modelPath, inputName: 'input', inputShape: [1, 3, 224, 224], protocol: protocol(p) });
  const record = (...p: [RunPhase, number, number]) => progress.push(p);
  const runner = (extra: Partial<ConstructorParameters<typeof AndroidAdbRunner>[0]> = {}) =>
    new AndroidAdbRunner({
      serial: phone.serial,
      adbPath: phone.adb,
      cpuMask: 'c0',
      ortPerfTestPath: phone.tool('onnxruntime_perf_test'),
      tfliteBenchmarkPath: phone.tool('benchmark_model'),
      ortVersion: 'onnxruntime 1.20.1 perf_test (android arm64)',
      tfliteVersion: 'tflite 2.16.1 benchmark_model',
      ...extra,
    });

  beforeEach(() => {
    phone = createFakePhone();
    progress = [];
    const bytes = Buffer.from('not really onnx: the stand-in only checks that the file is there');
    onnx = { path: join(phone.hostDir, `${sha256(bytes)}.onnx`), sha: sha256(bytes) };
    writeFileSync(onnx.path, bytes);
  });
  afterEach(() => phone.remove());

  it('runs an ONNX model in perf_test under taskset, single-threaded, and reports what perf_test measured', async () => {
    const sut = runner();

    const result = await sut.run(job(onnx.path), record, never);

    // 3 warm-ups: perf_test's own untimed one, then 2 timed runs that are dropped.
    expect(result.latenciesNs).toEqual([2, 3, 4, 5, 6].map(perfTestRunNs));
    expect(result.profiledMedianNs).toBe((perfTestRunNs(0) + perfTestRunNs(1)) / 2);
    // The profile's first model_run is perf_test's warm-up: profiled run i is the profile's run i + 1.
    // The executor's time between kernels comes with each (parseOrtProfile's own spec checks it).
    expect(result.layers).toEqual(
      [0, 1].flatMap((i) => [
        { iteration: i, nodeName: 'stem.conv', opType: 'Conv', provider: 'CPUExecutionProvider', durationNs: (400 + i + 1) * 1000, overheadNs: expect.any(Number) },
        { iteration: i, nodeName: 'stem.act', opType: 'HardSigmoid', provider: 'CPUExecutionProvider', durationNs: (60 + i + 1) * 1000, overheadNs: expect.any(Number) },
        { iteration: i, nodeName: 'head.fc', opType: 'Gemm', provider: 'CPUExecutionProvider', durationNs: (25 + i + 1) * 1000, overheadNs: expect.any(Number) },
      ]),
    );
    const model = `${REMOTE}/models/${onnx.sha}.onnx`;
    const single = ['-e', 'cpu', '-x', '1', '-y', '1', '-o', '99', '-I', '-m', 'times'];
    expect(phone.invocations('perf_test')).toEqual([
      [...single, '-r', '7', model, expect.stringMatching(new RegExp(`^${REMOTE}/runs/[0-9a-f-]{36}/timed\\.csv$`))],
      [...single, '-r', '2', '-p', expect.stringMatching(/\/runs\/[0-9a-f-]{36}\/profile$/), model, expect.stringMatching(/\/profiled\.csv$/)],
    ]);
    expect(phone.tasksetMasks()).toEqual(['c0', 'c0']);
    // each perf_test process prints its session creation time and its peak working set
    expect(result.report).toEqual({ resources: { loadFirstMs: 48.261, loadWarmMs: 48.261, peakResidentBytes: 35_880_960, peakResidentSource: 'process-lifetime' } });
    expect(progress).toEqual([
      ['warmup', 3, 3],
      ['timed', 5, 5],
      ['profiled', 2, 2],
    ]);
  });

  it('records the phone’s state with every run', async () => {
    const { environment } = await runner().run(job(onnx.path, { profiledRuns: 0 }), record, never);

    expect(environment).toEqual({
      cpuModel: 'Google GS201',
      pinnedCore: 6,
      governor: 'sched_pixel',
      curFreqKhz: 2_850_000,
      maxFreqKhz: 2_850_000,
      temperatureC: 41.25,
      loadAverage1m: 3.12,
      os: 'Android 14 (API 34, build UQ1A.240205.004)',
      runtimeVersion: 'onnxruntime 1.20.1 perf_test (android arm64)',
      agentVersion: expect.any(String),
      hostProbeNs: 0,
    });
  });

  it('pushes the tool and the model once, again only when the tool changes, and leaves no run directory behind', async () => {
    const sut = runner();
    const pushes = () =>
      phone
        .adbCalls()
        .filter((c) => c[2] === 'push')
        .map((c) => c[4]);

    await sut.run(job(onnx.path, { profiledRuns: 0 }), record, never);
    await sut.run(job(onnx.path, { profiledRuns: 0 }), record, never);
    expect(pushes()).toEqual([`${REMOTE}/bin/onnxruntime_perf_test`, `${REMOTE}/models/${onnx.sha}.onnx`]);

    appendFileSync(phone.tool('onnxruntime_perf_test'), '\n// rebuilt\n');
    await sut.run(job(onnx.path, { profiledRuns: 0 }), record, never);
    expect(pushes()).toHaveLength(3);
    expect(pushes()[2]).toBe(`${REMOTE}/bin/onnxruntime_perf_test`);
    expect(phone.list(`${REMOTE}/runs`)).toEqual([]);
  });

  it('runs a TFLite model (recognised by content) with one benchmark_model process per timed run', async () => {
    const tflite = Buffer.concat([Buffer.from([0x1c, 0, 0, 0]), Buffer.from('TFL3'), Buffer.alloc(64)]);
    const path = join(phone.hostDir, `${sha256(tflite)}.onnx`);
    writeFileSync(path, tflite);

    const result = await runner().run(job(path, { warmupRuns: 2, timedRuns: 3, profiledRuns: 4 }), record, never);

    expect(result.latenciesNs).toEqual([0, 1, 2].map(benchmarkModelRunNs));
    expect(result.profiledMedianNs).toBe(benchmarkModelRunNs(3));
    expect(result.layers).toEqual([
      { iteration: 0, nodeName: 'stem.conv', opType: 'CONV_2D', provider: 'TfLiteCpu', durationNs: 400_000 },
      { iteration: 0, nodeName: 'stem.act', opType: 'HARD_SWISH', provider: 'TfLiteCpu', durationNs: 60_000 },
      { iteration: 0, nodeName: 'head.fc', opType: 'FULLY_CONNECTED', provider: 'TfLiteCpu', durationNs: 25_000 },
    ]);
    const graph = `--graph=${REMOTE}/models/${sha256(tflite)}.tflite`;
    const common = [graph, '--num_threads=1', '--warmup_runs=2', '--warmup_min_secs=0', '--min_secs=0'];
    expect(phone.invocations('benchmark_model')).toEqual([
      [...common, '--num_runs=1'],
      [...common, '--num_runs=1'],
      [...common, '--num_runs=1'],
      [...common, '--num_runs=4', '--enable_op_profiling=true', '--report_peak_memory_footprint=true'],
    ]);
    expect(phone.tasksetMasks()).toEqual(['c0', 'c0', 'c0', 'c0']);
    expect(progress).toEqual([
      ['warmup', 2, 2],
      ['timed', 1, 3],
      ['timed', 2, 3],
      ['timed', 3, 3],
      ['profiled', 4, 4],
    ]);
    expect(result.environment.runtimeVersion).toBe('tflite 2.16.1 benchmark_model');
    // Init of the first process (the model just pushed), the median of the others', the most any process held
    expect(result.report).toEqual({
      resources: { loadFirstMs: 1.907, loadWarmMs: 2.007, peakResidentBytes: 16 * 1024 * 1024, peakResidentSource: 'process-lifetime' },
    });
  });

  it('reports no load figures from a single tool process (nothing to call warm)', async () => {
    const result = await runner().run(job(onnx.path, { profiledRuns: 0 }), record, never);

    expect(result.report).toBeUndefined();
  });

  it('registers the phone with the facts adb gives', async () => {
    const sut = await runner().deviceFacts('pixel7-lab-01');

    expect(sut).toMatchObject({ name: 'pixel7-lab-01', deviceClass: 'android', cpuModel: 'Google GS201', cores: 8, runner: 'android-adb' });
    expect(sut.tags).toMatchObject({ serial: phone.serial, model: 'Pixel 7', cpuMask: 'c0' });
  });

  it('fails with adb’s message when the phone is not attached', async () => {
    const sut = runner({ serial: 'NOT-ATTACHED' });

    await expect(sut.run(job(onnx.path), record, never)).rejects.toThrow(/device 'NOT-ATTACHED' not found/);
  });

  it('refuses a TFLite model when it has no benchmark_model to run it', async () => {
    const path = join(phone.hostDir, 'm.tflite');
    writeFileSync(path, Buffer.alloc(16));
    const sut = runner({ tfliteBenchmarkPath: undefined });

    await expect(sut.run(job(path), record, never)).rejects.toMatchObject({ code: RunnerErrorCode.UnsupportedModel });
  });

  it('refuses options it could never run with', () => {
    expect(() => runner({ cpuMask: 'big-cores' })).toThrow(/cpuMask/);
    expect(() => runner({ ortPerfTestPath: undefined, tfliteBenchmarkPath: undefined })).toThrow(/at least one benchmark binary/);
  });
});
