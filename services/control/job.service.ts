import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { CONFIG, offlineAfterMs, type LatfleetConfig } from '../lib/config/index.js';
import { PG_INT_MAX, UUID_PATTERN } from '../lib/errors/index.js';
import { JobPhase, toWireProtocol, type JobStatus } from '../lib/proto/index.js';
import { CANCEL_CHANNEL, JOBS_CHANNEL, type JobCancellation } from '../lib/store/index.js';
import { agentText } from './agent-text.js';
import { DeviceRepository } from './device.repository.js';
import { JobRepository, type DeviceLease } from './job.repository.js';
import { SessionRegistry, type AgentSession } from './session.registry.js';

const SWEEP_MS = 2_000;
/** Leases per transaction: bounds how long a batch holds its locks. */
const LEASE_BATCH = 250;

/**
 * Hands queued jobs to idle agents: on a NOTIFY from whoever queued them, when an agent reports
 * idle, and on a slow sweep that also re-queues expired leases.
 */
@Injectable()
export class JobService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobService.name);
  private listener?: pg.Client;
  private timer?: NodeJS.Timeout;
  private dispatching = Promise.resolve();
  private readonly wanted = new Set<AgentSession>();
  private wantAll = false;
  private stopping = false;

  constructor(
    @Inject(CONFIG) private readonly config: LatfleetConfig,
    private readonly jobs: JobRepository,
    private readonly devices: DeviceRepository,
    private readonly sessions: SessionRegistry,
  ) {}

  /** A new lease lasts this long, and never past the maximum job duration. */
  private get leaseSeconds(): number {
    return Math.min(this.config.leaseSeconds, this.config.maxJobSeconds);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listen();
    this.timer = setInterval(() => void this.sweep(), SWEEP_MS);
  }

  /** LISTEN on its own connection; when Postgres drops it (a restart), listen again. */
  private async listen(): Promise<void> {
    if (this.stopping) return;
    const client = new pg.Client({ connectionString: this.config.databaseUrl });
    this.listener = client;
    let lost = false;
    const relisten = (why: string) => {
      if (lost || this.stopping) return;
      lost = true;
      this.logger.warn(`job listener lost (${why}); listening again`);
      client.end().catch(() => undefined);
      setTimeout(() => void this.listen().catch(() => relisten('reconnect failed')), 1_000);
    };
    client.on('notification', (n) => (n.channel === CANCEL_CHANNEL ? this.cancelled(n.payload ?? '[]') : void this.dispatch()));
    client.on('error', (err) => relisten(err.message));
    client.on('end', () => relisten('connection ended'));
    try {
      await client.connect();
      await client.query(`LISTEN ${JOBS_CHANNEL}`);
      await client.query(`LISTEN ${CANCEL_CHANNEL}`);
    } catch (err) {
      relisten((err as Error).message);
      if (!this.timer) throw err;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.listener?.end().catch(() => undefined);
    await this.dispatching;
  }

  /**
   * Offers queued jobs to idle agents (all of them, or the ones that just reported idle). Passes
   * are serialised, so one agent never gets two jobs from overlapping passes; requests that arrive
   * during a pass are served together by the next one, in batches of leases.
   */
  dispatch(only?: AgentSession): Promise<void> {
    if (only) this.wanted.add(only);
    else this.wantAll = true;
    this.dispatching = this.dispatching
      .then(() => this.assignIdle())
      .catch((err) => {
        this.logger.error(`dispatch failed: ${(err as Error).message}`);
      });
    return this.dispatching;
  }

  private async assignIdle(): Promise<void> {
    const all = this.wantAll;
    const wanted = [...this.wanted];
    this.wantAll = false;
    this.wanted.clear();
    const free = (s: AgentSession) => !s.busy && this.sessions.get(s.deviceId) === s;
    const candidates = all ? this.sessions.idle() : wanted.filter(free);
    if (candidates.length === 0 || !(await this.jobs.hasQueued())) return;
    for (let i = 0; i < candidates.length; i += LEASE_BATCH) {
      const batch = candidates.slice(i, i + LEASE_BATCH).filter(free);
      const leases = await this.jobs.leaseBatch(
        batch.map((s) => s.device),
        this.leaseSeconds,
      );
      const byDevice = new Map<string, DeviceLease[]>();
      for (const lease of leases) byDevice.set(lease.deviceId, [...(byDevice.get(lease.deviceId) ?? []), lease]);
      for (const [deviceId, round] of byDevice) this.assign(this.sessions.get(deviceId), round);
      // None for these devices (selectors, targets); stop once the queue is empty for everyone.
      if (byDevice.size < batch.length && !(await this.jobs.hasQueued())) return;
    }
  }

  /** Sends a device its round: the jobs of one round of a study, in the round's order. */
  private assign(session: AgentSession | undefined, round: DeviceLease[]): void {
    if (!session) {
      // The agent left while its leases were being written: the jobs go back to the queue at once,
      // without counting as attempts (waiting for the leases to expire would idle them for minutes).
      for (const job of round) {
        void this.jobs
          .rejectAttempt(job.jobId, job.deviceId, job.attempt, 'the agent disconnected before the assignment reached it')
          .then(() => this.dispatch())
          .catch((err) => this.logger.warn(`job ${job.jobId}: could not hand back its lease: ${(err as Error).message}`));
      }
      return;
    }
    session.busy = true;
    session.jobIds = new Set(round.map((j) => j.jobId));
    session.assignedAt = Date.now();
    const first = round[0]!;
    this.logger.log(`round ${first.round} of study ${first.studyId} (${round.map((j) => `${j.variantLabel}#${j.attempt}`).join(', ')}) -> ${session.deviceName}`);
    session.out.next({
      round: {
        studyId: first.studyId,
        round: first.round,
        jobs: round.map((job) => ({
          jobId: job.jobId,
          attempt: job.attempt,
          variantLabel: job.variantLabel,
          modelSha256: job.modelSha256,
          modelSizeBytes: job.modelSizeBytes,
          inputName: job.inputName,
          inputShape: job.inputShape,
          protocol: toWireProtocol(job.protocol),
          layerNames: job.layerNames,
          modelFormat: job.modelFormat,
        })),
      },
    });
  }

  /** A heartbeat from a working agent keeps its lease (up to the maximum job duration). */
  async extendLease(session: AgentSession, jobId: string): Promise<void> {
    if (!isJobRef(jobId)) return;
    return this.jobs.extendLease(jobId, session.deviceId, this.config.leaseSeconds, this.config.maxJobSeconds);
  }

  /** The agent says it is working on this job (e.g. it reconnected mid-job). */
  busyWith(session: AgentSession, jobId: string): void {
    if (!isJobRef(jobId)) return;
    session.busy = true;
    session.jobIds.add(jobId);
  }

  /**
   * An agent's report on one of its jobs. Every update is scoped to this device's lease in the
   * database, so a status for a job the session was not given changes nothing unless the lease is in
   * fact this device's (an agent that reconnected mid-job names it in a heartbeat that may be handled
   * after this status); such a status is logged in one brief line, without its text.
   */
  async status(session: AgentSession, s: JobStatus): Promise<void> {
    const held = session.jobIds.has(s.jobId);
    if (!isJobRef(s.jobId, s.attempt)) {
      this.logger.debug(`${session.deviceName}: status for a job that does not exist ignored`);
      return;
    }
    const message = agentText(s.message);
    const said = held ? `: ${message}` : ' (a job this session does not hold)';
    if (s.phase === JobPhase.JOB_PHASE_REJECTED) {
      // The agent is busy with another job (it said which in a heartbeat): the job goes back to the
      // queue without counting as an attempt, and the agent is not offered work until it is free.
      this.log(held, `job ${s.jobId} handed back by ${session.deviceName}${said}`);
      await this.jobs.rejectAttempt(s.jobId, session.deviceId, s.attempt, message || 'agent busy');
      // Still busy (with the job its heartbeat named, if that arrived first): only an idle heartbeat frees it.
      session.jobIds.delete(s.jobId);
      session.busy = true;
      return;
    }
    if (s.phase === JobPhase.JOB_PHASE_FAILED) {
      this.log(held, `job ${s.jobId} attempt ${s.attempt} failed on ${session.deviceName}${said}`);
      await this.jobs.failAttempt(s.jobId, session.deviceId, s.attempt, message || 'failed on the agent');
      this.release(session, s.jobId);
      return;
    }
    const phase = JobPhase[s.phase]?.replace('JOB_PHASE_', '').toLowerCase() ?? 'unknown';
    await this.jobs.updateProgress(s.jobId, session.deviceId, s.attempt, phase, Math.min(1, Math.max(0, s.progress || 0)), message || null);
  }

  private log(held: boolean, line: string): void {
    if (held) this.logger.warn(line);
    else this.logger.debug(line);
  }

  /** One of the agent's jobs was stored or failed; once its whole round is, the agent is free: give it the next. */
  release(session: AgentSession, jobId: string): void {
    if (!session.jobIds.delete(jobId) || session.jobIds.size > 0) return;
    session.busy = false;
    void this.dispatch(session);
  }

  /** An agent that says it is idle is idle, whatever this process thought. */
  idle(session: AgentSession): void {
    // A heartbeat sent before the agent saw its newest assignment must not free it again.
    if (session.busy && Date.now() - session.assignedAt < 2 * this.config.heartbeatMs) return;
    session.busy = false;
    session.jobIds.clear();
    void this.dispatch(session);
  }

  /** Tells the agents connected here that their jobs were cancelled. */
  private cancelled(payload: string): void {
    for (const { jobId, deviceId, reason = 'study cancelled' } of JSON.parse(payload) as JobCancellation[]) {
      const session = this.sessions.get(deviceId);
      if (!session) continue;
      this.logger.log(`job ${jobId} stopped (${reason}): telling ${session.deviceName}`);
      // The agent stays busy until it reports the aborted job (or heartbeats idle): assigning it
      // the next job before then would find it still winding down and burn that job's attempt.
      session.out.next({ cancellation: { jobId, reason } });
    }
  }

  private async sweep(): Promise<void> {
    try {
      const staleSeconds = offlineAfterMs(this.config) / 1000;
      const expired = await this.jobs.requeueExpired(this.config.maxJobSeconds);
      if (expired.length) this.logger.warn(`${expired.length} expired lease(s) ended`);
      // A job past the maximum duration is over: its agent, on whichever replica, is told to stop it.
      const reason = `ran longer than the maximum job duration (${this.config.maxJobSeconds} s)`;
      await this.jobs.notifyCancelled(expired.filter((l) => l.overran).map(({ jobId, deviceId }) => ({ jobId, deviceId, reason })));
      const lost = await this.jobs.requeueLost(staleSeconds);
      if (lost) this.logger.warn(`${lost} job(s) of agents without heartbeats re-queued`);
      await this.devices.markStaleOffline(staleSeconds);
      await this.dispatch();
    } catch (err) {
      this.logger.warn(`sweep: ${(err as Error).message}`);
    }
  }
}

/** A job id and attempt that can name a stored lease; anything else is ignored before it reaches SQL or a log line. */
const isJobRef = (jobId: string, attempt = 0) => UUID_PATTERN.test(jobId) && attempt <= PG_INT_MAX;
