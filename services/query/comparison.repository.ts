import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AttemptResources } from '../lib/measure/index.js';
import type { RunReplicate } from './latency-statistics.js';
import { readStoredResources } from './stored-attempts.util.js';

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

/** What a run recorded of loading the model and its runner's memory (`report.resources`), where the runner measures it. */
export type RunResources = Pick<AttemptResources, 'loadFirstMs' | 'loadWarmMs' | 'peakResidentBytes'>;

/** The stored runs of one variant on one device, each with its timed iterations. */
export interface LatencyCell {
  variantId: string;
  deviceId: string;
  deviceName: string;
  deviceClass: string;
  /** in run id order */
  runs: Array<RunReplicate & { resources: RunResources | null }>;
}

const jsonTextArray = (json: string) => `(CASE WHEN jsonb_typeof(${json}) = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(${json})) ELSE '{}'::text[] END)`;

/** A run's quality flags as text[] (`report.quality.flags`: those that flagged it and, in an interleaved round, advisory ones); `run`: the runs table's alias. */
export const runQualityFlagsSql = (run: string) => jsonTextArray(`${run}.report -> 'quality' -> 'flags'`);

/**
 * The flags that flagged a run as text[] (none for a clean run): `report.flaggedBy`; reports from
 * before it existed, when every quality flag flagged a run: `report.quality.flags`.
 */
export const runFlaggedBySql = (run: string) =>
  `(CASE WHEN NOT ${run}.flagged THEN '{}'::text[] WHEN jsonb_typeof(${run}.report -> 'flaggedBy') = 'array' ` +
  `THEN ${jsonTextArray(`${run}.report -> 'flaggedBy'`)} ELSE ${runQualityFlagsSql(run)} END)`;

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
   * Every run with timed latencies per variant and device (optionally only some devices). The runs
   * index narrows to the study; each run's latencies are then one range of the run_latencies
   * primary key (a lateral subquery per run, so the planner cannot prefer a scan of the whole
   * table as it grows), sent as one string per run.
   */
  async cells(studyId: string, deviceIds?: readonly string[]): Promise<LatencyCell[]> {
    const rows: Array<{
      id: string;
      variantId: string;
      deviceId: string;
      deviceName: string;
      deviceClass: string;
      round: number | null;
      flagged: boolean;
      flags: string[];
      samples: string;
      /** the agent's JSON, checked by readStoredResources */
      resources: unknown;
    }> = await this.ds.query(
      `SELECT r.id, r.variant_id AS "variantId", r.device_id AS "deviceId", d.name AS "deviceName", d.device_class AS "deviceClass",
                r.round, r.flagged, ${runFlaggedBySql('r')} AS flags, x.samples,
                r.report -> 'resources' AS resources
           FROM runs r
           JOIN devices d ON d.id = r.device_id
           CROSS JOIN LATERAL (SELECT string_agg(l.latency_ns::text, ',') AS samples FROM run_latencies l WHERE l.run_id = r.id) x
          WHERE r.study_id = $1 AND ($2::uuid[] IS NULL OR r.device_id = ANY($2::uuid[])) AND x.samples IS NOT NULL
          ORDER BY d.name, r.variant_id, r.id`,
      [studyId, deviceIds ?? null],
    );
    const cells = new Map<string, LatencyCell>();
    for (const { id, variantId, deviceId, deviceName, deviceClass, round, flagged, flags, samples, resources } of rows) {
      const key = `${variantId}/${deviceId}`;
      let cell = cells.get(key);
      if (!cell) cells.set(key, (cell = { variantId, deviceId, deviceName, deviceClass, runs: [] }));
      cell.runs.push({ id, round, flagged, flags, sortedNs: parseSorted(samples), resources: readStoredResources(resources) });
    }
    return [...cells.values()];
  }
}

/** `3,1,2` → [1, 2, 3]: one string per run parses far faster than a bigint[] of strings. */
export function parseSorted(csv: string): number[] {
  return csv === '' ? [] : Array.from(Float64Array.from(csv.split(','), Number).sort());
}
