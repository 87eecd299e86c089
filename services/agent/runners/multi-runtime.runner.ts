import type { ProgressFn, Runner, RunnerJob, RunnerResult } from '../runner.js';
import { modelFormat } from './model-format.js';
import { RunnerError, RunnerErrorCode } from './runner.error.js';

/**
 * One agent, several runtimes on the same core: each job goes to the runner that runs its model's
 * format (ONNX to ort-node, TFLite to litert). The device then announces every format, takes the
 * rounds of each in turn, and its comparisons pair a variant in one format with its twin in another
 * round by round, on one core, without two agent processes preempting each other.
 *
 * A round's jobs of one runtime are interleaved by that runner when it can (its own `runRound`);
 * the runtimes' groups run one after another, in the round's order of first appearance.
 */
export class MultiRuntimeRunner implements Runner {
  readonly name: string;
  readonly formats: readonly string[];
  readonly runtimeVersion: string;

  constructor(private readonly runners: readonly Runner[]) {
    if (runners.length < 2) throw new Error('MultiRuntimeRunner: give it at least two runners');
    const formats = runners.flatMap((r) => r.formats);
    const twice = formats.find((f, i) => formats.indexOf(f) !== i);
    if (twice) throw new Error(`MultiRuntimeRunner: two runners announce ${twice}; each format needs one runner`);
    this.name = runners.map((r) => r.name).join('+');
    this.formats = formats;
    this.runtimeVersion = runners.map((r) => r.runtimeVersion).join('; ');
  }

  /** The runner of the job's model format (by content: the agent's cache names every file `<sha256>.onnx`). */
  runnerFor(job: RunnerJob): Runner {
    const format = modelFormat(job.modelPath);
    const runner = this.runners.find((r) => r.formats.includes(format));
    if (!runner) throw new RunnerError(RunnerErrorCode.UnsupportedModel, `${format} model, but this agent runs ${this.formats.join(', ')} (${this.name})`);
    return runner;
  }

  async run(job: RunnerJob, onProgress: ProgressFn, signal: AbortSignal): Promise<RunnerResult> {
    return this.runnerFor(job).run(job, onProgress, signal);
  }

  async runRound(jobs: RunnerJob[], onProgress: ProgressFn, signal: AbortSignal): Promise<RunnerResult[]> {
    const groups = new Map<Runner, number[]>();
    jobs.forEach((job, i) => {
      const runner = this.runnerFor(job);
      groups.set(runner, [...(groups.get(runner) ?? []), i]);
    });
    const results: RunnerResult[] = new Array(jobs.length);
    for (const [runner, indices] of groups) {
      signal.throwIfAborted();
      const group = indices.map((i) => jobs[i]!);
      const measured = runner.runRound && group.length > 1 ? await runner.runRound(group, onProgress, signal) : await sequentially(runner, group, onProgress, signal);
      indices.forEach((i, k) => (results[i] = measured[k]!));
    }
    return results;
  }
}

async function sequentially(runner: Runner, jobs: RunnerJob[], onProgress: ProgressFn, signal: AbortSignal): Promise<RunnerResult[]> {
  const out: RunnerResult[] = [];
  for (const job of jobs) {
    signal.throwIfAborted();
    out.push(await runner.run(job, onProgress, signal));
  }
  return out;
}
