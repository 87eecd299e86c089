import { createHash } from 'node:crypto';
import { Metadata, status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  AgentState,
  JobPhase,
  type ConnectRequest,
  type ConnectResponse,
  type JobAssignment,
  type LayerTiming,
  type RunSummary,
  type UploadResultsRequest,
} from '../../services/lib/proto/index.js';
import { bearer, type AgentServiceStub } from './agent-service.client.js';

/** Runtime nodes a fake profile reports per iteration (MobileNetV3-Large at level `all`: about 200). */
export const NODES_PER_ITERATION = 200;
const OP_TYPES = ['Conv', 'HardSigmoid', 'Mul', 'Add', 'GlobalAveragePool', 'ReorderOutput'];
const STATUS_EVERY_MS = 250;
/** Answers the control plane will never change its mind about: the real agent drops such results too. */
const PERMANENT = new Set([GrpcStatus.INVALID_ARGUMENT, GrpcStatus.PERMISSION_DENIED, GrpcStatus.NOT_FOUND, GrpcStatus.FAILED_PRECONDITION, GrpcStatus.UNAUTHENTICATED]);

/**
 * Fake measurements shaped like the real agent's: one latency per timed run and `NODES_PER_ITERATION`
 * node timings per profiled run, node names built from the model's layers (so attribution does real
 * work). Arrays are shared between uploads of the same shape: payloads are realistic, memory is not spent.
 */
export class FakeResults {
  private readonly latencies = new Map<number, number[]>();
  private readonly layers = new Map<number, LayerTiming[]>();
  private readonly nodes: Array<{ nodeName: string; opType: string }>;

  constructor(layerNames: string[]) {
    this.nodes = Array.from({ length: NODES_PER_ITERATION }, (_, i) => {
      const opType = OP_TYPES[i % OP_TYPES.length]!;
      const layer = layerNames[i % layerNames.length]!;
      return { nodeName: opType === 'ReorderOutput' ? `ReorderOutput_token_${i}` : `${layer}.${opType.toLowerCase()}_${i}_nchwc`, opType };
    });
  }

  latenciesOf(timedRuns: number): number[] {
    let l = this.latencies.get(timedRuns);
    if (!l) this.latencies.set(timedRuns, (l = Array.from({ length: timedRuns }, (_, i) => 3_800_000 + ((i * 7_919) % 400_000))));
    return l;
  }

  layersOf(profiledRuns: number): LayerTiming[] {
    let l = this.layers.get(profiledRuns);
    if (!l) {
      l = [];
      for (let iteration = 0; iteration < profiledRuns; iteration++) {
        for (const [i, n] of this.nodes.entries()) {
          l.push({ iteration, nodeName: n.nodeName, opType: n.opType, layer: '', durationNs: 5_000 + ((i * 104_729 + iteration) % 150_000), provider: 'CPUExecutionProvider' });
        }
      }
      this.layers.set(profiledRuns, l);
    }
    return l;
  }

  /** The upload the real agent would send for this assignment (summary, latencies, layers in chunks of 5,000). */
  upload(a: JobAssignment, startedAt: number): UploadResultsRequest[] {
    const protocol = a.protocol!;
    const base = { jobId: a.jobId, attempt: a.attempt };
    const parts: UploadResultsRequest[] = [
      {
        ...base,
        sequence: 0,
        summary: {
          startedAtUnixMs: startedAt,
          finishedAtUnixMs: Date.now(),
          protocol,
          environment: {
            cpuModel: 'simulated',
            pinnedCore: -1,
            governor: '',
            curFreqKhz: 0,
            maxFreqKhz: 0,
            temperatureC: 0,
            loadAverage1m: 0,
            os: 'sim',
            runtimeVersion: 'sim',
            agentVersion: 'sim',
          },
          modelSha256: a.modelSha256,
          profiledMedianNs: 4_100_000,
          // Fields added to RunSummary later keep their proto3 defaults, as from an older agent.
        } as RunSummary,
      },
      { ...base, sequence: 1, latencies: { latenciesNs: this.latenciesOf(protocol.timedRuns) } },
    ];
    const layers = this.layersOf(protocol.profiledRuns);
    for (let i = 0; i < layers.length; i += 5_000) parts.push({ ...base, sequence: parts.length, layers: { timings: layers.slice(i, i + 5_000) } });
    return parts;
  }
}

export interface SimAgentEvents {
  assigned?(e: { agent: SimAgent; jobId: string; attempt: number; at: number }): void;
  fetched?(e: { agent: SimAgent; ms: number; bytes: number }): void;
  stored?(e: { agent: SimAgent; jobId: string; attempt: number; at: number; uploadMs: number; tries: number; duplicate: boolean }): void;
  uploadFailed?(e: { agent: SimAgent; jobId: string; code: number; details: string; willRetry: boolean }): void;
  /** An assignment arrived while this agent was busy: the control plane gave one agent two jobs. */
  doubleAssignment?(e: { agent: SimAgent; jobId: string }): void;
  disconnected?(e: { agent: SimAgent; reason: string }): void;
}

export interface SimAgentOptions {
  name: string;
  stub: AgentServiceStub;
  enrollmentToken: string;
  heartbeatMs: number;
  /** How long the fake measurement of one job lasts. */
  runMs: () => number;
  results: FakeResults;
  /** Fetch (and verify) each model once, as the real agent's cache does; off: trust the hash. */
  fetchModel: boolean;
  events?: SimAgentEvents;
  /** Upload attempts per result before giving up (the real agent keeps them in its outbox). */
  maxUploadTries?: number;
  uploadDeadlineMs?: number;
}

/**
 * An agent in this process, speaking the real protocol with a fake runner: registers, keeps one
 * Connect stream with heartbeats, runs one job at a time (reporting progress like the real agent),
 * uploads results and retries them until acknowledged or refused for good; reconnects with backoff.
 */
export class SimAgent {
  credential = '';
  agentId = '';
  /** Uploads sent and not yet answered. */
  uploading = 0;
  jobsStored = 0;
  heartbeats = 0;
  private call?: ClientDuplexStream<ConnectRequest, ConnectResponse>;
  private beat?: NodeJS.Timeout;
  private current: JobAssignment | null = null;
  private readonly fetched = new Set<string>();
  private closed = false;
  private backoffMs = 250;

  constructor(readonly opts: SimAgentOptions) {}

  get name(): string {
    return this.opts.name;
  }

  get busy(): boolean {
    return this.current !== null;
  }

  register(): Promise<void> {
    const { stub, enrollmentToken, name } = this.opts;
    const facts = {
      name,
      deviceClass: 'cpu',
      cpuModel: 'simulated',
      cores: 1,
      os: 'linux',
      hostname: 'load-harness',
      runner: 'sim',
      runtimeVersion: 'sim',
      agentVersion: 'sim',
      tags: { sim: 'true' },
      formats: ['onnx'],
    };
    return new Promise((resolve, reject) =>
      stub.register({ enrollmentToken, facts }, new Metadata(), { deadline: Date.now() + 60_000 }, (err, res) => {
        if (err) return reject(err);
        this.credential = res!.credential;
        this.agentId = res!.agentId;
        resolve();
      }),
    );
  }

  connect(): void {
    if (this.closed) return;
    const call = this.opts.stub.connect(bearer(this.credential));
    this.call = call;
    call.on('data', (msg: ConnectResponse) => {
      this.backoffMs = 250;
      if (msg.assignment) void this.onAssignment(msg.assignment);
      // a round's jobs one after another, as the real agent does with a runner that measures one model at a time
      if (msg.round) void this.onRound(msg.round.jobs);
    });
    const ended = (reason: string) => {
      if (this.call !== call) return;
      this.call = undefined;
      clearInterval(this.beat);
      if (this.closed) return;
      this.opts.events?.disconnected?.({ agent: this, reason });
      setTimeout(() => this.connect(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 5_000);
    };
    call.on('error', (err: ServiceError) => ended(err.details || err.message));
    call.on('end', () => ended('stream ended'));
    const heartbeat = () => {
      this.heartbeats++;
      this.send({ heartbeat: { state: this.current ? AgentState.AGENT_STATE_BUSY : AgentState.AGENT_STATE_IDLE, jobId: this.current?.jobId ?? '' } });
    };
    this.beat = setInterval(heartbeat, this.opts.heartbeatMs);
    heartbeat();
  }

  /** Ends the session (a job in progress is abandoned, as when an agent is stopped). */
  close(): void {
    this.closed = true;
    clearInterval(this.beat);
    this.call?.end();
    this.call = undefined;
  }

  private send(msg: ConnectRequest): void {
    if (this.call && !this.call.writableEnded) this.call.write(msg);
  }

  private status(a: JobAssignment, phase: JobPhase, progress = 0, message = ''): void {
    this.send({ status: { jobId: a.jobId, attempt: a.attempt, phase, progress, message } });
  }

  private async onRound(jobs: JobAssignment[]): Promise<void> {
    for (const a of jobs) await this.onAssignment(a);
  }

  private async onAssignment(a: JobAssignment): Promise<void> {
    if (this.current) {
      this.opts.events?.doubleAssignment?.({ agent: this, jobId: a.jobId });
      this.status(a, JobPhase.JOB_PHASE_FAILED, 0, `agent busy with job ${this.current.jobId}`);
      return;
    }
    this.current = a;
    const startedAt = Date.now();
    this.opts.events?.assigned?.({ agent: this, jobId: a.jobId, attempt: a.attempt, at: startedAt });
    try {
      this.status(a, JobPhase.JOB_PHASE_FETCHING);
      if (this.opts.fetchModel && !this.fetched.has(a.modelSha256)) await this.fetch(a.modelSha256);
      const runMs = this.opts.runMs();
      const until = Date.now() + runMs;
      while (Date.now() < until && !this.closed) {
        await sleep(Math.min(STATUS_EVERY_MS, until - Date.now()));
        this.status(a, JobPhase.JOB_PHASE_TIMED, Math.min(1, 1 - (until - Date.now()) / runMs));
      }
      if (this.closed) return;
      this.status(a, JobPhase.JOB_PHASE_UPLOADING);
      await this.upload(a, this.opts.results.upload(a, startedAt));
    } catch (err) {
      this.status(a, JobPhase.JOB_PHASE_FAILED, 0, (err as Error).message);
    } finally {
      this.current = null;
    }
  }

  private fetch(sha256: string): Promise<void> {
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
      const hash = createHash('sha256');
      let bytes = 0;
      const call = this.opts.stub.fetchModel({ sha256 }, bearer(this.credential), { deadline: Date.now() + 300_000 });
      call.on('data', (chunk: { data: Uint8Array }) => {
        hash.update(chunk.data);
        bytes += chunk.data.length;
      });
      call.on('error', reject);
      call.on('end', () => {
        const got = hash.digest('hex');
        if (got !== sha256) return reject(new Error(`model ${sha256}: received bytes hash to ${got}`));
        this.fetched.add(sha256);
        this.opts.events?.fetched?.({ agent: this, ms: Date.now() - t0, bytes });
        resolve();
      });
    });
  }

  private async upload(a: JobAssignment, parts: UploadResultsRequest[]): Promise<void> {
    const maxTries = this.opts.maxUploadTries ?? 60;
    let delay = 500;
    for (let tries = 1; !this.closed; tries++) {
      const t0 = Date.now();
      try {
        const ack = await this.uploadOnce(parts);
        this.jobsStored++;
        this.opts.events?.stored?.({ agent: this, jobId: a.jobId, attempt: a.attempt, at: Date.now(), uploadMs: Date.now() - t0, tries, duplicate: ack.duplicate });
        return;
      } catch (err) {
        const e = err as ServiceError;
        const willRetry = !PERMANENT.has(e.code) && tries < maxTries;
        this.opts.events?.uploadFailed?.({ agent: this, jobId: a.jobId, code: e.code, details: e.details ?? e.message, willRetry });
        if (!willRetry) return;
        await sleep(delay);
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  private uploadOnce(parts: UploadResultsRequest[]): Promise<{ duplicate: boolean }> {
    this.uploading++;
    return new Promise<{ duplicate: boolean }>((resolve, reject) => {
      const call = this.opts.stub.uploadResults(bearer(this.credential), { deadline: Date.now() + (this.opts.uploadDeadlineMs ?? 120_000) }, (err, res) =>
        err ? reject(err) : resolve({ duplicate: Boolean(res?.duplicate) }),
      );
      for (const p of parts) call.write(p);
      call.end();
    }).finally(() => this.uploading--);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
