import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { LayerInfo, VariantSpec } from '../lib/models/index.js';
import type { PredictorKind } from '../lib/predict/index.js';

/** One measured run with what the predictor needs of its model. */
export interface TrainingRun {
  runId: string;
  studyId: string;
  modelSha256: string;
  modelName: string;
  family: string;
  spec: VariantSpec;
  layers: LayerInfo[];
  medianNs: number;
  /** the host speed probe around the timed runs (mean of before and after; null for runs stored without it): how fast the host was */
  hostProbeNs: number | null;
  /** the share of the CPU the timed runs got (null for runs stored without it) */
  cpuShare: number | null;
  /** the model file's format (onnx, tflite) */
  format: string;
}

/** A run's host speed probe: the mean of the reference workload's time just before and just after its timed runs (its last attempt). */
const HOST_PROBE = `((r.report->'attempts'->-1->'environmentBefore'->>'hostProbeNs')::float8 + (r.report->'attempts'->-1->'environmentAfter'->>'hostProbeNs')::float8) / 2`;

/** One runtime node of one run: its median kernel time over the run's profiled iterations. */
export interface TrainingKernel {
  runId: string;
  nodeName: string;
  opType: string;
  layer: string;
  medianNs: number;
}

export interface PredictorKey {
  deviceId: string;
  runtime: string;
  optimization: string;
}

export interface NewPredictor extends PredictorKey {
  training: Record<string, unknown>;
  validation: Record<string, unknown> | null;
  heldOut: unknown[];
  model: Record<string, unknown>;
}

export interface PredictorSummary extends PredictorKey {
  id: string;
  device: string;
  /** the model format it predicts (onnx, tflite) */
  format: string;
  /** kernels (per-node profiles) or layer-sum (end-to-end medians) */
  kind: PredictorKind;
  version: number;
  training: Record<string, unknown>;
  validation: Record<string, unknown> | null;
  createdAt: string;
}

/** A run's optimization level as stored (a protocol that names none ran at the default, `all`). */
const OPTIMIZATION = `coalesce(nullif(r.protocol->>'graphOptimizationLevel', ''), 'all')`;
/** A predictor's model format and kind, from its training record (predictors stored before either was recorded learned ONNX kernels). */
const FORMAT = `coalesce(p.training->>'format', 'onnx')`;
const SUMMARY = `p.id, p.device_id AS "deviceId", d.name AS device, p.runtime, p.optimization, ${FORMAT} AS format, coalesce(p.training->>'model', 'kernels') AS kind,
  p.version, p.training, p.validation, p.created_at AS "createdAt"`;

@Injectable()
export class PredictorRepository {
  constructor(private readonly ds: DataSource) {}

  async deviceId(nameOrId: string): Promise<{ id: string; name: string } | undefined> {
    const [row] = await this.ds.query(`SELECT id, name FROM devices WHERE name = $1 OR id::text = $1 ORDER BY name = $1 DESC LIMIT 1`, [nameOrId]);
    return row;
  }

  /**
   * Runtime and optimization level of the device's latest run of a builder variant (of this model
   * format, when given): what a predictor is trained for by default.
   */
  async latestKey(deviceId: string, format: string | null): Promise<PredictorKey | undefined> {
    const [row] = await this.ds.query(
      `SELECT r.device_id AS "deviceId", r.environment->>'runtimeVersion' AS runtime, ${OPTIMIZATION} AS optimization
         FROM runs r JOIN models m ON m.sha256 = r.model_sha256
        WHERE r.device_id = $1 AND r.environment ? 'runtimeVersion' AND m.spec IS NOT NULL AND ($2::text IS NULL OR m.format = $2)
        ORDER BY r.finished_at DESC LIMIT 1`,
      [deviceId, format],
    );
    return row;
  }

  /**
   * Runs of builder variants on the device with this runtime and optimization level (clean ones only
   * unless asked); only profiled ones (per-node rows) when a kernel predictor is to learn from them.
   */
  async trainingRuns(key: PredictorKey, studyIds: readonly string[] | null, includeFlagged: boolean, profiledOnly: boolean): Promise<TrainingRun[]> {
    const rows: Array<Omit<TrainingRun, 'medianNs'> & { medianNs: string }> = await this.ds.query(
      `SELECT r.id AS "runId", r.study_id AS "studyId", m.sha256 AS "modelSha256", m.name AS "modelName", m.family, m.spec, m.layers, m.format, r.median_ns AS "medianNs",
              ${HOST_PROBE} AS "hostProbeNs", (r.report->'quality'->>'cpuShare')::float8 AS "cpuShare"
         FROM runs r JOIN models m ON m.sha256 = r.model_sha256
        WHERE r.device_id = $1 AND r.environment->>'runtimeVersion' = $2 AND ${OPTIMIZATION} = $3
          AND (NOT $6 OR r.layer_rows > 0) AND r.median_ns > 0 AND m.spec IS NOT NULL AND jsonb_array_length(m.layers) > 0
          AND ($4::uuid[] IS NULL OR r.study_id = ANY($4::uuid[])) AND ($5 OR NOT r.flagged)
        ORDER BY r.finished_at`,
      [key.deviceId, key.runtime, key.optimization, studyIds, includeFlagged, profiledOnly],
    );
    return rows.map((r) => ({ ...r, medianNs: Number(r.medianNs) }));
  }

  /**
   * The newest runs of builder variants on the device with the predictor's runtime and optimization
   * level, finished after it was trained (oldest first, at most `limit`): the runs the predictor
   * never saw, which show where the device's speed is now. Disturbed runs stay in: the level is a
   * median over them.
   */
  async runsSince(key: PredictorKey, since: string, limit: number): Promise<Array<{ runId: string; spec: VariantSpec; medianNs: number }>> {
    const rows: Array<{ runId: string; spec: VariantSpec; medianNs: string }> = await this.ds.query(
      `SELECT "runId", spec, "medianNs" FROM (
         SELECT r.id AS "runId", m.spec, r.median_ns AS "medianNs", r.finished_at
           FROM runs r JOIN models m ON m.sha256 = r.model_sha256
          WHERE r.device_id = $1 AND r.environment->>'runtimeVersion' = $2 AND ${OPTIMIZATION} = $3 AND r.finished_at > $4::timestamptz
            AND m.spec IS NOT NULL AND r.median_ns > 0
          ORDER BY r.finished_at DESC LIMIT $5) x
        ORDER BY finished_at`,
      [key.deviceId, key.runtime, key.optimization, since, limit],
    );
    return rows.map((r) => ({ runId: r.runId, spec: r.spec, medianNs: Number(r.medianNs) }));
  }

  async kernels(runIds: readonly string[]): Promise<TrainingKernel[]> {
    const rows: Array<Omit<TrainingKernel, 'medianNs'> & { medianNs: number }> = await this.ds.query(
      `SELECT run_id AS "runId", node_name AS "nodeName", op_type AS "opType", layer,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ns) AS "medianNs"
         FROM layer_timings WHERE run_id = ANY($1::uuid[])
        GROUP BY run_id, node_name, op_type, layer`,
      [runIds],
    );
    return rows.map((r) => ({ ...r, medianNs: Number(r.medianNs) }));
  }

  /** Stores the next version for its device, runtime and optimization level. */
  async create(p: NewPredictor): Promise<PredictorSummary> {
    return this.ds.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('predictors:' || $1 || ':' || $2 || ':' || $3))`, [p.deviceId, p.runtime, p.optimization]);
      const [{ id }] = await tx.query(
        `INSERT INTO predictors (device_id, runtime, optimization, version, training, validation, held_out, model)
         SELECT $1, $2, $3, coalesce(max(version), 0) + 1, $4, $5, $6, $7
           FROM predictors WHERE device_id = $1 AND runtime = $2 AND optimization = $3
         RETURNING id`,
        [p.deviceId, p.runtime, p.optimization, p.training, p.validation, JSON.stringify(p.heldOut), p.model],
      );
      const [row] = await tx.query(`SELECT ${SUMMARY} FROM predictors p JOIN devices d ON d.id = p.device_id WHERE p.id = $1`, [id]);
      return row;
    });
  }

  async list(deviceId: string | null): Promise<PredictorSummary[]> {
    return this.ds.query(
      `SELECT ${SUMMARY} FROM predictors p JOIN devices d ON d.id = p.device_id
        WHERE ($1::uuid IS NULL OR p.device_id = $1) ORDER BY d.name, p.runtime, p.optimization, p.version DESC`,
      [deviceId],
    );
  }

  /**
   * The latest predictor of each device (of the given ones; all when null; of this model format when
   * given), or of each device and format (`perFormat`: a device running ONNX and TFLite has one of each).
   */
  async latest(deviceIds: readonly string[] | null, format: string | null = null, perFormat = false): Promise<PredictorSummary[]> {
    const key = perFormat ? `p.device_id, ${FORMAT}` : 'p.device_id';
    return this.ds.query(
      `SELECT DISTINCT ON (${key}) ${SUMMARY} FROM predictors p JOIN devices d ON d.id = p.device_id
        WHERE ($1::uuid[] IS NULL OR p.device_id = ANY($1::uuid[])) AND ($2::text IS NULL OR ${FORMAT} = $2)
        ORDER BY ${key}, p.created_at DESC, p.version DESC`,
      [deviceIds, format],
    );
  }

  async model(id: string): Promise<Record<string, unknown>> {
    const [row] = await this.ds.query(`SELECT model FROM predictors WHERE id = $1`, [id]);
    return row.model;
  }

  /** What a `measure` study stored about its ranking (null when it has none; undefined when there is no such study). */
  async studyPredictions(studyId: string): Promise<{ name: string; predicted: Record<string, unknown> | null } | undefined> {
    const [row] = await this.ds.query(`SELECT name, spec->'predicted' AS predicted FROM studies WHERE id = $1`, [studyId]);
    return row;
  }

  /** Per variant label of a study: the median of its runs' medians, flagged runs included and counted. */
  async studyMeasured(studyId: string): Promise<Array<{ label: string; medianNs: number; runs: number; flaggedRuns: number }>> {
    const rows: Array<{ label: string; medianNs: number; runs: number; flaggedRuns: number }> = await this.ds.query(
      `SELECT v.label, percentile_cont(0.5) WITHIN GROUP (ORDER BY r.median_ns) AS "medianNs", count(*)::int AS runs, sum(r.flagged::int)::int AS "flaggedRuns"
         FROM runs r JOIN variants v ON v.id = r.variant_id WHERE r.study_id = $1 GROUP BY v.label`,
      [studyId],
    );
    return rows.map((r) => ({ ...r, medianNs: Number(r.medianNs) }));
  }

  /** The latest top-1 stored for each of these model names (a user's entry over a published one): the accuracy a predicted reward uses when none is given. */
  async top1ByModelName(names: readonly string[]): Promise<Map<string, number>> {
    const rows: Array<{ name: string; top1: number }> = await this.ds.query(
      `SELECT DISTINCT ON (model_name) model_name AS name, top1 FROM accuracies WHERE model_name = ANY($1::text[])
        ORDER BY model_name, published, created_at DESC, id`,
      [names],
    );
    return new Map(rows.map((r) => [r.name, Number(r.top1)]));
  }
}
