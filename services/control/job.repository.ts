import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { formatsOf, jobRunnableOn, notifyCancelled, updateReturning, type AttemptOutcome, type JobCancellation, type JobProtocol } from '../lib/store/index.js';
import { pairDevicesWithJobs, type CandidateJob, type LeasingDevice } from './job-pairing.js';

export { pairDevicesWithJobs, type LeasingDevice } from './job-pairing.js';

export interface LeasedJob {
  jobId: string;
  attempt: number;
  studyId: string;
  variantLabel: string;
  modelSha256: string;
  modelSizeBytes: number;
  inputName: string;
  inputShape: number[];
  /** the model's layers, in network order: the builder's, or an imported model's nodes */
  layerNames: string[];
  /** the format of the model's bytes (a device that runs it was chosen) */
  modelFormat: string;
  protocol: JobProtocol;
  /** the round it belongs to and its place in the round's order: a device gets a round's queued jobs together */
  round: number;
  roundPosition: number;
}

/** An attempt of a job that a device was given at some point. */
export interface GrantedAttempt {
  jobId: string;
  /** the protocol the job was queued with: what an upload for it may hold */
  protocol: JobProtocol;
  studyId: string;
  variantId: string;
  round: number;
  attempt: number;
  deviceId: string;
  jobState: string;
  /** the model the job measures: an upload must name this one */
  modelSha256: string;
}

/** `formats` absent: ONNX, what a device ran before formats were announced. */
/** A device's lease on a job, from one batch. */
export interface DeviceLease extends LeasedJob {
  deviceId: string;
}

/** A queued job `q` that one of the free devices `d` may run. */
const MATCHES_A_DEVICE = `EXISTS (SELECT 1 FROM free d WHERE ${jobRunnableOn('q', 'd')})`;

/**
 * Queued jobs some free device may take, locked (SKIP LOCKED: another replica's batch keeps its
 * own), best first: higher priority, then fairness between studies: a job's rank within its study
 * plus the study's running jobs, so that one batch interleaves the studies instead of draining the
 * oldest. `$1`: the free devices as JSON ({id, device_class, cpu_model, tags, formats}); `$2`: how many jobs;
 * `$3`: jobs already considered (this transaction holds their locks).
 */
const CANDIDATE_JOBS = `
  WITH free AS MATERIALIZED (
    SELECT d.id, d.device_class, d.cpu_model, d.tags, ARRAY(SELECT jsonb_array_elements_text(d.formats)) AS formats
      FROM jsonb_to_recordset($1::jsonb) AS d(id uuid, device_class text, cpu_model text, tags jsonb, formats jsonb))
  SELECT j.id, j.target_device_id AS "targetDeviceId", j.selector, j.format,
         j.study_id || '/' || j.round || '/' || coalesce(j.target_device_id::text, '*') || '/' || j.format AS "roundKey"
    FROM jobs j
    JOIN (SELECT q.id, row_number() OVER (PARTITION BY q.study_id ORDER BY q.priority DESC, q.round, q.round_position, q.created_at, q.id) AS k
            FROM jobs q WHERE q.state = 'queued' AND ${MATCHES_A_DEVICE}) ranked ON ranked.id = j.id
    LEFT JOIN (SELECT study_id, count(*) AS n FROM jobs WHERE state = 'leased' GROUP BY study_id) running
      ON running.study_id = j.study_id
   WHERE j.state = 'queued' AND j.id <> ALL($3::uuid[])
   ORDER BY j.priority DESC, coalesce(running.n, 0) + ranked.k, j.created_at, j.id
   LIMIT $2 FOR UPDATE OF j SKIP LOCKED`;

/** Rounds of candidates per batch (selectors can leave devices unpaired in a round). */
const MAX_ROUNDS = 4;

/**
 * The other queued jobs of the rounds just leased (same study, round, target and format: a round
 * of a study with several formats is one round per format, each on a device that runs it), locked: they go
 * to the same device in the same lease, so that the agent measures the round's variants together.
 * `$1`: the leased jobs; `$2`: their devices. SKIP LOCKED: a job another replica holds stays queued.
 */
const ROUND_MATES = `
  SELECT o.id AS "jobId", p.device_id AS "deviceId"
    FROM unnest($1::uuid[], $2::uuid[]) AS p(job_id, device_id)
    JOIN jobs j ON j.id = p.job_id
    JOIN jobs o ON o.study_id = j.study_id AND o.round = j.round AND o.target_device_id IS NOT DISTINCT FROM j.target_device_id AND o.format = j.format
   WHERE o.state = 'queued' AND o.id <> ALL($1::uuid[])
   ORDER BY o.id
     FOR UPDATE OF o SKIP LOCKED`;

@Injectable()
export class JobRepository {
  constructor(private readonly ds: DataSource) {}

  async hasQueued(): Promise<boolean> {
    return (await this.ds.query(`SELECT 1 FROM jobs WHERE state = 'queued' LIMIT 1`)).length > 0;
  }

  /** Leases the next job to one device (a batch of one). */
  async leaseNext(device: LeasingDevice, leaseSeconds: number): Promise<LeasedJob | null> {
    return (await this.leaseBatch([device], leaseSeconds))[0] ?? null;
  }

  /**
   * Leases at most one job to each of these devices, in one transaction: the devices' rows are
   * locked (one lease at a time per device, across replicas), devices that already have a job are
   * left out, and SKIP LOCKED on the jobs keeps two replicas from leasing one job.
   */
  async leaseBatch(devices: LeasingDevice[], leaseSeconds: number): Promise<DeviceLease[]> {
    if (devices.length === 0) return [];
    return this.ds.transaction(async (m) => {
      // Waits for the locks (a heartbeat's update holds one for a moment; skipping those devices
      // would leave them without work until their next trigger). In id order: no deadlock between batches.
      const locked: Array<{ id: string }> = await m.query(`SELECT id FROM devices WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [devices.map((d) => d.id)]);
      if (locked.length === 0) return [];
      // A separate statement, so that it sees leases committed while this one waited for the locks.
      const busy: Array<{ device_id: string }> = await m.query(`SELECT device_id FROM jobs WHERE state = 'leased' AND device_id = ANY($1::uuid[])`, [locked.map((d) => d.id)]);
      const lockedIds = new Set(locked.map((d) => d.id));
      const busyIds = new Set(busy.map((b) => b.device_id));
      const free = devices.filter((d) => lockedIds.has(d.id) && !busyIds.has(d.id));
      if (free.length === 0) return [];
      // As many candidates as free devices, so that concurrent batches do not lock jobs they cannot
      // use; more rounds only when selectors left devices without a job while more jobs may fit.
      const pairs: Array<{ jobId: string; deviceId: string }> = [];
      const considered: string[] = [];
      const roundsTaken = new Set<string>();
      let unpaired = free;
      for (let round = 0; round < MAX_ROUNDS && unpaired.length > 0; round++) {
        const candidates: CandidateJob[] = await m.query(CANDIDATE_JOBS, [
          JSON.stringify(unpaired.map((d) => ({ id: d.id, device_class: d.deviceClass, cpu_model: d.cpuModel, tags: d.tags ?? {}, formats: formatsOf(d) }))),
          unpaired.length,
          considered,
        ]);
        const found = pairDevicesWithJobs(unpaired, candidates, roundsTaken);
        pairs.push(...found);
        considered.push(...candidates.map((c) => c.id));
        if (candidates.length < unpaired.length) break;
        const paired = new Set(found.map((p) => p.deviceId));
        unpaired = unpaired.filter((d) => !paired.has(d.id));
      }
      if (pairs.length === 0) return [];
      pairs.push(...(await m.query(ROUND_MATES, [pairs.map((p) => p.jobId), pairs.map((p) => p.deviceId)])));
      const leased = await updateReturning<Record<string, unknown>>(
        m,
        `UPDATE jobs j SET state = 'leased', device_id = p.device_id, attempt = j.attempt + 1, phase = NULL, progress = 0,
                lease_expires_at = now() + make_interval(secs => $3), updated_at = now()
           FROM unnest($1::uuid[], $2::uuid[]) AS p(job_id, device_id)
          WHERE j.id = p.job_id AND j.state = 'queued'
          RETURNING j.id, j.attempt, j.study_id, j.variant_id, j.protocol, j.device_id, j.round, j.round_position`,
        [pairs.map((p) => p.jobId), pairs.map((p) => p.deviceId), leaseSeconds],
      );
      if (leased.length === 0) return [];
      await m.query(
        `INSERT INTO job_attempts (job_id, attempt, device_id, leased_at)
         SELECT a.job_id, a.attempt, a.device_id, now() FROM unnest($1::uuid[], $2::int[], $3::uuid[]) AS a(job_id, attempt, device_id)`,
        [leased.map((j) => j['id']), leased.map((j) => j['attempt']), leased.map((j) => j['device_id'])],
      );
      const variants: Array<Record<string, unknown>> = await m.query(
        `SELECT v.id, v.label, m.sha256, m.size_bytes, m.input_name, m.input_shape, m.format,
                coalesce((SELECT array_agg(l ->> 'name' ORDER BY k) FROM jsonb_array_elements(m.layers) WITH ORDINALITY AS x(l, k)), '{}') AS layer_names
           FROM variants v JOIN models m ON m.sha256 = v.model_sha256 WHERE v.id = ANY($1::uuid[])`,
        [[...new Set(leased.map((j) => j['variant_id']))]],
      );
      const byVariant = new Map(variants.map((v) => [v['id'] as string, v]));
      const orphans = leased.filter((j) => !byVariant.has(j['variant_id'] as string));
      if (orphans.length > 0) {
        // A job whose model is gone can never run; failing it keeps it from blocking the queue.
        const ids = orphans.map((j) => j['id']);
        await m.query(`UPDATE jobs SET state = 'failed', device_id = NULL, lease_expires_at = NULL, error = 'model of the variant is missing' WHERE id = ANY($1::uuid[])`, [ids]);
        await m.query(
          `UPDATE job_attempts a SET outcome = 'failed', error = 'model of the variant is missing', ended_at = now()
             FROM jobs j WHERE j.id = ANY($1::uuid[]) AND a.job_id = j.id AND a.attempt = j.attempt`,
          [ids],
        );
        for (const studyId of new Set(orphans.map((j) => j['study_id'] as string))) await this.refreshStudyStatus(studyId, m);
      }
      const granted = leased.filter((j) => byVariant.has(j['variant_id'] as string));
      // SKIP LOCKED: a cancellation locks its study and then waits for the jobs this batch holds;
      // waiting here for the study would deadlock. A locked study is being cancelled or set running.
      await m.query(
        `UPDATE studies SET status = 'running'
          WHERE id IN (SELECT id FROM studies WHERE id = ANY($1::uuid[]) AND status = 'queued' FOR UPDATE SKIP LOCKED)`,
        [[...new Set(granted.map((j) => j['study_id']))]],
      );
      // In the order the devices were given: the order a caller offered them work.
      const order = new Map(devices.map((d, i) => [d.id, i]));
      return granted
        .map((job): DeviceLease => {
          const v = byVariant.get(job['variant_id'] as string)!;
          return {
            deviceId: job['device_id'] as string,
            jobId: job['id'] as string,
            attempt: job['attempt'] as number,
            studyId: job['study_id'] as string,
            variantLabel: v['label'] as string,
            modelSha256: v['sha256'] as string,
            modelSizeBytes: Number(v['size_bytes']),
            inputName: v['input_name'] as string,
            inputShape: v['input_shape'] as number[],
            layerNames: v['layer_names'] as string[],
            modelFormat: v['format'] as string,
            protocol: job['protocol'] as JobProtocol,
            round: job['round'] as number,
            roundPosition: job['round_position'] as number,
          };
        })
        .sort((a, b) => order.get(a.deviceId)! - order.get(b.deviceId)! || a.roundPosition - b.roundPosition);
    });
  }

  /**
   * An attempt this device was given, locked for the caller's transaction. Results of an attempt
   * whose lease has since moved on (the agent lost its connection, another replica re-queued it)
   * are still its measurements: the device may upload them as long as the job is not finished.
   */
  async findGrantedAttempt(jobId: string, deviceId: string, attempt: number, m: EntityManager = this.ds.manager): Promise<GrantedAttempt | null> {
    const rows: GrantedAttempt[] = await m.query(
      `SELECT j.id AS "jobId", j.study_id AS "studyId", j.variant_id AS "variantId", j.round, a.attempt, a.device_id AS "deviceId", j.state AS "jobState",
              v.model_sha256 AS "modelSha256", j.protocol
         FROM job_attempts a JOIN jobs j ON j.id = a.job_id JOIN variants v ON v.id = j.variant_id
        WHERE a.job_id = $1 AND a.device_id = $2 AND a.attempt = $3 FOR UPDATE OF j`,
      [jobId, deviceId, attempt],
    );
    return rows[0] ?? null;
  }

  /**
   * Keeps a working agent's leases alive (heartbeats while it runs a round: the job it names and
   * the rest of its round), but not past `maxJobSeconds` after each attempt was leased: a runner
   * that hangs while its agent still heartbeats must not hold the device and the jobs for ever.
   */
  async extendLease(jobId: string, deviceId: string, leaseSeconds: number, maxJobSeconds: number): Promise<void> {
    await this.ds.query(
      `UPDATE jobs j SET lease_expires_at = least(now() + make_interval(secs => $3), a.leased_at + make_interval(secs => $4))
         FROM job_attempts a, jobs named
        WHERE named.id = $1 AND j.device_id = $2 AND j.state = 'leased' AND j.study_id = named.study_id AND j.round = named.round
          AND a.job_id = j.id AND a.attempt = j.attempt`,
      [jobId, deviceId, leaseSeconds, maxJobSeconds],
    );
  }

  async modelLeasedToDevice(sha256: string, deviceId: string): Promise<boolean> {
    const rows = await this.ds.query(
      `SELECT 1 FROM jobs j JOIN variants v ON v.id = j.variant_id
        WHERE v.model_sha256 = $1 AND j.device_id = $2 AND j.state = 'leased' LIMIT 1`,
      [sha256, deviceId],
    );
    return rows.length > 0;
  }

  async updateProgress(jobId: string, deviceId: string, attempt: number, phase: string, progress: number, message: string | null = null): Promise<void> {
    await this.ds.query(
      `UPDATE jobs SET phase = $4, progress = $5, status_message = coalesce($6, status_message), updated_at = now()
        WHERE id = $1 AND device_id = $2 AND attempt = $3 AND state = 'leased'`,
      [jobId, deviceId, attempt, phase, progress, message],
    );
  }

  /** A failed attempt goes back to the queue until max_attempts, then the job fails for good. */
  async failAttempt(jobId: string, deviceId: string, attempt: number, error: string): Promise<void> {
    await this.ds.transaction(async (m) => {
      const ended = await this.endLeases(m, `j.id = $1 AND j.device_id = $2 AND j.attempt = $3 AND j.state = 'leased'`, [jobId, deviceId, attempt], 'failed', error);
      for (const { studyId } of ended) await this.refreshStudyStatus(studyId, m);
    });
  }

  /** An attempt the agent could not start: re-queued, and it does not count towards max_attempts. */
  async rejectAttempt(jobId: string, deviceId: string, attempt: number, reason: string): Promise<void> {
    await this.ds.transaction(async (m) => {
      const rows = await updateReturning<{ study_id: string }>(
        m,
        `UPDATE jobs SET state = 'queued', device_id = NULL, lease_expires_at = NULL, max_attempts = max_attempts + 1, updated_at = now()
          WHERE id = $1 AND device_id = $2 AND attempt = $3 AND state = 'leased' RETURNING study_id`,
        [jobId, deviceId, attempt],
      );
      if (!rows[0]) return;
      await m.query(`UPDATE job_attempts SET outcome = 'rejected', error = $3, ended_at = now() WHERE job_id = $1 AND attempt = $2`, [jobId, attempt, reason.slice(0, 2000)]);
      await this.refreshStudyStatus(rows[0].study_id, m);
    });
  }

  /** Marks the job done by this attempt (inside the ingest transaction). */
  async complete(jobId: string, attempt: number, m: EntityManager): Promise<void> {
    await m.query(`UPDATE jobs SET state = 'completed', phase = NULL, progress = 1, lease_expires_at = NULL, error = NULL, updated_at = now() WHERE id = $1`, [jobId]);
    await m.query(`UPDATE job_attempts SET outcome = 'completed', ended_at = coalesce(ended_at, now()) WHERE job_id = $1 AND attempt = $2`, [jobId, attempt]);
    await m.query(`UPDATE job_attempts SET outcome = 'superseded', ended_at = now() WHERE job_id = $1 AND attempt <> $2 AND outcome IS NULL`, [jobId, attempt]);
  }

  /** Tells every replica to stop these leases on their agents (see CANCEL_CHANNEL). */
  notifyCancelled(leases: JobCancellation[]): Promise<void> {
    return notifyCancelled(this.ds, leases);
  }

  /**
   * Leases past their expiry go back to the queue (or fail, past max_attempts). An attempt that ran
   * for `maxJobSeconds` is recorded as such, not as a plain expiry. Returns the leases ended.
   */
  async requeueExpired(maxJobSeconds: number): Promise<Array<{ jobId: string; deviceId: string; overran: boolean }>> {
    const overran = `j.state = 'leased' AND j.lease_expires_at < now() AND EXISTS (
      SELECT 1 FROM job_attempts a WHERE a.job_id = j.id AND a.attempt = j.attempt AND a.leased_at + make_interval(secs => $1) <= now())`;
    const tooLong = await this.requeueWhere(overran, [maxJobSeconds], 'expired', `ran longer than the maximum job duration (${maxJobSeconds} s, LATFLEET_MAX_JOB_SECONDS)`);
    const expired = await this.requeueWhere(`j.state = 'leased' AND j.lease_expires_at < now()`, [], 'expired', 'lease expired');
    return [...tooLong.map((l) => ({ ...l, overran: true })), ...expired.map((l) => ({ ...l, overran: false }))];
  }

  /** Jobs of devices whose heartbeats stopped: the agent is gone, its job goes to another. */
  async requeueLost(staleSeconds: number): Promise<number> {
    const ended = await this.requeueWhere(
      `j.state = 'leased' AND j.device_id IN (SELECT id FROM devices WHERE last_seen_at < now() - make_interval(secs => $1))`,
      [staleSeconds],
      'lost',
      'agent stopped sending heartbeats',
    );
    return ended.length;
  }

  private async requeueWhere(where: string, params: unknown[], outcome: AttemptOutcome, error: string): Promise<Array<{ jobId: string; deviceId: string }>> {
    return this.ds.transaction(async (m) => {
      const ended = await this.endLeases(m, where, params, outcome, error);
      for (const studyId of new Set(ended.map((e) => e.studyId))) await this.refreshStudyStatus(studyId, m);
      return ended.map(({ jobId, deviceId }) => ({ jobId, deviceId }));
    });
  }

  /** Ends the matching leases with an outcome; each job is re-queued, or failed past max_attempts. */
  private async endLeases(
    m: EntityManager,
    where: string,
    params: unknown[],
    outcome: AttemptOutcome,
    error: string,
  ): Promise<Array<{ studyId: string; jobId: string; deviceId: string }>> {
    const n = params.length;
    const rows = await updateReturning<{ study_id: string; id: string; attempt: number; device_id: string }>(
      m,
      `UPDATE jobs j SET state = CASE WHEN j.attempt >= j.max_attempts THEN 'failed' ELSE 'queued' END,
              device_id = CASE WHEN j.attempt >= j.max_attempts THEN j.device_id ELSE NULL END,
              lease_expires_at = NULL, phase = NULL, progress = 0, error = $${n + 1}, updated_at = now()
         FROM jobs old
        WHERE old.id = j.id AND ${where} RETURNING j.study_id, j.id, j.attempt, old.device_id`,
      [...params, error.slice(0, 2000)],
    );
    for (const r of rows) {
      await m.query(`UPDATE job_attempts SET outcome = $3, error = $4, ended_at = now() WHERE job_id = $1 AND attempt = $2 AND outcome IS NULL`, [
        r.id,
        r.attempt,
        outcome,
        error.slice(0, 2000),
      ]);
    }
    return rows.map((r) => ({ studyId: r.study_id, jobId: r.id, deviceId: r.device_id }));
  }

  /** A study is completed when no job is queued or leased; failed when no job completed. Cancelled stays cancelled. */
  async refreshStudyStatus(studyId: string, m: EntityManager): Promise<void> {
    await m.query(
      `UPDATE studies s SET status = c.status, finished_at = CASE WHEN c.status IN ('completed', 'failed') THEN now() END
         FROM (SELECT CASE WHEN count(*) FILTER (WHERE state IN ('queued', 'leased')) > 0 THEN
                             CASE WHEN count(*) FILTER (WHERE state <> 'queued') > 0 THEN 'running' ELSE 'queued' END
                           WHEN count(*) FILTER (WHERE state = 'completed') = 0 THEN 'failed'
                           ELSE 'completed' END AS status
                 FROM jobs WHERE study_id = $1) c
        WHERE s.id = $1 AND s.status <> 'cancelled' AND s.status IS DISTINCT FROM c.status`,
      [studyId],
    );
  }
}
