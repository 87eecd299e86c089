import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import ort from 'onnxruntime-node';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import { median, parseOrtProfile } from '../lib/measure/index.js';
import { AGENT_VERSION } from './agent-version.js';
import { readEnvironment } from './device-facts.js';
import type { Runner, RunnerJob, RunnerResult, RunPhase } from './runner.js';

const LEVELS: Record<string, 'disabled' | 'basic' | 'extended' | 'all'> = {
  disabled: 'disabled',
  basic: 'basic',
  extended: 'extended',
  all: 'all',
};

/** ONNX Runtime in this process, on the CPU, single-threaded and sequential. */
@Injectable()
export class OrtNodeRunner implements Runner {
  readonly name = 'ort-node';
  readonly runtimeVersion = `onnxruntime-node ${ort.env.versions.node ?? 'unknown'}`;

  constructor(@Inject(CONFIG) private readonly config: LatfleetConfig) {}

  async run(job: RunnerJob, onProgress: (phase: RunPhase, done: number, total: number) => void, signal: AbortSignal): Promise<RunnerResult> {
    const startedAt = new Date();
    const { protocol } = job;
    const level = LEVELS[protocol.graphOptimizationLevel] ?? 'all';
    const options: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: level,
    };
    const size = job.inputShape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = ((i * 7919) % 255) / 255 - 0.5;
    const feeds = { [job.inputName]: new ort.Tensor('float32', data, job.inputShape) };
    const environment = readEnvironment(this.config.agentCore, { runtime: this.runtimeVersion, agent: AGENT_VERSION });

    const timed = await ort.InferenceSession.create(job.modelPath, options);
    const latenciesNs: number[] = [];
    try {
      for (let i = 0; i < protocol.warmupRuns; i++) {
        signal.throwIfAborted();
        await timed.run(feeds);
        onProgress('warmup', i + 1, protocol.warmupRuns);
      }
      for (let i = 0; i < protocol.timedRuns; i++) {
        signal.throwIfAborted();
        const t0 = process.hrtime.bigint();
        await timed.run(feeds);
        latenciesNs.push(Number(process.hrtime.bigint() - t0));
        onProgress('timed', i + 1, protocol.timedRuns);
      }
    } finally {
      await timed.release();
    }

    const profileDir = mkdtempSync(join(tmpdir(), 'latfleet-profile-'));
    try {
      const profiled = await ort.InferenceSession.create(job.modelPath, {
        ...options,
        enableProfiling: true,
        profileFilePrefix: join(profileDir, 'profile'),
      });
      const profiledNs: number[] = [];
      try {
        for (let i = 0; i < protocol.profiledRuns; i++) {
          signal.throwIfAborted();
          const t0 = process.hrtime.bigint();
          await profiled.run(feeds);
          profiledNs.push(Number(process.hrtime.bigint() - t0));
          onProgress('profiled', i + 1, protocol.profiledRuns);
        }
        // The profile file stays empty until profiling ends.
        profiled.endProfiling();
      } finally {
        await profiled.release();
      }
      const file = readdirSync(profileDir).find((f) => f.endsWith('.json'));
      const parsed = file ? parseOrtProfile(readFileSync(join(profileDir, file), 'utf8')) : { nodes: [], runDurationsNs: [] };
      return {
        startedAt,
        finishedAt: new Date(),
        latenciesNs,
        profiledMedianNs: profiledNs.length ? Math.round(median(profiledNs)) : 0,
        layers: parsed.nodes,
        environment,
      };
    } finally {
      rmSync(profileDir, { recursive: true, force: true });
    }
  }
}
