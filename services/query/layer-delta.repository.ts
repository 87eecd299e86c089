import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { LayerInfo } from '../lib/models/index.js';
import { runFlaggedBySql } from './comparison.repository.js';
import type { RunReplicate } from './latency-statistics.js';

export interface VariantLayers {
  id: string;
  label: string;
  model: string;
  layers: LayerInfo[];
}

/** Summed kernel time of one (layer, runtime op type) in one profiled iteration of one run. */
export interface IterationSum {
  runId: string;
  iteration: number;
  layer: string;
  opType: string;
  ns: number;
}

/** A stored run of one variant on one device, without its latencies. */
export type LayerDeltaRun = Omit<RunReplicate, 'sortedNs'>;

@Injectable()
export class LayerDeltaRepository {
  constructor(private readonly ds: DataSource) {}

  async variant(studyId: string, label: string): Promise<VariantLayers | null> {
    const [row] = await this.ds.query(
      `SELECT v.id, v.label, m.name AS model, m.layers FROM variants v JOIN models m ON m.sha256 = v.model_sha256
        WHERE v.study_id = $1 AND v.label = $2`,
      [studyId, label],
    );
    return row ?? null;
  }

  /** Devices on which every one of the variants has at least one run. */
  async commonDevices(studyId: string, variantIds: readonly string[]): Promise<Array<{ id: string; name: string; deviceClass: string }>> {
    return this.ds.query(
      `SELECT d.id, d.name, d.device_class AS "deviceClass" FROM runs r JOIN devices d ON d.id = r.device_id
        WHERE r.study_id = $1 AND r.variant_id = ANY($2::uuid[])
        GROUP BY d.id, d.name, d.device_class HAVING count(DISTINCT r.variant_id) = $3 ORDER BY d.name`,
      [studyId, variantIds, new Set(variantIds).size],
    );
  }

  async runs(studyId: string, variantId: string, deviceId: string): Promise<LayerDeltaRun[]> {
    return this.ds.query(
      `SELECT r.id, r.round, r.flagged, ${runFlaggedBySql('r')} AS flags FROM runs r
        WHERE r.study_id = $1 AND r.variant_id = $2 AND r.device_id = $3 ORDER BY r.created_at, r.id`,
      [studyId, variantId, deviceId],
    );
  }

  /** One range scan of the layer_timings primary key per run. */
  async iterationSums(runIds: readonly string[]): Promise<IterationSum[]> {
    const rows: IterationSum[] = await this.ds.query(
      `SELECT run_id AS "runId", iteration, layer, op_type AS "opType", sum(duration_ns)::float8 AS ns
         FROM layer_timings WHERE run_id = ANY($1::uuid[]) GROUP BY run_id, iteration, layer, op_type`,
      [runIds],
    );
    return rows;
  }

  /** Per run: the median of its timed (unprofiled) iterations; runs without any are absent. */
  async timedMediansNs(runIds: readonly string[]): Promise<Map<string, number>> {
    const rows: Array<{ runId: string; median: number }> = await this.ds.query(
      `SELECT run_id AS "runId", percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ns) AS median FROM run_latencies
        WHERE run_id = ANY($1::uuid[]) GROUP BY run_id`,
      [runIds],
    );
    return new Map(rows.map((r) => [r.runId, Number(r.median)]));
  }
}
