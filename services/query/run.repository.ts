import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { LayerInfo } from '../lib/models/index.js';

export interface RunRow {
  id: string;
  studyId: string;
  variantLabel: string;
  deviceName: string;
  medianNs: number;
  profiledMedianNs: number;
  layers: LayerInfo[];
}

export interface LayerMedian {
  layer: string;
  medianNs: number;
  nodes: string[];
  opTypes: string[];
}

@Injectable()
export class RunRepository {
  constructor(private readonly ds: DataSource) {}

  async find(id: string): Promise<RunRow | null> {
    const [r] = await this.ds.query(
      `SELECT r.id, r.study_id AS "studyId", v.label AS "variantLabel", d.name AS "deviceName",
              r.median_ns AS "medianNs", r.profiled_median_ns AS "profiledMedianNs", m.layers
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
}
