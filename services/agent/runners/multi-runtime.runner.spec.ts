import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Runner, RunnerJob, RunnerResult } from '../runner.js';
import { MultiRuntimeRunner } from './multi-runtime.runner.js';
import { RunnerErrorCode } from './runner.error.js';

const dir = mkdtempSync(join(tmpdir(), 'latfleet-multi-runtime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const never = new AbortController().signal;

/** A model file the agent's cache would hold: named `<sha>.onnx` whatever its format. */
function model(name: string, head: Buffer): RunnerJob {
  const modelPath = join(dir, `${name}.onnx`);
  writeFileSync(modelPath, Buffer.concat([head, Buffer.alloc(32)]));
  return { modelPath, inputName: 'input', inputShape: [1, 3, 96, 96], protocol: {} as RunnerJob['protocol'] };
}
const onnxJob = (name: string) => model(name, Buffer.from([0x08, 0x07, 0x12, 0x07]));
const tfliteJob = (name: string) => model(name, Buffer.concat([Buffer.from([0x1c, 0, 0, 0]), Buffer.from('TFL3')]));

/** A runner that records what it was asked to run, and how (alone or in a round). */
function fake(name: string, formats: string[], calls: string[], interleaves: boolean): Runner {
  const result = (job: RunnerJob): RunnerResult =>
    ({
      startedAt: new Date(0),
      finishedAt: new Date(0),
      latenciesNs: [1],
      profiledMedianNs: 0,
      layers: [],
      environment: { runtimeVersion: `${name} ${job.modelPath}` },
    }) as unknown as RunnerResult;
  return {
    name,
    formats,
    runtimeVersion: `${name} 1.0`,
    run: async (job) => (calls.push(`${name}.run ${job.modelPath.slice(dir.length + 1)}`), result(job)),
    ...(interleaves
      ? { runRound: async (jobs: RunnerJob[]) => (calls.push(`${name}.runRound ${jobs.map((j) => j.modelPath.slice(dir.length + 1)).join(',')}`), jobs.map(result)) }
      : {}),
  };
}

describe(MultiRuntimeRunner.name, () => {
  it('announces every runner’s formats and versions under one name', () => {
    const sut = new MultiRuntimeRunner([fake('ort-node', ['onnx'], [], true), fake('litert', ['tflite'], [], false)]);

    expect([sut.name, sut.formats, sut.runtimeVersion]).toEqual(['ort-node+litert', ['onnx', 'tflite'], 'ort-node 1.0; litert 1.0']);
  });

  it('sends each job to the runner of its model’s format, read from the content', async () => {
    const calls: string[] = [];
    const sut = new MultiRuntimeRunner([fake('ort-node', ['onnx'], calls, true), fake('litert', ['tflite'], calls, false)]);

    await sut.run(tfliteJob('t1'), () => undefined, never);
    await sut.run(onnxJob('o1'), () => undefined, never);

    expect(calls).toEqual(['litert.run t1.onnx', 'ort-node.run o1.onnx']);
  });

  it('runs a mixed round by runtime: interleaved where the runner can, one after another where not, results in the round’s order', async () => {
    const calls: string[] = [];
    const sut = new MultiRuntimeRunner([fake('ort-node', ['onnx'], calls, true), fake('litert', ['tflite'], calls, false)]);
    const jobs = [onnxJob('a'), tfliteJob('b'), onnxJob('c'), tfliteJob('d')];

    const results = await sut.runRound(jobs, () => undefined, never);

    expect(calls).toEqual(['ort-node.runRound a.onnx,c.onnx', 'litert.run b.onnx', 'litert.run d.onnx']);
    expect(results.map((r) => r.environment.runtimeVersion)).toEqual(jobs.map((j, i) => `${i % 2 ? 'litert' : 'ort-node'} ${j.modelPath}`));
  });

  it('refuses a format none of its runners runs, and two runners for one format', async () => {
    const sut = new MultiRuntimeRunner([fake('ort-node', ['onnx'], [], true), fake('rknn', ['rknn'], [], false)]);

    await expect(sut.run(tfliteJob('t2'), () => undefined, never)).rejects.toMatchObject({
      code: RunnerErrorCode.UnsupportedModel,
      message: expect.stringContaining('tflite model, but this agent runs onnx, rknn'),
    });
    expect(() => new MultiRuntimeRunner([fake('a', ['onnx'], [], false), fake('b', ['onnx'], [], false)])).toThrow(/two runners announce onnx/);
  });
});
