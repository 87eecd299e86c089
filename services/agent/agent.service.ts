import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import { LayerAttributor, resolveProtocol } from '../lib/measure/index.js';
import { AgentState, JobPhase, type ConnectRequest, type DeviceFacts, type JobAssignment, type RoundAssignment, type UploadResultsRequest } from '../lib/proto/index.js';
import { AGENT_VERSION } from './agent-version.js';
import { ControlClient } from './control.client.js';
import { cpuModel } from './device-facts.js';
import { ModelCache } from './model-cache.js';
import { Outbox } from './outbox.js';
import { RUNNER, type ProgressFn, type Runner, type RunnerJob, type RunnerResult, type RunPhase } from './runner.js';

const PHASES: Record<RunPhase, JobPhase> = {
  warmup: JobPhase.JOB_PHASE_WARMUP,
  timed: JobPhase.JOB_PHASE_TIMED,
  profiled: JobPhase.JOB_PHASE_PROFILED,
};
const LATENCIES_PER_CHUNK = 10_000;
const LAYERS_PER_CHUNK = 5_000;
const STATUS_EVERY_MS = 250;
/** How often an agent whose name is registered to another credential tries again (an admin must revoke that device). */
const NAME_TAKEN_RETRY_MS = 60_000;

interface Credential {
  agentId: string;
  credential: string;
}

/** Registers, keeps one session open, runs one job at a time, and never drops a measured result. */
@Injectable()
export class AgentService implements OnApplicationShutdown {
  private readonly logger = new Logger(AgentService.name);
  private readonly name: string;
  private readonly credentialFile: string;
  private stopping = false;
  /** the round being measured (one job when the round has one variant left) */
  private current: { jobs: JobAssignment[]; abort: AbortController } | null = null;
  private send: ((msg: ConnectRequest) => void) | null = null;
  private wake: (() => void) | null = null;
  private retrying: NodeJS.Timeout | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: LatfleetConfig,
    @Inject(RUNNER) private readonly runner: Runner,
    private readonly control: ControlClient,
    private readonly models: ModelCache,
    private readonly outbox: Outbox,
  ) {
    this.name = config.agentName ?? `${os.hostname()}-${runner.name === 'ort-node' || runner.name === 'ort-node+litert' ? 'cpu' : runner.name}`;
    this.credentialFile = join(config.dataDir, 'agent', `${this.name}.credential.json`);
  }

  facts(): DeviceFacts {
    return {
      name: this.name,
      deviceClass: 'cpu',
      cpuModel: cpuModel(),
      cores: os.cpus().length,
      os: `${os.type()} ${os.release()}`,
      hostname: os.hostname(),
      runner: this.runner.name,
      runtimeVersion: this.runner.runtimeVersion,
      agentVersion: AGENT_VERSION,
      tags: {},
      formats: [...this.runner.formats],
    };
  }

  /** Runs until shutdown: (re)registers when needed, reconnects with backoff. */
  async run(): Promise<void> {
    let backoff = 500;
    while (!this.stopping) {
      try {
        await this.ensureCredential();
        await this.flushOutbox();
        await this.session();
        backoff = 500;
      } catch (err) {
        const e = err as ServiceError;
        if (e.code === GrpcStatus.UNAUTHENTICATED && existsSync(this.credentialFile)) {
          this.logger.warn('credential rejected: registering again');
          writeFileSync(this.credentialFile, '');
        } else if (e.code === GrpcStatus.PERMISSION_DENIED && !this.stopping) {
          // the name belongs to an enrolled device: only an admin can free it; asking often will not help
          this.logger.error(`cannot register as ${this.name}: ${e.details}; retrying every ${NAME_TAKEN_RETRY_MS / 1000} s`);
          backoff = NAME_TAKEN_RETRY_MS;
        } else if (!this.stopping) {
          this.logger.warn(`control plane ${this.control.address} unreachable (${e.details ?? e.message}); retrying in ${backoff} ms`);
          this.control.failover();
        }
      }
      if (this.stopping) break;
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, backoff);
      });
      backoff = backoff >= NAME_TAKEN_RETRY_MS ? NAME_TAKEN_RETRY_MS : Math.min(backoff * 2, 10_000);
    }
  }

  onApplicationShutdown(): void {
    this.stopping = true;
    clearTimeout(this.retrying);
    this.current?.abort.abort();
    this.wake?.();
  }

  private async ensureCredential(): Promise<void> {
    const saved = existsSync(this.credentialFile) ? readFileSync(this.credentialFile, 'utf8') : '';
    if (saved) {
      this.control.useCredential((JSON.parse(saved) as Credential).credential);
      return;
    }
    if (!this.config.enrollmentToken) throw new Error('LATFLEET_ENROLLMENT_TOKEN is not set and this agent has no credential yet');
    const facts = { ...((await this.runner.deviceFacts?.(this.name)) ?? this.facts()), formats: [...this.runner.formats] };
    const res = await this.control.register(this.config.enrollmentToken, facts);
    mkdirSync(join(this.config.dataDir, 'agent'), { recursive: true });
    writeFileSync(this.credentialFile, JSON.stringify({ agentId: res.agentId, credential: res.credential } satisfies Credential), { mode: 0o600 });
    this.control.useCredential(res.credential);
    this.logger.log(`registered as ${this.name} (${res.agentId})`);
  }

  /** One Connect stream: resolves when it ends; rejects on a transport error. */
  private session(): Promise<void> {
    return new Promise((resolve, reject) => {
      const call = this.control.connect();
      const beat = () => {
        const busy = this.current !== null;
        this.send?.({
          heartbeat: { state: busy ? AgentState.AGENT_STATE_BUSY : AgentState.AGENT_STATE_IDLE, jobId: this.current?.jobs[0]?.jobId ?? '' },
        });
      };
      this.send = (msg) => {
        if (!call.writableEnded) call.write(msg);
      };
      const timer = setInterval(beat, this.config.heartbeatMs);
      const done = (err?: Error) => {
        clearInterval(timer);
        this.send = null;
        call.end();
        if (err) reject(err);
        else resolve();
      };
      call.on('data', (msg: { assignment?: JobAssignment; round?: RoundAssignment; cancellation?: { jobId: string } }) => {
        if (msg.round) void this.onRound(msg.round.jobs);
        if (msg.assignment) void this.onRound([msg.assignment]);
        // the round's jobs are cancelled together (their study, or the maximum job duration)
        if (msg.cancellation && this.current?.jobs.some((j) => j.jobId === msg.cancellation!.jobId)) this.current.abort.abort();
      });
      call.on('error', (err) => done(err));
      call.on('end', () => done());
      beat();
    });
  }

  private status(a: JobAssignment, phase: JobPhase, progress = 0, message = ''): void {
    this.send?.({ status: { jobId: a.jobId, attempt: a.attempt, phase, progress, message } });
  }

  /**
   * Measures a round: every job's model fetched, then the runner measures them together
   * (interleaved) when it can and the protocol asks for it, otherwise one after another in the
   * round's order; each job is stored in the outbox and uploaded as its own run.
   */
  private async onRound(round: JobAssignment[]): Promise<void> {
    if (this.current) {
      // Tell control what this agent is actually doing, then hand the jobs back without burning attempts.
      this.send?.({ heartbeat: { state: AgentState.AGENT_STATE_BUSY, jobId: this.current.jobs[0]?.jobId ?? '' } });
      for (const a of round) this.status(a, JobPhase.JOB_PHASE_REJECTED, 0, `agent busy with job ${this.current.jobs[0]?.jobId}`);
      return;
    }
    const abort = new AbortController();
    this.current = { jobs: round, abort };
    this.logger.log(`round of ${round.length}: ${round.map((a) => `${a.variantLabel} (job ${a.jobId}, attempt ${a.attempt})`).join(', ')}`);
    const fail = (a: JobAssignment, err: unknown) => {
      const message = (err as Error).message ?? String(err);
      this.logger.error(`job ${a.jobId} failed: ${message}`);
      this.status(a, JobPhase.JOB_PHASE_FAILED, 0, message);
    };
    try {
      const ready: Array<{ a: JobAssignment; job: RunnerJob }> = [];
      for (const a of round) {
        try {
          const mismatch = formatMismatch(this.runner.formats, a);
          if (mismatch) throw new Error(mismatch);
          this.status(a, JobPhase.JOB_PHASE_FETCHING);
          const model = await this.models.get(a.modelSha256);
          const layerNames = a.layerNames.length ? { layerNames: a.layerNames } : {};
          ready.push({ a, job: { modelPath: model.path, inputName: a.inputName, inputShape: a.inputShape, protocol: a.protocol!, ...layerNames } });
        } catch (err) {
          fail(a, err);
        }
      }
      const progress = this.progressOf(ready.map((r) => r.a));
      const together = this.runner.runRound && ready.length > 1 && resolveProtocol(ready[0]!.a.protocol).interleave === 'blocks';
      const results: Array<RunnerResult | Error> = [];
      if (together) {
        try {
          results.push(
            ...(await this.runner.runRound!(
              ready.map((r) => r.job),
              progress,
              abort.signal,
            )),
          );
        } catch (err) {
          results.push(...ready.map(() => err as Error));
        }
      } else {
        for (const r of ready) {
          abort.signal.throwIfAborted();
          results.push(await this.runner.run(r.job, this.progressOf([r.a]), abort.signal).catch((err: Error) => err));
        }
      }
      const entries: Array<{ key: string; parts: UploadResultsRequest[] }> = [];
      ready.forEach(({ a }, i) => {
        const result = results[i]!;
        if (result instanceof Error) return fail(a, result);
        entries.push(this.outbox.put(toUpload(a, withLayers(result, a.layerNames))));
        this.status(a, JobPhase.JOB_PHASE_UPLOADING, 0);
      });
      // From here on the measurements are safe on disk: a failed upload is retried in the background.
      for (const entry of entries) await this.uploadEntry(entry.key, entry.parts).catch(() => this.retryOutbox(2_000));
    } catch (err) {
      for (const a of round) fail(a, err);
    } finally {
      this.current = null;
    }
  }

  /** Progress of a runner reported on every job it measures, at most every STATUS_EVERY_MS (notes always). */
  private progressOf(jobs: JobAssignment[]): ProgressFn {
    let last = 0;
    return (phase, done, total, note) => {
      const now = Date.now();
      if (!note && now - last < STATUS_EVERY_MS && done !== total) return;
      last = now;
      if (note) this.logger.warn(`${jobs.map((a) => a.variantLabel).join(', ')}: ${note}`);
      for (const a of jobs) this.status(a, PHASES[phase], done / total, note ?? '');
    };
  }

  private async uploadEntry(key: string, parts: UploadResultsRequest[]): Promise<void> {
    try {
      const ack = await this.control.upload(parts);
      this.outbox.remove(key);
      this.logger.log(`results of ${key} stored as run ${ack.runId}${ack.duplicate ? ' (already stored)' : ''}`);
    } catch (err) {
      const e = err as ServiceError;
      if (e.code === GrpcStatus.INVALID_ARGUMENT || e.code === GrpcStatus.PERMISSION_DENIED || e.code === GrpcStatus.RESOURCE_EXHAUSTED) {
        // The control plane will never accept these: keep them aside for inspection, do not retry forever.
        this.logger.error(`results of ${key} rejected (${e.details}); moved out of the outbox`);
        this.outbox.remove(key);
        return;
      }
      this.logger.warn(`upload of ${key} failed (${e.details ?? e.message}); kept in the outbox`);
      throw err;
    }
  }

  /** Re-sends what the outbox holds, with backoff, until it is empty (or the agent stops). */
  private retryOutbox(delayMs: number): void {
    if (this.retrying || this.stopping) return;
    this.retrying = setTimeout(() => {
      this.retrying = undefined;
      this.flushOutbox().catch(() => this.retryOutbox(Math.min(delayMs * 2, 30_000)));
    }, delayMs);
  }

  private async flushOutbox(): Promise<void> {
    for (const entry of this.outbox.pending()) await this.uploadEntry(entry.key, entry.parts);
  }
}

/**
 * Why this agent cannot run an assignment's model (a control plane that leased it without matching
 * formats, e.g. one from before formats were announced); null when it can, or when the assignment
 * does not say (older control planes send no format).
 */
export function formatMismatch(formats: readonly string[], a: Pick<JobAssignment, 'modelFormat'>): string | null {
  if (!a.modelFormat || formats.includes(a.modelFormat)) return null;
  return `this agent's runner runs ${formats.join(', ')}; the job's model is ${a.modelFormat}`;
}

/**
 * Every node timing with its builder layer: runners that attribute (ort-node, through the graph the
 * runtime ran) keep theirs; the others' nodes (a phone's or a board's profile) are attributed here
 * by name, from the assignment's layer names, so that control stores what the agent sends.
 */
export function withLayers(r: RunnerResult, layerNames: readonly string[]): RunnerResult {
  if (r.layers.every((l) => l.layer !== undefined)) return r;
  const names = new LayerAttributor(layerNames);
  return { ...r, layers: r.layers.map((l) => (l.layer !== undefined ? l : { ...l, layer: names.layerOf(l.nodeName) })) };
}

function toUpload(a: JobAssignment, r: RunnerResult): UploadResultsRequest[] {
  let sequence = 0;
  const part = (p: Partial<UploadResultsRequest>): UploadResultsRequest => ({ jobId: a.jobId, attempt: a.attempt, sequence: sequence++, ...p });
  const parts = [
    part({
      summary: {
        startedAtUnixMs: r.startedAt.getTime(),
        finishedAtUnixMs: r.finishedAt.getTime(),
        protocol: a.protocol,
        environment: r.environment,
        modelSha256: a.modelSha256,
        profiledMedianNs: r.profiledMedianNs,
        flagged: r.flagged ?? false,
        reportJson: r.report ? JSON.stringify(r.report) : '',
        messageCount: 1 + Math.ceil(r.latenciesNs.length / LATENCIES_PER_CHUNK) + Math.ceil(r.layers.length / LAYERS_PER_CHUNK),
      },
    }),
  ];
  for (let i = 0; i < r.latenciesNs.length; i += LATENCIES_PER_CHUNK) {
    parts.push(part({ latencies: { latenciesNs: r.latenciesNs.slice(i, i + LATENCIES_PER_CHUNK) } }));
  }
  for (let i = 0; i < r.layers.length; i += LAYERS_PER_CHUNK) {
    parts.push(
      part({
        layers: {
          timings: r.layers
            .slice(i, i + LAYERS_PER_CHUNK)
            .map((l) => ({ ...l, layer: l.layer ?? '', overheadNs: l.overheadNs === undefined ? undefined : Math.round(l.overheadNs) })),
        },
      }),
    );
  }
  return parts;
}
