import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';
import { median, roundMs, type Reproducibility, type ReplicatedLatency } from '../lib/measure/index.js';
import { AccuracyRepository } from './accuracy.repository.js';
import { ComparisonRepository, type LatencyCell, type RunResources, type StudyVariant } from './comparison.repository.js';
import { DeviceRepository, type DeviceRef } from './device.repository.js';
import {
  CONFIDENCE_LEVEL,
  latencyOf,
  latencySummary,
  NO_DELTA,
  NOISE_TEST,
  noCleanReplicate,
  pairedValues,
  replicatedDelta,
  selectReplicates,
  undecidedDelta,
  type LatencySummary,
  type ReplicatedDelta,
  type RunReplicate,
} from './latency-statistics.js';
import { LruCache } from './lru-cache.util.js';
import { StudyRepository } from './study.repository.js';

export type { Verdict } from '../lib/measure/index.js';

/**
 * One variant on one device: its latency from its replicates (runs) and, vs the baseline on the
 * same device, the difference from the runs' medians paired by round. The deltas are null where
 * the baseline has no result on the device yet; the verdict is 'undecided' (with its reason) when
 * the rounds are too few or a side has no clean replicate.
 */
export interface ComparisonRow extends LatencySummary, ReplicatedDelta {
  variant: string;
  variantId: string;
  baseline: boolean;
  /** canonical name of the variant's model */
  model: string;
  device: string;
  deviceId: string;
  madds: number;
  params: number;
  /** ImageNet top-1 (%) from the accuracy registry, when known */
  top1: number | null;
  top1Source: string | null;
  /** the runs the figures come from */
  runIds: string[];
  /** the cell's flagged runs (also in runIds with include=flagged) */
  flaggedRunIds: string[];
  /** model load and peak memory: medians over the used runs that recorded them (resourcesOf); null when none did */
  resources: { loadFirstMs: number; loadWarmMs: number; peakResidentBytes: number; runs: number } | null;
}

export interface Comparison {
  studyId: string;
  study: string;
  status: string;
  baseline: string;
  confidenceLevel: number;
  /** how `verdict` is decided */
  noiseTest: string;
  /** flagged runs are in the figures (include=flagged); by default they are left out and only counted */
  includeFlagged: boolean;
  devices: DeviceRef[];
  /** every variant of the study, measured or not, in the study's order */
  variants: Array<{ id: string; label: string; baseline: boolean; model: string; madds: number; params: number; top1: number | null; top1Source: string | null }>;
  rows: ComparisonRow[];
  /** per device: the between-study component every paired interval on it carries, and where it comes from */
  reproducibility: Array<Reproducibility & { deviceId: string; device: string }>;
}

export interface CompareOptions {
  includeFlagged?: boolean;
}

/** Cached latencies of this many distinct sets of runs (a run never changes once stored). */
const CACHED_CELLS = 2_000;

@Injectable()
export class ComparisonService implements OnApplicationBootstrap {
  private readonly latencies = new LruCache<string, ReplicatedLatency | null>(CACHED_CELLS);

  constructor(
    private readonly studies: StudyRepository,
    private readonly comparisons: ComparisonRepository,
    private readonly devices: DeviceRepository,
    private readonly accuracies: AccuracyRepository,
  ) {}

  /** Runs the statistics once on made-up runs, so that the first real request does not pay for compiling them. */
  onApplicationBootstrap(): void {
    const run = (k: number, round: number) => ({ round, sortedNs: Array.from({ length: 101 }, (_, i) => 1e6 * k + i * (1 + round)) });
    const base = [0, 1, 2].map((r) => run(1, r));
    latencyOf(base);
    replicatedDelta({ base: pairedValues(base), cand: pairedValues([0, 1, 2].map((r) => run(2, r))) });
  }

  /** Per variant and device: median with its CI, p90, and the difference to the baseline with its verdict. */
  async compare(studyId: string, deviceRefs?: readonly string[], opts: CompareOptions = {}): Promise<Comparison> {
    const study = await this.studies.header(studyId);
    if (!study) throw LatfleetError.notFound('study', studyId);
    const includeFlagged = opts.includeFlagged ?? false;
    const only = deviceRefs?.length ? await this.devices.resolve(deviceRefs) : undefined;
    const [variants, cells] = await Promise.all([
      this.comparisons.variants(studyId),
      this.comparisons.cells(
        studyId,
        only?.map((d) => d.id),
      ),
    ]);
    const accuracy = await this.accuracies.forVariants(variants.map((v) => v.id));
    const byId = new Map(variants.map((v) => [v.id, v]));
    const baselineCells = new Map(cells.filter((c) => byId.get(c.variantId)?.isBaseline).map((c) => [c.deviceId, c]));
    const seen = new Map(cells.map((c) => [c.deviceId, { id: c.deviceId, name: c.deviceName, deviceClass: c.deviceClass }]));
    const reproducibility = await this.devices.reproducibility([...seen.keys()], study.betweenStudyPct, study.betweenStudyRelativePct);
    const rows = cells
      .map((c) => this.toRow(c, byId.get(c.variantId)!, baselineCells.get(c.deviceId), accuracy.get(c.variantId), includeFlagged, reproducibility.get(c.deviceId)!))
      .sort((a, b) => a.device.localeCompare(b.device) || byId.get(a.variantId)!.position - byId.get(b.variantId)!.position);
    return {
      studyId,
      study: study.name,
      status: study.status,
      baseline: study.baselineLabel,
      confidenceLevel: CONFIDENCE_LEVEL,
      noiseTest: NOISE_TEST,
      includeFlagged,
      devices: only ?? [...seen.values()].sort((a, b) => a.name.localeCompare(b.name)),
      variants: variants.map((v) => ({
        id: v.id,
        label: v.label,
        baseline: v.isBaseline,
        model: v.modelName,
        madds: v.madds,
        params: v.params,
        top1: accuracy.get(v.id)?.top1 ?? null,
        top1Source: accuracy.get(v.id)?.source ?? null,
      })),
      rows,
      reproducibility: [...seen.values()].map((d) => ({ deviceId: d.id, device: d.name, ...reproducibility.get(d.id)! })),
    };
  }

  /** Stored runs never change: the ids of the runs used identify a latency. */
  private latency(used: readonly RunReplicate[]): ReplicatedLatency | null {
    return this.latencies.getOrCompute(used.map((r) => r.id).join(','), () => latencyOf(used));
  }

  private toRow(
    c: LatencyCell,
    v: StudyVariant,
    base: LatencyCell | undefined,
    acc: { top1: number; source: string } | undefined,
    includeFlagged: boolean,
    between: Reproducibility,
  ): ComparisonRow {
    const sel = selectReplicates(c.runs, includeFlagged);
    const latency = this.latency(sel.used);
    const row: ComparisonRow = {
      variant: v.label,
      variantId: v.id,
      baseline: v.isBaseline,
      model: v.modelName,
      device: c.deviceName,
      deviceId: c.deviceId,
      ...latencySummary(latency, sel),
      ...NO_DELTA,
      madds: v.madds,
      params: v.params,
      top1: acc?.top1 ?? null,
      top1Source: acc?.source ?? null,
      runIds: sel.used.map((r) => r.id),
      flaggedRunIds: sel.flagged.map((r) => r.id),
      resources: resourcesOf(sel.used),
    };
    if (!base) return row;
    if (v.isBaseline) return latency ? { ...row, deltaMs: 0, deltaPct: 0 } : row;
    if (!latency) return { ...row, ...undecidedDelta(noCleanReplicate(sel.flagged)) };
    const baseSel = selectReplicates(base.runs, includeFlagged);
    if (baseSel.used.length === 0) return { ...row, ...undecidedDelta(`baseline: ${noCleanReplicate(baseSel.flagged)}`) };
    return { ...row, ...replicatedDelta({ base: pairedValues(baseSel.used), cand: pairedValues(sel.used) }, between.betweenStudyPct / 100, between.relativePct / 100) };
  }
}

/** Medians of the load times and peak memory over the runs that recorded them; null when none did. */
export function resourcesOf(runs: ReadonlyArray<{ resources: RunResources | null }>): ComparisonRow['resources'] {
  const recorded = runs.flatMap((r) => (r.resources ? [r.resources] : []));
  if (recorded.length === 0) return null;
  const med = (pick: (r: RunResources) => number) => median(recorded.map(pick));
  return {
    loadFirstMs: roundMs(med((r) => r.loadFirstMs)),
    loadWarmMs: roundMs(med((r) => r.loadWarmMs)),
    peakResidentBytes: Math.round(med((r) => r.peakResidentBytes)),
    runs: recorded.length,
  };
}
