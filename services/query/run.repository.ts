import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { LayerInfo } from '../lib/models/index.js';
import { nsToMs } from '../lib/measure/index.js';
import { parseSorted, runFlaggedBySql, runQualityFlagsSql } from './comparison.repository.js';
import type { RunReplicate } from './latency-statistics.js';
import type { Page } from './pagination.dto.js';

export interface RunRow {
  id: string;
  studyId: string;
  variantLabel: string;
  deviceName: string;
  medianNs: number;
  profiledMedianNs: number;
  layers: LayerInfo[];
  /** `runs.report -> 'attribution'` as stored (the agent's account; shape varies with its version), null when absent */
  attribution: unknown;
}

/** One stored node timing of a profiled iteration (a `layer_timings` row). */
export interface StoredNodeTiming {
  iteration: number;
  nodeName: string;
  opType: string;
  /** builder layer; '' unattributed */
  layer: string;
  durationNs: number;
  /** executor overhead; null for rows stored before agents measured it */
  overheadNs: number | null;
}

export interface RunSummary {
  id: string;
  studyId: string;
  study: string;
  variant: string;
  model: string;
  deviceId: string;
  device: string;
  medianMs: number;
  p90Ms: number;
  minMs: number;
  timedRuns: number;
  profiledMedianMs: number;
  runtimeVersion: string;
  agentVersion: string;
  /** its job's round; null for runs stored before rounds existed */
  round: number | null;
  /** throttled or busy after the agent's retries */
  flagged: boolean;
  createdAt: string;
}

/** The columns the ingest computed from the run's timed iterations (nanoseconds unless named otherwise); null where the run predates them. */
export interface RunStatistics {
  timedRuns: number;
  medianNs: number;
  p90Ns: number;
  p99Ns: number | null;
  minNs: number;
  maxNs: number | null;
  meanNs: number;
  stdNs: number | null;
  /** median absolute deviation from the median (unscaled) */
  madNs: number | null;
  /** bootstrap 95% CI of the run's median */
  medianCiLowNs: number | null;
  medianCiHighNs: number | null;
  profiledMedianNs: number;
  /** profiled median over timed median, minus one */
  profilingOverhead: number | null;
}

/** A stored run as the runs table holds it. */
export interface RunRecord {
  id: string;
  studyId: string;
  study: string;
  variantId: string;
  variant: string;
  model: string;
  modelSha256: string;
  deviceId: string;
  device: string;
  jobId: string;
  attempt: number;
  round: number | null;
  startedAt: string;
  finishedAt: string;
  createdAt: string;
  environment: Record<string, unknown>;
  protocol: Record<string, unknown>;
  statistics: RunStatistics;
  latencyRows: number;
  layerRows: number;
  flagged: boolean;
  /** report.quality.flags: those that flagged it and, in an interleaved round, advisory ones */
  flags: string[];
  /** the flags that flagged it (report.flaggedBy; report.quality.flags in reports without it); empty for a clean run */
  flaggedBy: string[];
  /** the agent's measurement report as stored (its shape varies with the agent's version) */
  report: Record<string, unknown>;
}

export interface RunLatency {
  iteration: number;
  latencyNs: number;
}

export interface RunFilter {
  studyId?: string;
  variantLabel?: string;
  deviceId?: string;
}

/** One run with its raw latencies, a replicate of its model on its device (one model, possibly many studies). */
export interface RunSamples extends RunReplicate {
  deviceId: string;
  deviceName: string;
  deviceClass: string;
  model: string;
  sha256: string;
  runtimeVersion: string;
  agentVersion: string;
  createdAt: Date;
}

/** A run is listed whether or not its model is stored (a model may be pruned; older agents named others). */
const MODEL_OF_RUN = 'LEFT JOIN models m ON m.sha256 = r.model_sha256';
/** The model's name, or the sha256 the run named when no stored model has it. */
const MODEL_NAME = 'coalesce(m.name, r.model_sha256)';

const VERSION = (key: string) => `coalesce(nullif(r.environment->>'${key}', ''), 'unknown')`;

@Injectable()
export class RunRepository {
  constructor(private readonly ds: DataSource) {}

  async find(id: string): Promise<RunRow | null> {
    const [r] = await this.ds.query(
      `SELECT r.id, r.study_id AS "studyId", v.label AS "variantLabel", d.name AS "deviceName",
              r.median_ns AS "medianNs", r.profiled_median_ns AS "profiledMedianNs", coalesce(m.layers, '[]'::jsonb) AS layers,
              r.report -> 'attribution' AS attribution
         FROM runs r JOIN variants v ON v.id = r.variant_id JOIN devices d ON d.id = r.device_id
         ${MODEL_OF_RUN} WHERE r.id = $1`,
      [id],
    );
    return r ? { ...r, medianNs: Number(r.medianNs), profiledMedianNs: Number(r.profiledMedianNs) } : null;
  }

  async record(id: string): Promise<RunRecord | null> {
    const [r] = await this.ds.query(
      `SELECT r.id, r.study_id AS "studyId", s.name AS study, r.variant_id AS "variantId", v.label AS variant, ${MODEL_NAME} AS model,
              r.model_sha256 AS "modelSha256", r.device_id AS "deviceId", d.name AS device, r.job_id AS "jobId", r.attempt, r.round,
              r.started_at AS "startedAt", r.finished_at AS "finishedAt", r.created_at AS "createdAt", r.environment, r.protocol,
              jsonb_build_object(
                'timedRuns', r.timed_runs, 'medianNs', r.median_ns, 'p90Ns', r.p90_ns, 'p99Ns', r.p99_ns, 'minNs', r.min_ns, 'maxNs', r.max_ns,
                'meanNs', r.mean_ns, 'stdNs', r.std_ns, 'madNs', r.mad_ns, 'medianCiLowNs', r.median_ci_low_ns, 'medianCiHighNs', r.median_ci_high_ns,
                'profiledMedianNs', r.profiled_median_ns, 'profilingOverhead', r.profiling_overhead) AS statistics,
              r.latency_rows AS "latencyRows", r.layer_rows AS "layerRows", r.flagged, ${runQualityFlagsSql('r')} AS flags,
              ${runFlaggedBySql('r')} AS "flaggedBy", r.report
         FROM runs r JOIN variants v ON v.id = r.variant_id JOIN studies s ON s.id = r.study_id
         ${MODEL_OF_RUN} JOIN devices d ON d.id = r.device_id
        WHERE r.id = $1`,
      [id],
    );
    if (!r) return null;
    const iso = (d: Date) => d.toISOString();
    return { ...r, startedAt: iso(r.startedAt), finishedAt: iso(r.finishedAt), createdAt: iso(r.createdAt) };
  }

  async exists(id: string): Promise<boolean> {
    const rows = await this.ds.query(`SELECT 1 FROM runs WHERE id = $1`, [id]);
    return rows.length > 0;
  }

  /** The run's timed latencies in iteration order. */
  async latencies(runId: string): Promise<RunLatency[]> {
    const rows: Array<{ iteration: number; latencyNs: string }> = await this.ds.query(
      `SELECT iteration, latency_ns AS "latencyNs" FROM run_latencies WHERE run_id = $1 ORDER BY iteration`,
      [runId],
    );
    return rows.map((r) => ({ iteration: r.iteration, latencyNs: Number(r.latencyNs) }));
  }

  /** The run's node timings: every runtime node of every profiled iteration. */
  async nodeTimings(runId: string): Promise<StoredNodeTiming[]> {
    const rows: Array<Omit<StoredNodeTiming, 'durationNs' | 'overheadNs'> & { durationNs: string; overheadNs: string | null }> = await this.ds.query(
      `SELECT iteration, node_name AS "nodeName", op_type AS "opType", layer, duration_ns AS "durationNs", overhead_ns AS "overheadNs"
         FROM layer_timings WHERE run_id = $1 ORDER BY iteration, node_name`,
      [runId],
    );
    return rows.map((r) => ({ ...r, durationNs: Number(r.durationNs), overheadNs: r.overheadNs === null ? null : Number(r.overheadNs) }));
  }

  async list(f: RunFilter, limit: number, offset: number): Promise<Page<RunSummary>> {
    const where = `WHERE ($1::uuid IS NULL OR r.study_id = $1) AND ($2::text IS NULL OR v.label = $2) AND ($3::uuid IS NULL OR r.device_id = $3)`;
    const params = [f.studyId ?? null, f.variantLabel ?? null, f.deviceId ?? null];
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT r.id, r.study_id AS "studyId", s.name AS study, v.label AS variant, ${MODEL_NAME} AS model, r.device_id AS "deviceId", d.name AS device,
              r.median_ns AS "medianNs", r.p90_ns AS "p90Ns", r.min_ns AS "minNs", r.timed_runs AS "timedRuns",
              r.profiled_median_ns AS "profiledMedianNs", ${VERSION('runtimeVersion')} AS "runtimeVersion",
              ${VERSION('agentVersion')} AS "agentVersion", r.round, r.flagged, r.created_at AS "createdAt"
         FROM runs r JOIN variants v ON v.id = r.variant_id JOIN studies s ON s.id = r.study_id
         ${MODEL_OF_RUN} JOIN devices d ON d.id = r.device_id
         ${where} ORDER BY r.created_at DESC, r.id LIMIT $4 OFFSET $5`,
      [...params, limit, offset],
    );
    const [{ n }] = await this.ds.query(`SELECT count(*)::int AS n FROM runs r JOIN variants v ON v.id = r.variant_id ${where}`, params);
    const msOf = (v: unknown) => nsToMs(Number(v), 6);
    const items = rows.map(({ medianNs, p90Ns, minNs, profiledMedianNs, ...r }) => ({
      ...r,
      medianMs: msOf(medianNs),
      p90Ms: msOf(p90Ns),
      minMs: msOf(minNs),
      profiledMedianMs: msOf(profiledMedianNs),
    })) as RunSummary[];
    return { items, limit, offset, total: n };
  }

  /** Runs of some models (by sha256) at one optimization level, optionally on one device, oldest first, with their latencies. */
  async samples(sha256s: readonly string[], optimization: string, deviceId?: string): Promise<RunSamples[]> {
    const rows: Array<Omit<RunSamples, 'sortedNs'> & { samples: string | null }> = await this.ds.query(
      `SELECT r.id, r.device_id AS "deviceId", d.name AS "deviceName", d.device_class AS "deviceClass", m.name AS model, m.sha256,
              ${VERSION('runtimeVersion')} AS "runtimeVersion", ${VERSION('agentVersion')} AS "agentVersion", r.created_at AS "createdAt",
              r.round, r.flagged, ${runFlaggedBySql('r')} AS flags,
              (SELECT string_agg(l.latency_ns::text, ',' ORDER BY l.latency_ns) FROM run_latencies l WHERE l.run_id = r.id) AS samples
         FROM runs r JOIN devices d ON d.id = r.device_id JOIN models m ON m.sha256 = r.model_sha256
        WHERE r.model_sha256 = ANY($1::bpchar[]) AND coalesce(r.protocol->>'graphOptimizationLevel', 'all') = $2
          AND ($3::uuid IS NULL OR r.device_id = $3)
        ORDER BY r.created_at, r.id`,
      [sha256s, optimization, deviceId ?? null],
    );
    return rows.filter((r) => r.samples).map(({ samples, ...r }) => ({ ...r, sortedNs: parseSorted(samples!) }));
  }

  /** sha256 of every model measured on a device. */
  async modelsOnDevice(deviceId: string): Promise<string[]> {
    const rows: Array<{ sha256: string }> = await this.ds.query(`SELECT DISTINCT model_sha256 AS sha256 FROM runs WHERE device_id = $1`, [deviceId]);
    return rows.map((r) => r.sha256);
  }
}
