import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { updateReturning, type AttemptOutcome, type DeviceEntity, type JobProtocol } from '../lib/store/index.js';

export interface LeasedJob {
  jobId: string;
  attempt: number;
  studyId: string;
  variantLabel: string;
  modelSha256: string;
  modelSizeBytes: number;
  inputName: string;
  inputShape: number[];
  protocol: JobProtocol;
}

/** An attempt of a job that a device was given at some point. */
export interface GrantedAttempt {
  jobId: string;
  studyId: string;
  variantId: string;
  attempt: number;
  deviceId: string;
  jobState: string;
}

type LeasingDevice = Pick<DeviceEntity, 'id' | 'deviceClass' | 'cpuModel' | 'tags'>;

/**
 * A job a device may take: queued, meant for this device or for any device its selector matches,
 * and the device has no other job (one job at a time per device). Among those: higher priority
 * first, then the study with the fewest jobs running (fairness), then queue order.
 */
const NEXT_JOB = `
  SELECT j.id FROM jobs j
    LEFT JOIN (SELECT study_id, count(*) AS n FROM jobs WHERE state = 'leased' GROUP BY study_id) running
      ON running.study_id = j.study_id
   WHERE j.state = 'queued'
     AND (j.target_device_id IS NULL OR j.target_device_id = $1)
     AND (j.selector->>'class' IS NULL OR j.selector->>'class' = $3)
     AND (j.selector->>'cpuModel' IS NULL OR j.selector->>'cpuModel' = $4)
     AND (j.selector->'tags' IS NULL OR $5::jsonb @> (j.selector->'tags'))
     AND NOT EXISTS (SELECT 1 FROM jobs busy WHERE busy.device_id = $1 AND busy.state = 'leased')
   ORDER BY j.priority DESC, coalesce(running.n, 0), j.created_at, j.id
   LIMIT 1 FOR UPDATE OF j SKIP LOCKED`;

@Injectable()
export class JobRepository {
  constructor(private readonly ds: DataSource) {}

  async hasQueued(): Promise<boolean> {
    return (await this.ds.query(`SELECT 1 FROM jobs WHERE state = 'queued' LIMIT 1`)).length > 0;
  }

  /** Leases the next job to a device; SKIP LOCKED keeps two replicas from leasing one job. */
  async leaseNext(device: LeasingDevice, leaseSeconds: number): Promise<LeasedJob | null> {
    return this.ds.transaction(async (m) => {
      // One lease at a time per device, across replicas: the device row is the lock.
      await m.query(`SELECT 1 FROM devices WHERE id = $1 FOR UPDATE`, [device.id]);
      const rows = await updateReturning<Record<string, unknown>>(
        m,
        `UPDATE jobs j SET state = 'leased', device_id = $1, attempt = j.attempt + 1, phase = NULL, progress = 0,
                lease_expires_at = now() + make_interval(secs => $2), updated_at = now()
          WHERE j.id = (${NEXT_JOB})
          RETURNING j.id, j.attempt, j.study_id, j.variant_id, j.protocol`,
        [device.id, leaseSeconds, device.deviceClass, device.cpuModel, JSON.stringify(device.tags ?? {})],
      );
      const job = rows[0];
      if (!job) return null;
      await m.query(`INSERT INTO job_attempts (job_id, attempt, device_id, leased_at) VALUES ($1, $2, $3, now())`, [
        job['id'],
        job['attempt'],
        device.id,
      ]);
      const [v]: Array<Record<string, unknown>> = await m.query(
        `SELECT v.label, m.sha256, m.size_bytes, m.input_name, m.input_shape
           FROM variants v JOIN models m ON m.sha256 = v.model_sha256 WHERE v.id = $1`,
        [job['variant_id']],
      );
      if (!v) {
        // A job whose model is gone can never run; failing it keeps it from blocking the queue.
        await m.query(`UPDATE jobs SET state = 'failed', device_id = NULL, lease_expires_at = NULL, error = 'model of the variant is missing' WHERE id = $1`, [job['id']]);
        await m.query(`UPDATE job_attempts SET outcome = 'failed', error = 'model of the variant is missing', ended_at = now() WHERE job_id = $1 AND attempt = $2`, [job['id'], job['attempt']]);
        await this.refreshStudyStatus(job['study_id'] as string, m);
        return null;
      }
      await m.query(`UPDATE studies SET status = 'running' WHERE id = $1 AND status = 'queued'`, [job['study_id']]);
      return {
        jobId: job['id'] as string,
        attempt: job['attempt'] as number,
        studyId: job['study_id'] as string,
        variantLabel: v!['label'] as string,
        modelSha256: v!['sha256'] as string,
        modelSizeBytes: Number(v!['size_bytes']),
        inputName: v!['input_name'] as string,
        inputShape: v!['input_shape'] as number[],
        protocol: job['protocol'] as JobProtocol,
      };
    });
  }

  /**
   * An attempt this device was given, locked for the caller's transaction. Results of an attempt
   * whose lease has since moved on (the agent lost its connection, another replica re-queued it)
   * are still its measurements: the device may upload them as long as the job is not finished.
   */
  async findGrantedAttempt(jobId: string, deviceId: string, attempt: number, m: EntityManager = this.ds.manager): Promise<GrantedAttempt | null> {
    const rows: GrantedAttempt[] = await m.query(
      `SELECT j.id AS "jobId", j.study_id AS "studyId", j.variant_id AS "variantId", a.attempt, a.device_id AS "deviceId", j.state AS "jobState"
         FROM job_attempts a JOIN jobs j ON j.id = a.job_id
        WHERE a.job_id = $1 AND a.device_id = $2 AND a.attempt = $3 FOR UPDATE OF j`,
      [jobId, deviceId, attempt],
    );
    return rows[0] ?? null;
  }

  /** Keeps a working agent's lease alive (heartbeats while it runs the job). */
  async extendLease(jobId: string, deviceId: string, leaseSeconds: number): Promise<void> {
    await this.ds.query(
      `UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $3) WHERE id = $1 AND device_id = $2 AND state = 'leased'`,
      [jobId, deviceId, leaseSeconds],
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

  async updateProgress(jobId: string, deviceId: string, attempt: number, phase: string, progress: number): Promise<void> {
    await this.ds.query(
      `UPDATE jobs SET phase = $4, progress = $5, updated_at = now()
        WHERE id = $1 AND device_id = $2 AND attempt = $3 AND state = 'leased'`,
      [jobId, deviceId, attempt, phase, progress],
    );
  }

  /** A failed attempt goes back to the queue until max_attempts, then the job fails for good. */
  async failAttempt(jobId: string, deviceId: string, attempt: number, error: string): Promise<void> {
    await this.ds.transaction(async (m) => {
      const rows = await this.endLeases(m, `j.id = $1 AND j.device_id = $2 AND j.attempt = $3 AND j.state = 'leased'`, [jobId, deviceId, attempt], 'failed', error);
      for (const studyId of rows) await this.refreshStudyStatus(studyId, m);
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
    await m.query(
      `UPDATE jobs SET state = 'completed', phase = NULL, progress = 1, lease_expires_at = NULL, error = NULL, updated_at = now() WHERE id = $1`,
      [jobId],
    );
    await m.query(`UPDATE job_attempts SET outcome = 'completed', ended_at = coalesce(ended_at, now()) WHERE job_id = $1 AND attempt = $2`, [jobId, attempt]);
    await m.query(
      `UPDATE job_attempts SET outcome = 'superseded', ended_at = now() WHERE job_id = $1 AND attempt <> $2 AND outcome IS NULL`,
      [jobId, attempt],
    );
  }

  /** Leases past their expiry go back to the queue (or fail, past max_attempts). */
  async requeueExpired(): Promise<number> {
    return this.requeueWhere(`j.state = 'leased' AND j.lease_expires_at < now()`, [], 'expired', 'lease expired');
  }

  /** Jobs of devices whose heartbeats stopped: the agent is gone, its job goes to another. */
  async requeueLost(staleSeconds: number): Promise<number> {
    return this.requeueWhere(
      `j.state = 'leased' AND j.device_id IN (SELECT id FROM devices WHERE last_seen_at < now() - make_interval(secs => $1))`,
      [staleSeconds],
      'lost',
      'agent stopped sending heartbeats',
    );
  }

  private async requeueWhere(where: string, params: unknown[], outcome: AttemptOutcome, error: string): Promise<number> {
    return this.ds.transaction(async (m) => {
      const studies = await this.endLeases(m, where, params, outcome, error);
      for (const studyId of new Set(studies)) await this.refreshStudyStatus(studyId, m);
      return studies.length;
    });
  }

  /** Ends the matching leases with an outcome; each job is re-queued, or failed past max_attempts. */
  private async endLeases(m: EntityManager, where: string, params: unknown[], outcome: AttemptOutcome, error: string): Promise<string[]> {
    const n = params.length;
    const rows = await updateReturning<{ study_id: string; id: string; attempt: number }>(
      m,
      `UPDATE jobs j SET state = CASE WHEN j.attempt >= j.max_attempts THEN 'failed' ELSE 'queued' END,
              device_id = CASE WHEN j.attempt >= j.max_attempts THEN j.device_id ELSE NULL END,
              lease_expires_at = NULL, phase = NULL, progress = 0, error = $${n + 1}, updated_at = now()
        WHERE ${where} RETURNING j.study_id, j.id, j.attempt`,
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
    return rows.map((r) => r.study_id);
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
