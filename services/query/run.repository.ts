import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { LayerInfo } from '../lib/models/index.js';
import { parseSorted } from './comparison.repository.js';
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

export interface LayerMedian {
  layer: string;
  medianNs: number;
  nodes: string[];
  opTypes: string[];
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
  createdAt: string;
}

export interface RunFilter {
  studyId?: string;
  variantLabel?: string;
  deviceId?: string;
}

/** One run with its raw latencies, for pooling across runs (one model, possibly many studies). */
export interface RunSamples {
  id: string;
  deviceId: string;
  deviceName: string;
  deviceClass: string;
  model: string;
  sha256: string;
  runtimeVersion: string;
  agentVersion: string;
  createdAt: Date;
  /** ascending, nanoseconds */
  samplesNs: number[];
}

const VERSION = (key: string) => `coalesce(nullif(r.environment->>'${key}', ''), 'unknown')`;

@Injectable()
export class RunRepository {
  constructor(private readonly ds: DataSource) {}

  async find(id: string): Promise<RunRow | null> {
    const [r] = await this.ds.query(
      `SELECT r.id, r.study_id AS "studyId", v.label AS "variantLabel", d.name AS "deviceName",
              r.median_ns AS "medianNs", r.profiled_median_ns AS "profiledMedianNs", m.layers,
              r.report -> 'attribution' AS attribution
         FROM runs r JOIN variants v ON v.id = r.variant_id JOIN devices d ON d.id = r.device_id
         JOIN models m ON m.sha256 = r.model_sha256 WHERE r.id = $1`,
      [id],
    );
    return r ? { ...r, medianNs: Number(r.medianNs), profiledMedianNs: Number(r.profiledMedianNs) } : null;
  }

  /** Per logical layer: the median over profiled iterations of the summed kernel time of its nodes. */
  async layerMedians(runId: string): Promise<LayerMedian[]> {
    const rows = await this.ds.query(
      `WITH per_iteration AS (
         SELECT layer, iteration, sum(duration_ns) AS ns FROM layer_timings WHERE run_id = $1 GROUP BY layer, iteration
       ), names AS (
         SELECT layer, array_agg(DISTINCT node_name ORDER BY node_name) AS nodes, array_agg(DISTINCT op_type ORDER BY op_type) AS "opTypes"
           FROM layer_timings WHERE run_id = $1 GROUP BY layer
       )
       SELECT p.layer, percentile_cont(0.5) WITHIN GROUP (ORDER BY p.ns) AS "medianNs", n.nodes, n."opTypes"
         FROM per_iteration p JOIN names n USING (layer) GROUP BY p.layer, n.nodes, n."opTypes"`,
      [runId],
    );
    return rows.map((r: LayerMedian) => ({ ...r, medianNs: Number(r.medianNs) }));
  }

  async list(f: RunFilter, limit: number, offset: number): Promise<Page<RunSummary>> {
    const where = `WHERE ($1::uuid IS NULL OR r.study_id = $1) AND ($2::text IS NULL OR v.label = $2) AND ($3::uuid IS NULL OR r.device_id = $3)`;
    const params = [f.studyId ?? null, f.variantLabel ?? null, f.deviceId ?? null];
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT r.id, r.study_id AS "studyId", s.name AS study, v.label AS variant, m.name AS model, r.device_id AS "deviceId", d.name AS device,
              r.median_ns AS "medianNs", r.p90_ns AS "p90Ns", r.min_ns AS "minNs", r.timed_runs AS "timedRuns",
              r.profiled_median_ns AS "profiledMedianNs", ${VERSION('runtimeVersion')} AS "runtimeVersion",
              ${VERSION('agentVersion')} AS "agentVersion", r.created_at AS "createdAt"
         FROM runs r JOIN variants v ON v.id = r.variant_id JOIN studies s ON s.id = r.study_id
         JOIN models m ON m.sha256 = r.model_sha256 JOIN devices d ON d.id = r.device_id
         ${where} ORDER BY r.created_at DESC, r.id LIMIT $4 OFFSET $5`,
      [...params, limit, offset],
    );
    const [{ n }] = await this.ds.query(`SELECT count(*)::int AS n FROM runs r JOIN variants v ON v.id = r.variant_id ${where}`, params);
    const msOf = (v: unknown) => Number(v) / 1e6;
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
    const rows: Array<Omit<RunSamples, 'samplesNs'> & { samples: string | null }> = await this.ds.query(
      `SELECT r.id, r.device_id AS "deviceId", d.name AS "deviceName", d.device_class AS "deviceClass", m.name AS model, m.sha256,
              ${VERSION('runtimeVersion')} AS "runtimeVersion", ${VERSION('agentVersion')} AS "agentVersion", r.created_at AS "createdAt",
              (SELECT string_agg(l.latency_ns::text, ',' ORDER BY l.latency_ns) FROM run_latencies l WHERE l.run_id = r.id) AS samples
         FROM runs r JOIN devices d ON d.id = r.device_id JOIN models m ON m.sha256 = r.model_sha256
        WHERE r.model_sha256 = ANY($1::bpchar[]) AND coalesce(r.protocol->>'graphOptimizationLevel', 'all') = $2
          AND ($3::uuid IS NULL OR r.device_id = $3)
        ORDER BY r.created_at, r.id`,
      [sha256s, optimization, deviceId ?? null],
    );
    return rows.filter((r) => r.samples).map(({ samples, ...r }) => ({ ...r, samplesNs: parseSorted(samples!) }));
  }

  /** sha256 of every model measured on a device. */
  async modelsOnDevice(deviceId: string): Promise<string[]> {
    const rows: Array<{ sha256: string }> = await this.ds.query(`SELECT DISTINCT model_sha256 AS sha256 FROM runs WHERE device_id = $1`, [deviceId]);
    return rows.map((r) => r.sha256);
  }
}
