import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface StudyVariant {
  id: string;
  label: string;
  isBaseline: boolean;
  position: number;
  modelName: string;
  sha256: string;
  madds: number;
  params: number;
}

/** Every timed iteration of every stored run of one variant on one device, pooled. */
export interface LatencyCell {
  variantId: string;
  deviceId: string;
  deviceName: string;
  deviceClass: string;
  /** ascending, nanoseconds */
  samplesNs: number[];
  runIds: string[];
}

@Injectable()
export class ComparisonRepository {
  constructor(private readonly ds: DataSource) {}

  async variants(studyId: string): Promise<StudyVariant[]> {
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT v.id, v.label, v.is_baseline AS "isBaseline", v.position, m.name AS "modelName", m.sha256, m.madds, m.params
         FROM variants v JOIN models m ON m.sha256 = v.model_sha256
        WHERE v.study_id = $1 ORDER BY v.position`,
      [studyId],
    );
    return rows.map((r) => ({ ...r, madds: Number(r['madds']), params: Number(r['params']) }) as StudyVariant);
  }

  /**
   * Raw latencies per variant and device (optionally only some devices). The runs index narrows to
   * the study; each run's latencies are then one range of the run_latencies primary key (a lateral
   * subquery per run, so the planner cannot prefer a scan of the whole table as it grows).
   */
  async cells(studyId: string, deviceIds?: readonly string[]): Promise<LatencyCell[]> {
    const rows: Array<{ variantId: string; deviceId: string; deviceName: string; deviceClass: string; samples: string; runIds: string[] }> = await this.ds.query(
      `SELECT r.variant_id AS "variantId", r.device_id AS "deviceId", d.name AS "deviceName", d.device_class AS "deviceClass",
              string_agg(x.samples, ',') AS samples, array_agg(r.id ORDER BY r.id) AS "runIds"
         FROM runs r
         JOIN devices d ON d.id = r.device_id
         CROSS JOIN LATERAL (SELECT string_agg(l.latency_ns::text, ',') AS samples FROM run_latencies l WHERE l.run_id = r.id) x
        WHERE r.study_id = $1 AND ($2::uuid[] IS NULL OR r.device_id = ANY($2::uuid[])) AND x.samples IS NOT NULL
        GROUP BY r.variant_id, r.device_id, d.name, d.device_class
        ORDER BY d.name`,
      [studyId, deviceIds ?? null],
    );
    return rows.map(({ samples, ...r }) => ({ ...r, samplesNs: parseSorted(samples) }));
  }
}

/** `3,1,2` → [1, 2, 3]: one string per cell parses far faster than a bigint[] of strings. */
export function parseSorted(csv: string): number[] {
  return csv === '' ? [] : Array.from(Float64Array.from(csv.split(','), Number).sort());
}
