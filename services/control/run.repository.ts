import { Injectable } from '@nestjs/common';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import type { LatencyStats } from '../lib/measure/index.js';
import type { JobProtocol } from '../lib/store/index.js';
import { JobRepository, type GrantedAttempt } from './job.repository.js';
import { RoundPlanner } from './round-planner.js';

export interface RunRecord {
  lease: GrantedAttempt;
  modelSha256: string;
  startedAt: Date;
  finishedAt: Date;
  protocol: JobProtocol;
  environment: Record<string, unknown>;
  stats: LatencyStats;
  profiledMedianNs: number;
  flagged: boolean;
  report: Record<string, unknown>;
  latenciesNs: number[];
  layers: Array<{ iteration: number; nodeName: string; opType: string; layer: string; durationNs: number; provider: string; overheadNs?: number | undefined }>;
}

export interface UploadRecord {
  deviceId: string;
  jobId: string | null;
  attempt: number | null;
  runId?: string | null;
  outcome: 'stored' | 'duplicate' | 'rejected';
  errorCode?: string | null;
  field?: string | null;
  bytes: number;
}

export interface StoredRun {
  runId: string;
  latencyRows: number;
  layerRows: number;
  duplicate: boolean;
}

/** COPY text format: backslash, tab and newline escaped. */
const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

@Injectable()
export class RunRepository {
  constructor(
    private readonly ds: DataSource,
    private readonly jobs: JobRepository,
    private readonly rounds: RoundPlanner,
  ) {}

  /** One row per upload received: what the ingest metrics count. */
  async recordUpload(u: UploadRecord, m: EntityManager = this.ds.manager): Promise<void> {
    await m.query(`INSERT INTO result_uploads (device_id, job_id, attempt, run_id, outcome, error_code, field, bytes) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, [
      u.deviceId,
      u.jobId,
      u.attempt,
      u.runId ?? null,
      u.outcome,
      u.errorCode ?? null,
      u.field ?? null,
      u.bytes,
    ]);
  }

  /** Finds a run already stored for this job attempt (a re-sent upload), or for any attempt of the job. */
  async findRun(jobId: string, attempt?: number): Promise<StoredRun | null> {
    const rows: Array<{ id: string; latency_rows: number; layer_rows: number }> = await this.ds.query(
      `SELECT id, latency_rows, layer_rows FROM runs WHERE job_id = $1 AND ($2::int IS NULL OR attempt = $2) ORDER BY attempt DESC LIMIT 1`,
      [jobId, attempt ?? null],
    );
    const r = rows[0];
    return r ? { runId: r.id, latencyRows: r.latency_rows, layerRows: r.layer_rows, duplicate: true } : null;
  }

  /**
   * One transaction per run: the run row, its raw latencies and layer timings (COPY), the job
   * completed and the study's status. `not-granted`: this device never had this attempt;
   * `superseded`: another attempt completed the job meanwhile; `cancelled`: its study was cancelled
   * (nothing stored either way).
   */
  async store(
    jobId: string,
    deviceId: string,
    attempt: number,
    build: (lease: GrantedAttempt) => RunRecord,
    bytes = 0,
  ): Promise<StoredRun | 'not-granted' | 'superseded' | 'cancelled'> {
    const qr = this.ds.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    try {
      const m: EntityManager = qr.manager;
      const lease = await this.jobs.findGrantedAttempt(jobId, deviceId, attempt, m);
      if (!lease || lease.jobState === 'completed' || lease.jobState === 'cancelled') {
        await qr.rollbackTransaction();
        return !lease ? 'not-granted' : lease.jobState === 'completed' ? 'superseded' : 'cancelled';
      }
      const run = build(lease);
      const [row]: Array<{ id: string }> = await m.query(
        `INSERT INTO runs (job_id, attempt, study_id, variant_id, device_id, model_sha256, started_at, finished_at,
                           protocol, environment, timed_runs, median_ns, p90_ns, min_ns, mean_ns, profiled_median_ns,
                           latency_rows, layer_rows, max_ns, p99_ns, std_ns, mad_ns, median_ci_low_ns, median_ci_high_ns,
                           profiling_overhead, flagged, report, round)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28) RETURNING id`,
        [
          jobId,
          attempt,
          lease.studyId,
          lease.variantId,
          deviceId,
          run.modelSha256,
          run.startedAt,
          run.finishedAt,
          JSON.stringify(run.protocol),
          JSON.stringify(run.environment),
          run.stats.count,
          Math.round(run.stats.median),
          Math.round(run.stats.p90),
          Math.round(run.stats.min),
          run.stats.mean,
          Math.round(run.profiledMedianNs),
          run.latenciesNs.length,
          run.layers.length,
          Math.round(run.stats.max),
          Math.round(run.stats.p99),
          run.stats.std,
          run.stats.mad,
          Math.round(run.stats.medianCi.low),
          Math.round(run.stats.medianCi.high),
          run.profiledMedianNs > 0 ? run.profiledMedianNs / run.stats.median - 1 : null,
          run.flagged,
          JSON.stringify(run.report),
          lease.round,
        ],
      );
      const runId = row!.id;
      const client = (qr as unknown as { databaseConnection: PoolClient }).databaseConnection;
      await copyRows(
        client,
        'run_latencies (run_id, iteration, latency_ns)',
        run.latenciesNs.map((ns, i) => `${runId}\t${i}\t${Math.round(ns)}\n`),
      );
      await copyRows(
        client,
        'layer_timings (run_id, iteration, node_name, op_type, layer, duration_ns, provider, overhead_ns)',
        run.layers.map(
          (l) =>
            `${runId}\t${l.iteration}\t${esc(l.nodeName)}\t${esc(l.opType)}\t${esc(l.layer)}\t${Math.round(l.durationNs)}\t${esc(l.provider)}\t${l.overheadNs === undefined ? '\\N' : Math.round(l.overheadNs)}\n`,
        ),
      );
      await this.jobs.complete(jobId, attempt, m);
      await this.recordUpload({ deviceId, jobId, attempt, runId, outcome: 'stored', bytes }, m);
      await this.rounds.afterJob(m, lease.studyId, jobId);
      await this.jobs.refreshStudyStatus(lease.studyId, m);
      await qr.commitTransaction();
      return { runId, latencyRows: run.latenciesNs.length, layerRows: run.layers.length, duplicate: false };
    } catch (err) {
      if (qr.isTransactionActive) await qr.rollbackTransaction();
      throw err;
    } finally {
      await qr.release();
    }
  }
}

async function copyRows(client: PoolClient, target: string, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  const BATCH = 4096;
  async function* chunks() {
    for (let i = 0; i < lines.length; i += BATCH) yield lines.slice(i, i + BATCH).join('');
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(`COPY ${target} FROM STDIN`)));
}
