import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export type AgentState = 'idle' | 'busy' | 'offline';

/** A predictor's held-out accuracy as ratios (0..1); null when it was not validated. */
export interface PredictorAccuracyRow {
  device: string;
  runtime: string;
  optimization: string;
  within5: number | null;
  within10: number | null;
  rmspe: number | null;
}

export interface LatestMedian {
  studyId: string;
  study: string;
  variant: string;
  device: string;
  medianNs: number;
}

/** The fleet-wide numbers behind /metrics, read from Postgres at scrape time. */
@Injectable()
export class MetricsRepository {
  constructor(private readonly ds: DataSource) {}

  /** Whether the database answers at all (readiness). */
  async reachable(): Promise<boolean> {
    try {
      await this.ds.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /** Agents by class and state: offline, online with a leased job (busy), online without (idle). */
  async agents(staleSeconds: number): Promise<Array<{ deviceClass: string; state: AgentState; n: number }>> {
    const rows: Array<{ deviceClass: string; state: AgentState; n: string }> = await this.ds.query(
      `SELECT d.device_class AS "deviceClass",
              CASE WHEN NOT (d.state = 'online' AND d.last_seen_at > now() - make_interval(secs => $1)) THEN 'offline'
                   WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.device_id = d.id AND j.state = 'leased') THEN 'busy'
                   ELSE 'idle' END AS state,
              count(*) AS n
         FROM devices d GROUP BY 1, 2`,
      [staleSeconds],
    );
    return rows.map((r) => ({ ...r, n: Number(r.n) }));
  }

  async jobs(): Promise<Map<string, number>> {
    const rows: Array<{ state: string; n: string }> = await this.ds.query(`SELECT state, count(*) AS n FROM jobs GROUP BY state`);
    return new Map(rows.map((r) => [r.state, Number(r.n)]));
  }

  /** Age of the oldest current lease and of the oldest queued job, in seconds (0 when there is none). */
  async queueAges(): Promise<{ oldestLeaseSeconds: number; oldestQueuedSeconds: number }> {
    const [r] = await this.ds.query(
      `SELECT coalesce((SELECT extract(epoch FROM now() - min(a.leased_at))
                          FROM jobs j JOIN job_attempts a ON a.job_id = j.id AND a.attempt = j.attempt WHERE j.state = 'leased'), 0)::float8 AS lease,
              coalesce((SELECT extract(epoch FROM now() - min(created_at)) FROM jobs WHERE state = 'queued'), 0)::float8 AS queued`,
    );
    return { oldestLeaseSeconds: Math.max(0, r.lease), oldestQueuedSeconds: Math.max(0, r.queued) };
  }

  async ingested(): Promise<{ latencyRows: number; layerRows: number; bytes: number; rejected: Map<string, number> }> {
    const [rows] = await this.ds.query(`SELECT coalesce(sum(latency_rows), 0)::float8 AS latency, coalesce(sum(layer_rows), 0)::float8 AS layer FROM runs`);
    const [bytes] = await this.ds.query(`SELECT coalesce(sum(bytes), 0)::float8 AS bytes FROM result_uploads WHERE outcome = 'stored'`);
    const rejected: Array<{ code: string; n: string }> = await this.ds.query(
      `SELECT coalesce(error_code, 'UNKNOWN') AS code, count(*) AS n FROM result_uploads WHERE outcome = 'rejected' GROUP BY 1`,
    );
    return { latencyRows: rows.latency, layerRows: rows.layer, bytes: bytes.bytes, rejected: new Map(rejected.map((r) => [r.code, Number(r.n)])) };
  }

  /** On-disk size of the result tables, indexes included. */
  async storageBytes(): Promise<Map<string, number>> {
    const rows: Array<{ name: string; bytes: string }> = await this.ds.query(
      `SELECT t AS name, pg_total_relation_size(t::regclass) AS bytes FROM unnest(ARRAY['runs', 'run_latencies', 'layer_timings']) t`,
    );
    return new Map(rows.map((r) => [r.name, Number(r.bytes)]));
  }

  /**
   * Median of the latest run per (study, variant, device) of the active studies (not finished, or
   * finished within the last hour), newest first, at most `limit` of them.
   */
  async latestMedians(limit: number): Promise<LatestMedian[]> {
    const rows: Array<LatestMedian & { medianNs: string }> = await this.ds.query(
      `SELECT * FROM (
         SELECT DISTINCT ON (r.study_id, r.variant_id, r.device_id)
                r.study_id AS "studyId", s.name AS study, v.label AS variant, d.name AS device, r.median_ns AS "medianNs", r.created_at
           FROM studies s
           JOIN runs r ON r.study_id = s.id
           JOIN variants v ON v.id = r.variant_id
           JOIN devices d ON d.id = r.device_id
          WHERE s.status IN ('queued', 'running') OR s.finished_at > now() - interval '1 hour'
          ORDER BY r.study_id, r.variant_id, r.device_id, r.created_at DESC
       ) latest ORDER BY created_at DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ studyId: r.studyId, study: r.study, variant: r.variant, device: r.device, medianNs: Number(r.medianNs) }));
  }

  /** Held-out accuracy of the latest predictor per device, runtime and optimization level (at most `limit`). */
  async predictorAccuracy(limit: number): Promise<PredictorAccuracyRow[]> {
    const rows: Array<{ device: string; runtime: string; optimization: string; validation: Record<string, unknown> | null }> = await this.ds.query(
      `SELECT DISTINCT ON (p.device_id, p.runtime, p.optimization) d.name AS device, p.runtime, p.optimization, p.validation
         FROM predictors p JOIN devices d ON d.id = p.device_id
        ORDER BY p.device_id, p.runtime, p.optimization, p.version DESC
        LIMIT $1`,
      [limit],
    );
    const share = (v: unknown) => (typeof v === 'number' ? v / 100 : null);
    return rows.map((r) => ({
      device: r.device,
      runtime: r.runtime,
      optimization: r.optimization,
      within5: share(r.validation?.['within5Pct']),
      within10: share(r.validation?.['within10Pct']),
      rmspe: share(r.validation?.['rmspePct']),
    }));
  }
}
