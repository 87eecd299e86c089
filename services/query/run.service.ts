import { Injectable } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';
import {
  blockOfLayer,
  breakdownBy,
  byLayer,
  byOpType,
  nsToMs,
  SESSION_OVERHEAD,
  UNATTRIBUTED as MEASURE_UNATTRIBUTED,
  type AttemptResources,
  type NodeTiming,
  type TimingGroup,
} from '../lib/measure/index.js';
import { toCsv } from './csv.util.js';
import { DeviceRepository } from './device.repository.js';
import type { Page } from './pagination.dto.js';
import type { RunListQuery } from './run.dto.js';
import { RunRepository, type RunLatency, type RunRecord, type RunSummary, type StoredNodeTiming } from './run.repository.js';
import { readStoredAttempts, readStoredResources, type RunAttempt } from './stored-attempts.util.js';
import { readStoredAttribution } from './stored-attribution.util.js';

/** One stored run: where and when it ran, its round, its statistics, its quality flags and attempts, and the agent's whole report. */
export interface RunDetail extends Omit<RunRecord, 'report'> {
  /** from report.attempts, the kept attempt last */
  attempts: RunAttempt[];
  /** the kept attempt's model load times and the runner process's peak memory (report.resources); null where the runner did not measure them */
  resources: AttemptResources | null;
  report: Record<string, unknown>;
}

/** A run's timed latencies (profiling off) in iteration order. */
export interface RunLatencies {
  runId: string;
  latencies: RunLatency[];
}

export function runLatenciesCsv(l: RunLatencies): string {
  return toCsv(
    ['iteration', 'latency_ns'],
    l.latencies.map((x) => [x.iteration, x.latencyNs]),
  );
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
  /** Median of the executor's time between kernels spent on the layer's nodes; null when the run's rows have no overhead (older agents). */
  overheadMs: number | null;
  /** Median of kernel + overhead; null when the run's rows have no overhead. */
  totalMs: number | null;
  /** Share of the summed totals, the `(session)` bucket included when the report has it; null when the run's rows have no overhead. */
  totalShare: number | null;
  madds: number | null;
  runtimeNodes: string[];
  runtimeOps: string[];
}

/** One row of the per-block or per-op-type table (from the stored rows), or the session bucket. */
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
  /** Sum of per-layer kernel + overhead medians, `(session)` included when the report has it; null when the rows have no overhead. */
  layerSumWithOverheadMs: number | null;
  /** Layer sums over the end-to-end medians: kernel time only, and with each layer's overhead and the session bucket (null where a figure is missing). */
  ratios: { kernel: LayerSumRatios; withOverhead: LayerSumRatios };
  /** The run's time outside every node (feeds, executor set-up, fetches): neither a layer nor unattributed; null when the report has none. */
  session: AttributedGroupRow | null;
  layers: LayerRow[];
  /** Per block and per runtime op type from the stored rows, session bucket excluded; null when the rows have no overhead (older agents). */
  blocks: AttributedGroupRow[] | null;
  opTypes: AttributedGroupRow[] | null;
}

export const UNATTRIBUTED = '(unattributed)';
const ms = (ns: number) => nsToMs(ns, 6);
const share = (x: number) => Math.round(x * 1e4) / 1e4;
const ratio = (x: number | null) => (x === null ? null : Math.round(x * 1e3) / 1e3);
const label = (key: string) => (key === MEASURE_UNATTRIBUTED ? UNATTRIBUTED : key);

function groupRow(g: TimingGroup): AttributedGroupRow {
  return {
    key: label(g.key),
    kernelMs: ms(g.medianNs),
    overheadMs: ms(g.overheadMedianNs),
    totalMs: ms(g.totalMedianNs),
    share: share(g.share),
    totalShare: share(g.totalShare),
    nodes: g.nodes,
  };
}

const byKernelDesc = (a: TimingGroup, b: TimingGroup) => b.medianNs - a.medianNs || a.key.localeCompare(b.key);

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
    return { ...rest, attempts: readStoredAttempts(report), resources: readStoredResources(report['resources']), report };
  }

  async latencies(runId: string): Promise<RunLatencies> {
    const [exists, latencies] = await Promise.all([this.runs.exists(runId), this.runs.latencies(runId)]);
    if (!exists) throw LatfleetError.notFound('run', runId);
    return { runId, latencies };
  }

  /**
   * Where one run's time went, from its stored node rows: per layer, block and runtime op type, the
   * median over profiled iterations of the summed kernel time and of kernel + executor overhead
   * (`breakdownBy`, the percentile of services/lib/measure). The session bucket (time outside every
   * node) and the runtime's own run time are run-level figures the agent reports.
   */
  async layers(runId: string): Promise<RunLayers> {
    const run = await this.runs.find(runId);
    if (!run) throw LatfleetError.notFound('run', runId);
    const rows = await this.runs.nodeTimings(runId);
    const stored = readStoredAttribution(run.attribution);
    const meta = new Map(run.layers.map((l, i) => [l.name, { ...l, order: i }]));
    // rows stored before agents measured executor overhead have none: kernel figures only
    const withOverhead = rows.length > 0 && rows.every((r) => r.overheadNs !== null);
    const timings: NodeTiming[] = rows.map((r) => ({ ...r, provider: '', overheadNs: r.overheadNs ?? 0 }));
    const sessionNs = stored.byLayer?.find((g) => g.key === SESSION_OVERHEAD)?.overheadMedianNs ?? null;
    const options = withOverhead && sessionNs !== null ? { sessionOverheadNs: sessionPerIteration(rows, sessionNs) } : {};
    const perLayer = breakdownBy(timings, byLayer, options);
    const orderOf = (layer: string) => meta.get(layer)?.order ?? (layer === MEASURE_UNATTRIBUTED ? Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER - 1);
    const names = namesByLayer(rows);
    const layers = perLayer.groups
      .filter((g) => g.key !== SESSION_OVERHEAD)
      .sort((a, b) => orderOf(a.key) - orderOf(b.key))
      .map((g): LayerRow => {
        const info = meta.get(g.key);
        return {
          layer: label(g.key),
          block: info?.block ?? null,
          role: info?.role ?? null,
          op: info?.op ?? null,
          medianMs: ms(g.medianNs),
          share: share(g.share),
          overheadMs: withOverhead ? ms(g.overheadMedianNs) : null,
          totalMs: withOverhead ? ms(g.totalMedianNs) : null,
          totalShare: withOverhead ? share(g.totalShare) : null,
          madds: info?.madds ?? null,
          runtimeNodes: names.get(g.key)?.nodes ?? [],
          runtimeOps: names.get(g.key)?.ops ?? [],
        };
      });
    const blockOf = (t: NodeTiming) => (t.layer ? (meta.get(t.layer)?.block ?? blockOfLayer(t.layer)) : MEASURE_UNATTRIBUTED);
    const blockOrder = (key: string) =>
      Math.min(
        ...run.layers.map((l, i) => (l.block === key ? i : Number.MAX_SAFE_INTEGER - 1)),
        key === MEASURE_UNATTRIBUTED ? Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER - 1,
      );
    const table = (groups: TimingGroup[]) => (withOverhead ? groups.filter((g) => g.key !== SESSION_OVERHEAD).map(groupRow) : null);
    const kernelSum = perLayer.sumOfMediansNs;
    const totalSum = withOverhead ? perLayer.totalSumOfMediansNs : null;
    const over = (x: number | null, y: number | null) => (x === null || !y ? null : ratio(x / y));
    const session = withOverhead ? (perLayer.groups.find((g) => g.key === SESSION_OVERHEAD) ?? null) : null;
    return {
      runId,
      variant: run.variantLabel,
      device: run.deviceName,
      medianMs: ms(run.medianNs),
      profiledMedianMs: ms(run.profiledMedianNs),
      profilingOverheadPct: run.medianNs ? Math.round(((run.profiledMedianNs - run.medianNs) / run.medianNs) * 1e4) / 1e2 : null,
      layerSumMs: ms(kernelSum),
      layerSumRatio: over(kernelSum, run.profiledMedianNs),
      attributionSource: stored.source,
      modelRunMedianMs: stored.profileRunMedianNs === null ? null : ms(stored.profileRunMedianNs),
      layerSumWithOverheadMs: totalSum === null ? null : ms(totalSum),
      ratios: {
        kernel: {
          toProfiledMedian: over(kernelSum, run.profiledMedianNs),
          toModelRunMedian: over(kernelSum, stored.profileRunMedianNs),
          toTimedMedian: over(kernelSum, run.medianNs),
        },
        withOverhead: {
          toProfiledMedian: over(totalSum, run.profiledMedianNs),
          toModelRunMedian: over(totalSum, stored.profileRunMedianNs),
          toTimedMedian: over(totalSum, run.medianNs),
        },
      },
      session: session ? groupRow(session) : null,
      layers,
      blocks: table(breakdownBy(timings, blockOf, options).groups.sort((a, b) => blockOrder(a.key) - blockOrder(b.key))),
      opTypes: table(breakdownBy(timings, byOpType, options).groups.sort(byKernelDesc)),
    };
  }
}

/** The agent's median session time, for every profiled iteration (by iteration number, as `breakdownBy` reads it). */
function sessionPerIteration(rows: readonly StoredNodeTiming[], sessionNs: number): number[] {
  const last = rows.reduce((m, r) => Math.max(m, r.iteration), 0);
  return new Array<number>(last + 1).fill(sessionNs);
}

/** Per layer: its runtime nodes and op types, sorted. */
function namesByLayer(rows: readonly StoredNodeTiming[]): Map<string, { nodes: string[]; ops: string[] }> {
  const sets = new Map<string, { nodes: Set<string>; ops: Set<string> }>();
  for (const r of rows) {
    const s = sets.get(r.layer) ?? { nodes: new Set<string>(), ops: new Set<string>() };
    s.nodes.add(r.nodeName);
    s.ops.add(r.opType);
    sets.set(r.layer, s);
  }
  return new Map([...sets].map(([k, s]) => [k, { nodes: [...s.nodes].sort(), ops: [...s.ops].sort() }]));
}
