import { createHash, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { describeVariant, type LayerInfo } from '../../services/lib/models/index.js';
import { insertJob, insertModelRow, insertStudyRow, insertVariant } from './fleet-rows.factory.js';

/**
 * Small factories for stored results (devices, models, studies, runs with their raw latencies and
 * per-node timings) written with plain SQL, the way control and query store them: for specs of the
 * query side that need results without running a fleet.
 */

export interface SeededModel {
  sha256: string;
  name: string;
  madds: number;
  params: number;
  layers: LayerInfo[];
}

export { insertDevice } from './fleet-rows.factory.js';

/** A model row with the builder's real layer metadata (no weights: the bytes are a placeholder). */
export async function insertModel(ds: DataSource, variant: string, salt = ''): Promise<SeededModel> {
  const d = describeVariant(variant);
  const sha256 = createHash('sha256')
    .update(d.name + salt)
    .digest('hex');
  await insertModelRow(ds, {
    sha256,
    name: d.name,
    family: d.family,
    spec: d.spec,
    resolution: d.resolution,
    inputShape: d.inputShape,
    madds: d.madds,
    params: d.params,
    layers: d.layers,
  });
  return { sha256, name: d.name, madds: d.madds, params: d.params, layers: d.layers };
}

export async function insertStudy(
  ds: DataSource,
  o: { name?: string; baseline: string; variants: Array<{ label: string; model: SeededModel }>; status?: string },
): Promise<{ id: string; variantIds: Record<string, string> }> {
  const id = await insertStudyRow(ds, { name: o.name ?? `study-${randomUUID().slice(0, 8)}`, baselineLabel: o.baseline, status: o.status ?? 'completed' });
  const variantIds: Record<string, string> = {};
  for (const [position, v] of o.variants.entries())
    variantIds[v.label] = await insertVariant(ds, { studyId: id, label: v.label, modelSha256: v.model.sha256, baseline: v.label === o.baseline, position });
  return { id, variantIds };
}

export interface NodeTimingRow {
  iteration: number;
  nodeName: string;
  opType: string;
  layer: string;
  durationNs: number;
}

export async function insertRun(
  ds: DataSource,
  o: {
    studyId: string;
    variantId: string;
    deviceId: string;
    model: SeededModel;
    latenciesNs: number[];
    timings?: NodeTimingRow[];
    environment?: Record<string, unknown>;
    createdAt?: Date;
    graphOptimizationLevel?: string;
    /** the round of its job; null (the default): a run stored before rounds existed */
    round?: number | null;
    /** store it flagged with these quality flags (report.quality.flags), kept after two attempts that both carried them */
    flags?: string[];
  },
): Promise<string> {
  const sorted = [...o.latenciesNs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const round = o.round ?? null;
  const jobId = await insertJob(ds, { studyId: o.studyId, variantId: o.variantId, state: 'completed', attempt: 1, deviceId: o.deviceId, round: round ?? 0 });
  const protocol = { warmupRuns: 1, timedRuns: o.latenciesNs.length, profiledRuns: 1, graphOptimizationLevel: o.graphOptimizationLevel ?? 'all' };
  const at = o.createdAt ?? new Date();
  const attempt = (n: number) => ({
    attempt: n,
    startedAt: new Date(at.getTime() - (2 - n) * 10_000).toISOString(),
    finishedAt: new Date(at.getTime() - (1 - n) * 10_000).toISOString(),
    quality: { flags: o.flags },
  });
  const report = o.flags ? { flagged: true, quality: { flags: o.flags }, attempts: [attempt(0), attempt(1)] } : {};
  const [run] = await ds.query(
    `INSERT INTO runs (job_id, attempt, study_id, variant_id, device_id, model_sha256, started_at, finished_at, protocol, environment,
                       timed_runs, median_ns, p90_ns, min_ns, mean_ns, profiled_median_ns, latency_rows, layer_rows, created_at, round, flagged, report)
     VALUES ($1, 1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13, $10, $9, $14, $6, $15, $16, $17) RETURNING id`,
    [
      jobId,
      o.studyId,
      o.variantId,
      o.deviceId,
      o.model.sha256,
      at,
      JSON.stringify(protocol),
      JSON.stringify(o.environment ?? { runtimeVersion: '1.30.0', agentVersion: '0.1.0' }),
      o.latenciesNs.length,
      Math.round(median),
      Math.round(sorted[Math.floor(sorted.length * 0.9)] ?? median),
      Math.round(sorted[0]!),
      sorted.reduce((a, b) => a + b, 0) / sorted.length,
      o.timings?.length ?? 0,
      round,
      o.flags !== undefined,
      JSON.stringify(report),
    ],
  );
  await ds.query(`INSERT INTO run_latencies (run_id, iteration, latency_ns) SELECT $1, i - 1, v FROM unnest($2::bigint[]) WITH ORDINALITY AS t(v, i)`, [
    run.id,
    o.latenciesNs.map(Math.round),
  ]);
  if (o.timings?.length) {
    await ds.query(
      `INSERT INTO layer_timings (run_id, iteration, node_name, op_type, layer, duration_ns, provider)
       SELECT $1, it, node, op, layer, ns, 'CPUExecutionProvider' FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[]) AS t(it, node, op, layer, ns)`,
      [
        run.id,
        o.timings.map((t) => t.iteration),
        o.timings.map((t) => t.nodeName),
        o.timings.map((t) => t.opType),
        o.timings.map((t) => t.layer),
        o.timings.map((t) => Math.round(t.durationNs)),
      ],
    );
  }
  return run.id;
}

/** Latencies around a center with a deterministic spread (±spread, evenly), n values. */
export function latencies(centerNs: number, n = 60, spread = 0.02): number[] {
  return Array.from({ length: n }, (_, i) => Math.round(centerNs * (1 + spread * (((i * 37) % n) / (n - 1) - 0.5) * 2)));
}

const OP_TYPE: Record<string, string> = { conv: 'Conv', dwconv: 'Conv', se: 'Mul', add: 'Add', pool: 'GlobalAveragePool', fc: 'Gemm' };

/** One node per builder layer in each iteration, taking `nsOf(layer)` nanoseconds. */
export function layerTimings(layers: readonly LayerInfo[], iterations: number, nsOf: (l: LayerInfo, iteration: number) => number): NodeTimingRow[] {
  return Array.from({ length: iterations }, (_, iteration) =>
    layers.map((l) => ({ iteration, nodeName: `${l.name}.node`, opType: OP_TYPE[l.op] ?? 'Conv', layer: l.name, durationNs: nsOf(l, iteration) })),
  ).flat();
}
