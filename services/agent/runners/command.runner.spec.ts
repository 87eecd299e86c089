import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toWireProtocol, type Protocol } from '../../lib/proto/index.js';
import type { RunnerJob, RunPhase } from '../runner.js';
import { CommandRunner, type CommandRunnerOptions } from './command.runner.js';
import { RunnerErrorCode } from './runner.error.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const never = new AbortController().signal;
/** fixtures/stand-ins/rknn_benchmark.cjs: timed run k takes 1.50 + 0.01·k ms, printed to 10 µs. */
const rknnRunNs = (k: number) => Math.round((1.5 + 0.01 * k) * 1e6);

describe(CommandRunner.name, () => {
  let dir: string;
  let model: string;
  let rknnBenchmark: string;
  let rknnPerf: string;
  let progress: Array<[RunPhase, number, number]>;
  const record = (...p: [RunPhase, number, number]) => progress.push(p);
  const job = (p: Partial<Protocol>): RunnerJob => ({
    modelPath: model,
    inputName: 'input',
    inputShape: [1, 3, 224, 224],
    protocol: { ...toWireProtocol({ warmupRuns: 7, timedRuns: 4, profiledRuns: 2 }), graphOptimizationLevel: '', ...p },
  });
  const options = (extra: Partial<CommandRunnerOptions> = {}): CommandRunnerOptions => ({
    runtimeVersion: 'librknnrt 2.3.0 / rknn_benchmark',
    timed: { argv: [rknnBenchmark, '{model}', '', '{runs}', '1'], output: 'rknn-benchmark', toolWarmupRuns: 5 },
    profile: { argv: [rknnPerf, '{model}', '{runs}', join(FIXTURES, 'rknn', 'perf-detail-runtime.txt')], output: 'rknn-perf-detail' },
    cwd: dir,
    ...extra,
  });
  const invocations = () =>
    readFileSync(join(dir, 'rknn_benchmark.argv.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { argv: string[]; ldLibraryPath?: string });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'latfleet-command-runner-'));
    model = join(dir, 'mobilenet_v2.rknn');
    writeFileSync(model, 'RKNN');
    rknnBenchmark = join(dir, 'rknn_benchmark');
    rknnPerf = join(dir, 'rknn_perf');
    copyFileSync(join(FIXTURES, 'stand-ins', 'rknn_benchmark.cjs'), rknnBenchmark);
    copyFileSync(join(FIXTURES, 'stand-ins', 'rknn_perf.sh'), rknnPerf);
    chmodSync(rknnBenchmark, 0o755);
    chmodSync(rknnPerf, 0o755);
    progress = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('asks the tool for the extra warm-ups as timed runs and drops them', async () => {
    const sut = new CommandRunner(options());

    const result = await sut.run(job({ profiledRuns: 0 }), record, never);

    // 7 warm-ups: rknn_benchmark's own 5, then 2 of its timed runs.
    expect(invocations().map((i) => i.argv)).toEqual([[model, '', '6', '1']]);
    expect(result.latenciesNs).toEqual([2, 3, 4, 5].map(rknnRunNs));
    expect(progress).toEqual([
      ['warmup', 7, 7],
      ['timed', 1, 4],
      ['timed', 2, 4],
      ['timed', 3, 4],
      ['timed', 4, 4],
    ]);
    expect(result).toMatchObject({ layers: [], profiledMedianNs: 0 });
    expect(result.environment.runtimeVersion).toBe('librknnrt 2.3.0 / rknn_benchmark');
  });

  it('asks for exactly the timed runs when the tool’s own warm-ups are enough', async () => {
    const result = await new CommandRunner(options()).run(job({ warmupRuns: 3, profiledRuns: 0 }), record, never);

    expect(invocations()[0]?.argv).toEqual([model, '', '4', '1']);
    expect(result.latenciesNs).toEqual([0, 1, 2, 3].map(rknnRunNs));
  });

  it('takes per-layer times from the profiling command, one printed table per profiled inference', async () => {
    const result = await new CommandRunner(options()).run(job({}), record, never);

    expect(result.layers).toHaveLength(16);
    expect(result.layers.filter((l) => l.iteration === 1)).toHaveLength(8);
    expect(result.layers[1]).toEqual({ iteration: 0, nodeName: '/features/features.0/features.0.0/Conv', opType: 'ConvClip', provider: 'NPU', durationNs: 431_000 });
    expect(result.profiledMedianNs).toBe(1_582_000);
    expect(progress.at(-1)).toEqual(['profiled', 2, 2]);
  });

  it('gives the tools their extra environment', async () => {
    await new CommandRunner(options({ env: { LD_LIBRARY_PATH: '/opt/rknpu2/lib' } })).run(job({ profiledRuns: 0 }), record, never);

    expect(invocations()[0]?.ldLibraryPath).toBe('/opt/rknpu2/lib');
  });

  it('fails with the tool’s own message when it cannot run the model', async () => {
    rmSync(model);
    const sut = new CommandRunner(options());

    await expect(sut.run(job({}), record, never)).rejects.toMatchObject({ code: RunnerErrorCode.CommandFailed, message: expect.stringContaining('rknn_init fail') });
  });

  it('refuses output with fewer runs than it asked for', async () => {
    const sut = new CommandRunner(options({ timed: { argv: [rknnBenchmark, '{model}', '', '3'], output: 'rknn-benchmark', toolWarmupRuns: 5 } }));

    await expect(sut.run(job({ profiledRuns: 0 }), record, never)).rejects.toThrow(/printed 3 timed runs, asked for 6/);
  });

  it('refuses a command template that never names the model', () => {
    expect(() => new CommandRunner(options({ timed: { argv: ['rknn_benchmark', 'model.rknn'], output: 'rknn-benchmark' } }))).toThrow(/timed\.argv: no argument holds \{model\}/);
  });

  it('registers as an NPU device with its tags', () => {
    const sut = new CommandRunner(options({ name: 'rknn', tags: { soc: 'RK3588', npuCores: '3' } })).deviceFacts('rock5b-01');

    expect(sut).toMatchObject({
      name: 'rock5b-01',
      deviceClass: 'npu',
      runner: 'rknn',
      runtimeVersion: 'librknnrt 2.3.0 / rknn_benchmark',
      tags: { soc: 'RK3588', npuCores: '3' },
    });
  });
});
