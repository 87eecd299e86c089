import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface VariantDeviceLatency {
  variantId: string;
  label: string;
  isBaseline: boolean;
  deviceId: string;
  deviceName: string;
  medianNs: number;
  p90Ns: number;
  samples: number;
  runIds: string[];
  madds: number;
  params: number;
}

@Injectable()
export class ComparisonRepository {
  constructor(private readonly ds: DataSource) {}

  /** Median and p90 over every timed iteration of every stored run, per variant and device. */
  async latencies(studyId: string): Promise<VariantDeviceLatency[]> {
    const rows = await this.ds.query(
      `SELECT v.id AS "variantId", v.label, v.is_baseline AS "isBaseline", d.id AS "deviceId", d.name AS "deviceName",
              percentile_cont(0.5) WITHIN GROUP (ORDER BY l.latency_ns) AS "medianNs",
              percentile_cont(0.9) WITHIN GROUP (ORDER BY l.latency_ns) AS "p90Ns",
              count(*) AS samples,
              array_agg(DISTINCT r.id) AS "runIds", m.madds, m.params
         FROM runs r
         JOIN run_latencies l ON l.run_id = r.id
         JOIN variants v ON v.id = r.variant_id
         JOIN models m ON m.sha256 = v.model_sha256
         JOIN devices d ON d.id = r.device_id
        WHERE r.study_id = $1
        GROUP BY v.id, v.label, v.is_baseline, v.position, d.id, d.name, m.madds, m.params
        ORDER BY d.name, v.position`,
      [studyId],
    );
    return rows.map((r: Record<string, unknown>) => ({
      ...r,
      medianNs: Number(r['medianNs']),
      p90Ns: Number(r['p90Ns']),
      samples: Number(r['samples']),
      madds: Number(r['madds']),
      params: Number(r['params']),
    })) as VariantDeviceLatency[];
  }
}
