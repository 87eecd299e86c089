import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { updateReturning, type JobProtocol } from '../lib/store/index.js';

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

export interface ActiveLease {
  id: string;
  studyId: string;
  variantId: string;
  attempt: number;
  deviceId: string;
}

@Injectable()
export class JobRepository {
  constructor(private readonly ds: DataSource) {}

  /** Leases the next queued job to a device; SKIP LOCKED keeps two replicas from leasing one job. */
  async leaseNext(deviceId: string, leaseSeconds: number): Promise<LeasedJob | null> {
    return this.ds.transaction(async (m) => {
      const rows = await updateReturning<Record<string, unknown>>(
        m,
        `UPDATE jobs j SET state = 'leased', device_id = $1, attempt = j.attempt + 1, phase = NULL, progress = 0,
                lease_expires_at = now() + make_interval(secs => $2), updated_at = now()
          WHERE j.id = (SELECT id FROM jobs WHERE state = 'queued'
                         ORDER BY priority DESC, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
          RETURNING j.id, j.attempt, j.study_id, j.variant_id, j.protocol`,
        [deviceId, leaseSeconds],
      );
      const job = rows[0];
      if (!job) return null;
      const [v]: Array<Record<string, unknown>> = await m.query(
        `SELECT v.label, m.sha256, m.size_bytes, m.input_name, m.input_shape
           FROM variants v JOIN models m ON m.sha256 = v.model_sha256 WHERE v.id = $1`,
        [job['variant_id']],
      );
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

  /** The job's current lease, if it is leased to this device in this attempt. */
  async findLease(jobId: string, deviceId: string, attempt: number, m: EntityManager = this.ds.manager): Promise<ActiveLease | null> {
    const rows: ActiveLease[] = await m.query(
      `SELECT id, study_id AS "studyId", variant_id AS "variantId", attempt, device_id AS "deviceId"
         FROM jobs WHERE id = $1 AND device_id = $2 AND attempt = $3 AND state = 'leased' FOR UPDATE`,
      [jobId, deviceId, attempt],
    );
    return rows[0] ?? null;
  }

  async jobLeasedToDevice(jobId: string, deviceId: string): Promise<boolean> {
    const rows = await this.ds.query(`SELECT 1 FROM jobs WHERE id = $1 AND device_id = $2 AND state = 'leased'`, [jobId, deviceId]);
    return rows.length > 0;
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
      const rows = await updateReturning<{ study_id: string }>(
        m,
        `UPDATE jobs SET state = CASE WHEN attempt >= max_attempts THEN 'failed' ELSE 'queued' END,
                device_id = CASE WHEN attempt >= max_attempts THEN device_id ELSE NULL END,
                lease_expires_at = NULL, error = $4, updated_at = now()
          WHERE id = $1 AND device_id = $2 AND attempt = $3 AND state = 'leased' RETURNING study_id`,
        [jobId, deviceId, attempt, error.slice(0, 2000)],
      );
      if (rows[0]) await this.refreshStudyStatus(rows[0].study_id, m);
    });
  }

  async complete(jobId: string, m: EntityManager): Promise<void> {
    await m.query(
      `UPDATE jobs SET state = 'completed', phase = NULL, progress = 1, lease_expires_at = NULL, error = NULL, updated_at = now() WHERE id = $1`,
      [jobId],
    );
  }

  /** Leases past their expiry go back to the queue (or fail, past max_attempts). */
  async requeueExpired(): Promise<number> {
    return this.ds.transaction(async (m) => {
      const rows = await updateReturning<{ study_id: string }>(
        m,
        `UPDATE jobs SET state = CASE WHEN attempt >= max_attempts THEN 'failed' ELSE 'queued' END,
                device_id = CASE WHEN attempt >= max_attempts THEN device_id ELSE NULL END,
                error = 'lease expired', lease_expires_at = NULL, updated_at = now()
          WHERE state = 'leased' AND lease_expires_at < now() RETURNING study_id`,
      );
      for (const studyId of new Set(rows.map((r) => r.study_id))) await this.refreshStudyStatus(studyId, m);
      return rows.length;
    });
  }

  /** A study is completed when no job is queued or leased; failed when every job failed. */
  async refreshStudyStatus(studyId: string, m: EntityManager): Promise<void> {
    await m.query(
      `UPDATE studies s SET status = c.status, finished_at = CASE WHEN c.status IN ('completed', 'failed') THEN now() END
         FROM (SELECT CASE WHEN count(*) FILTER (WHERE state IN ('queued', 'leased')) > 0 THEN
                             CASE WHEN count(*) FILTER (WHERE state <> 'queued') > 0 THEN 'running' ELSE 'queued' END
                           WHEN count(*) FILTER (WHERE state = 'completed') = 0 THEN 'failed'
                           ELSE 'completed' END AS status
                 FROM jobs WHERE study_id = $1) c
        WHERE s.id = $1 AND s.status IS DISTINCT FROM c.status`,
      [studyId],
    );
  }
}
