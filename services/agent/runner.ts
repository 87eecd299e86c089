import type { NodeTiming } from '../lib/measure/index.js';
import type { DeviceFacts, Protocol, RunEnvironment } from '../lib/proto/index.js';

export type RunPhase = 'warmup' | 'timed' | 'profiled';

export interface RunnerJob {
  modelPath: string;
  inputName: string;
  inputShape: number[];
  protocol: Protocol;
}

export interface RunnerResult {
  startedAt: Date;
  finishedAt: Date;
  latenciesNs: number[];
  profiledMedianNs: number;
  layers: NodeTiming[];
  environment: RunEnvironment;
  /** Throttling or a busy core persisted through the runner's retries. */
  flagged?: boolean;
  /** How the measurement went (attempts, environment before/after, attribution); uploaded as JSON. */
  report?: object;
}

/** Executes one job's measurement protocol on a device. One implementation per way of reaching hardware. */
export interface Runner {
  readonly name: string;
  readonly runtimeVersion: string;
  /** What to register the device as, when the runner knows better than the host (a phone over adb). */
  deviceFacts?(name: string): DeviceFacts | Promise<DeviceFacts>;
  run(job: RunnerJob, onProgress: (phase: RunPhase, done: number, total: number) => void, signal: AbortSignal): Promise<RunnerResult>;
}

export const RUNNER = Symbol('Runner');
