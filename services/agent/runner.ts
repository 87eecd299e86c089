import type { NodeTiming } from '../lib/measure/index.js';
import type { DeviceFacts, Protocol, RunEnvironment } from '../lib/proto/index.js';

export type RunPhase = 'warmup' | 'timed' | 'profiled';

/** Progress within a phase; `note` is a line for the job's status (e.g. "retry 2/3: busy-system"). */
export type ProgressFn = (phase: RunPhase, done: number, total: number, note?: string) => void;

export interface RunnerJob {
  modelPath: string;
  inputName: string;
  inputShape: number[];
  protocol: Protocol;
  /** the builder's logical layers (from the assignment); absent: read from the model's metadata where the runner can */
  layerNames?: string[];
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
  /** Model formats it runs (announced at registration: control leases it only jobs of these formats). */
  readonly formats: readonly string[];
  /** What to register the device as, when the runner knows better than the host (a phone over adb). */
  deviceFacts?(name: string): DeviceFacts | Promise<DeviceFacts>;
  run(job: RunnerJob, onProgress: ProgressFn, signal: AbortSignal): Promise<RunnerResult>;
  /**
   * Measures a round's jobs together, interleaved in one process (results in the jobs' order).
   * Runners that run one model per tool invocation leave it out: the agent then runs the round's
   * jobs one after another, in the round's order.
   */
  runRound?(jobs: RunnerJob[], onProgress: ProgressFn, signal: AbortSignal): Promise<RunnerResult[]>;
}

export const RUNNER = Symbol('Runner');
