import { Injectable } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';
import { SESSION_OVERHEAD, UNATTRIBUTED as MEASURE_UNATTRIBUTED, type AttributedGroup } from '../lib/measure/index.js';
import { toCsv } from './csv.util.js';
import { DeviceRepository } from './device.repository.js';
import type { Page } from './pagination.dto.js';
import type { RunListQuery } from './run.dto.js';
import { RunRepository, type RunLatency, type RunRecord, type RunSummary } from './run.repository.js';
import { readStoredAttempts, type RunAttempt } from './stored-attempts.util.js';
import { readStoredAttribution } from './stored-attribution.util.js';

/** One stored run: where and when it ran, its round, its statistics, its quality flags and attempts, and the agent's whole report. */
export interface RunDetail extends Omit<RunRecord, 'report'> {
  /** from report.attempts, the kept attempt last */
  attempts: RunAttempt[];
  report: Record<string, unknown>;
}

/** A run's timed latencies (profiling off) in iteration order. */
export interface RunLatencies {
  runId: string;
  latencies: RunLatency[];
}

export function runLatenciesCsv(l: RunLatencies): string {
  return toCsv(['iteration', 'latency_ns'], l.latencies.map((x) => [x.iteration, x.latencyNs]));
}

export interface LayerRow {
  /** Logical layer name; `(unattributed)` for runtime nodes that map to no layer. */
  layer: string;
  block: string | null;
  role: string | null;
  op: string | null;
  /** Median over profiled runs of the layer's kernel time (from the stored node timings). */
  medianMs: number;
  /** Share of the summed per-layer kernel medians. */
  share: number;
  /** Median of the executor's time between kernels spent on the layer's nodes; null when the run's report has no overhead. */
  overheadMs: number | null;
  /** Median of kernel + overhead; null when the run's report has no overhead. */
  totalMs: number | null;
  /** Share of the summed totals, the `(session)` bucket included; null when the run's report has no overhead. */
  totalShare: number | null;
  madds: number | null;
  runtimeNodes: string[];
  runtimeOps: string[];
}

/** One row of the report's per-block or per-op-type table, or the session bucket. */
export interface AttributedGroupRow {
  /** block or op type; `(unattributed)` for nodes no layer claims, `(session)` for the run's time outside every node */
  key: string;
  kernelMs: number;
  overheadMs: number;
  totalMs: number;
  /** of the kernel table */
  share: number;
  /** of the kernel + overhead table, session included */
  totalShare: number;
  /** runtime nodes */
  nodes: number;
}

/** Sum of per-layer medians over an end-to-end median: 1 when the table accounts for all of it. */
export interface LayerSumRatios {
  /** the profiled runs as the caller timed them (wall time around session.run) */
  toProfiledMedian: number | null;
  /** the profiled runs as the runtime times them (`model_run` events) */
  toModelRunMedian: number | null;
  /** the timed runs (profiling off) */
  toTimedMedian: number | null;
}

export interface RunLayers {
  runId: string;
  variant: string;
  device: string;
  /** End-to-end median of the timed (unprofiled) runs. */
  medianMs: number;
  profiledMedianMs: number;
  /** Profiled vs unprofiled median: what profiling itself costs. */
  profilingOverheadPct: number | null;
  /** Sum of per-layer kernel medians. */
  layerSumMs: number;
  /** Sum of per-layer kernel medians over the profiled end-to-end median (≈1 when attribution is complete). */
  layerSumRatio: number | null;
  /** How node timings were tied to layers: the runtime's optimized-graph lineage, or node-name prefixes; null when the report does not say. */
  attributionSource: 'lineage' | 'names' | null;
  /** Median over profiled runs of the runtime's own run time (`model_run`); null when the report does not have it. */
  modelRunMedianMs: number | null;
  /** Sum of per-layer kernel + overhead medians, `(session)` included; null when the report has no overhead. */
  layerSumWithOverheadMs: number | null;
  /** The agent's ratios: kernel time only, and with each layer's overhead and the session bucket (fields null when the report lacks them). */
  ratios: { kernel: LayerSumRatios; withOverhead: LayerSumRatios };
  /** The run's time outside every node (feeds, executor set-up, fetches): neither a layer nor unattributed; null when the report has none. */
  session: AttributedGroupRow | null;
  layers: LayerRow[];
  /** Per block and per runtime op type from the report, session bucket excluded; null when the report has no such table. */
  blocks: AttributedGroupRow[] | null;
  opTypes: AttributedGroupRow[] | null;
}

export const UNATTRIBUTED = '(unattributed)';
const ms = (ns: number) => Math.round(ns) / 1e6;
const share = (x: number) => Math.round(x * 1e4) / 1e4;
const ratio = (x: number | null) => (x === null ? null : Math.round(x * 1e3) / 1e3);
const label = (key: string) => (key === MEASURE_UNATTRIBUTED ? UNATTRIBUTED : key);

function groupRow(g: AttributedGroup): AttributedGroupRow {
  return {
    key: label(g.key),
    kernelMs: ms(g.kernelMedianNs),
    overheadMs: ms(g.overheadMedianNs),
    totalMs: ms(g.totalMedianNs),
    share: share(g.share),
    totalShare: share(g.totalShare),
    nodes: g.nodes,
  };
}

const withoutSession = (table: AttributedGroup[] | null) => table?.filter((g) => g.key !== SESSION_OVERHEAD).map(groupRow) ?? null;

@Injectable()
export class RunService {
  constructor(
    private readonly runs: RunRepository,
    private readonly devices: DeviceRepository,
  ) {}

  async list(q: RunListQuery): Promise<Page<RunSummary>> {
    if (q.variant !== undefined && q.study === undefined) throw LatfleetError.validation('variant', 'needs study: labels are unique only within a study');
    const [device] = q.device === undefined ? [] : await this.devices.resolve([q.device]);
    return this.runs.list({ studyId: q.study, variantLabel: q.variant, deviceId: device?.id }, q.limit, q.offset);
  }

  async get(runId: string): Promise<RunDetail> {
    const run = await this.runs.record(runId);
    if (!run) throw LatfleetError.notFound('run', runId);
    const { report, ...rest } = run;
    return { ...rest, attempts: readStoredAttempts(report), report };
  }

  async latencies(runId: string): Promise<RunLatencies> {
    const [exists, latencies] = await Promise.all([this.runs.exists(runId), this.runs.latencies(runId)]);
    if (!exists) throw LatfleetError.notFound('run', runId);
    return { runId, latencies };
  }

  async layers(runId: string): Promise<RunLayers> {
    const run = await this.runs.find(runId);
    if (!run) throw LatfleetError.notFound('run', runId);
    const medians = await this.runs.layerMedians(runId);
    const stored = readStoredAttribution(run.attribution);
    const reported = new Map(stored.byLayer?.map((g) => [g.key, g]));
    const meta = new Map(run.layers.map((l, i) => [l.name, { ...l, order: i }]));
    const total = medians.reduce((a, m) => a + m.medianNs, 0);
    const orderOf = (layer: string) => meta.get(layer)?.order ?? (layer === MEASURE_UNATTRIBUTED ? Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER - 1);
    const layers = medians
      .map((m): LayerRow & { order: number } => {
        const info = meta.get(m.layer);
        const overhead = reported.get(m.layer);
        return {
          layer: label(m.layer),
          block: info?.block ?? null,
          role: info?.role ?? null,
          op: info?.op ?? null,
          medianMs: ms(m.medianNs),
          share: total ? share(m.medianNs / total) : 0,
          overheadMs: overhead ? ms(overhead.overheadMedianNs) : null,
          totalMs: overhead ? ms(overhead.totalMedianNs) : null,
          totalShare: overhead ? share(overhead.totalShare) : null,
          madds: info?.madds ?? null,
          runtimeNodes: m.nodes,
          runtimeOps: m.opTypes,
          order: orderOf(m.layer),
        };
      })
      .sort((a, b) => a.order - b.order)
      .map(({ order: _order, ...row }) => row);
    const session = reported.get(SESSION_OVERHEAD);
    return {
      runId,
      variant: run.variantLabel,
      device: run.deviceName,
      medianMs: ms(run.medianNs),
      profiledMedianMs: ms(run.profiledMedianNs),
      profilingOverheadPct: run.medianNs ? Math.round(((run.profiledMedianNs - run.medianNs) / run.medianNs) * 1e4) / 1e2 : null,
      layerSumMs: ms(total),
      layerSumRatio: run.profiledMedianNs ? ratio(total / run.profiledMedianNs) : null,
      attributionSource: stored.source,
      modelRunMedianMs: stored.profileRunMedianNs === null ? null : ms(stored.profileRunMedianNs),
      layerSumWithOverheadMs: stored.byLayer ? ms(stored.byLayer.reduce((a, g) => a + g.totalMedianNs, 0)) : null,
      ratios: {
        kernel: {
          toProfiledMedian: ratio(stored.layerSumToProfiledMedian),
          toModelRunMedian: ratio(stored.layerSumToProfileRunMedian),
          toTimedMedian: ratio(stored.layerSumToTimedMedian),
        },
        withOverhead: {
          toProfiledMedian: ratio(stored.layerSumWithOverheadToProfiledMedian),
          toModelRunMedian: ratio(stored.layerSumWithOverheadToProfileRunMedian),
          toTimedMedian: ratio(stored.layerSumWithOverheadToTimedMedian),
        },
      },
      session: session ? groupRow(session) : null,
      layers,
      blocks: withoutSession(stored.byBlock),
      opTypes: withoutSession(stored.byOpType),
    };
  }
}
