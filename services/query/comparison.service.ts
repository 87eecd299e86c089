import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';
import { AccuracyRepository } from './accuracy.repository.js';
import { ComparisonRepository, type LatencyCell, type StudyVariant } from './comparison.repository.js';
import { DeviceRepository, type DeviceRef } from './device.repository.js';
import { compareSamples, sampleStats, type SampleComparison, type SampleStats } from './latency-statistics.js';
import { LruCache } from './lru-cache.util.js';
import { StudyRepository } from './study.repository.js';

export type Verdict = 'faster' | 'slower' | 'within noise';

export interface ComparisonRow {
  variant: string;
  variantId: string;
  baseline: boolean;
  /** canonical name of the variant's model */
  model: string;
  device: string;
  deviceId: string;
  medianMs: number;
  p90Ms: number;
  /** bootstrap confidence interval of the median */
  ciLowMs: number;
  ciHighMs: number;
  samples: number;
  /** vs the baseline variant on the same device; null when the baseline has no result there yet. */
  deltaMs: number | null;
  deltaPct: number | null;
  /** bootstrap confidence interval of the median difference; null for the baseline itself */
  deltaCiLowMs: number | null;
  deltaCiHighMs: number | null;
  /** two-sided Mann–Whitney U p-value vs the baseline */
  pValue: number | null;
  /** whether the difference exceeds the noise: both the interval excludes 0 and p < 1 − level */
  significant: boolean | null;
  verdict: Verdict | null;
  madds: number;
  params: number;
  /** ImageNet top-1 (%) from the accuracy registry, when known */
  top1: number | null;
  top1Source: string | null;
  runIds: string[];
}

export interface Comparison {
  studyId: string;
  study: string;
  status: string;
  baseline: string;
  confidenceLevel: number;
  /** how `significant` is decided */
  noiseTest: string;
  devices: DeviceRef[];
  /** every variant of the study, measured or not, in the study's order */
  variants: Array<{ id: string; label: string; baseline: boolean; model: string; madds: number; params: number; top1: number | null; top1Source: string | null }>;
  rows: ComparisonRow[];
}

export const CONFIDENCE_LEVEL = 0.95;
const NOISE_TEST = 'bootstrap 95% CI of the median difference excludes 0 and two-sided Mann–Whitney U p < 0.05';

const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;
const pct = (x: number) => Math.round(x * 1e4) / 1e2;

/** Cached statistics of this many distinct cells and pairs (a cell's runs never change once stored). */
const CACHED_CELLS = 2_000;
const CACHED_PAIRS = 20_000;

@Injectable()
export class ComparisonService implements OnApplicationBootstrap {
  private readonly cellStats = new LruCache<string, SampleStats>(CACHED_CELLS);
  private readonly pairStats = new LruCache<string, SampleComparison>(CACHED_PAIRS);

  constructor(
    private readonly studies: StudyRepository,
    private readonly comparisons: ComparisonRepository,
    private readonly devices: DeviceRepository,
    private readonly accuracies: AccuracyRepository,
  ) {}

  /** Runs the statistics once on made-up samples, so that the first real request does not pay for compiling them. */
  onApplicationBootstrap(): void {
    const sample = (k: number) => Array.from({ length: 101 }, (_, i) => 1e6 * k + i);
    for (let k = 1; k <= 20; k++) compareSamples(sampleStats(sample(k), `warm-up-a${k}`, CONFIDENCE_LEVEL), sampleStats(sample(k + 1), `warm-up-b${k}`, CONFIDENCE_LEVEL), CONFIDENCE_LEVEL);
  }

  /** Per variant and device: median with its CI, p90, and the difference to the baseline with a noise test. */
  async compare(studyId: string, deviceRefs?: readonly string[]): Promise<Comparison> {
    const study = await this.studies.header(studyId);
    if (!study) throw LatfleetError.notFound('study', studyId);
    const only = deviceRefs?.length ? await this.devices.resolve(deviceRefs) : undefined;
    const [variants, cells] = await Promise.all([this.comparisons.variants(studyId), this.comparisons.cells(studyId, only?.map((d) => d.id))]);
    const accuracy = await this.accuracies.forVariants(variants.map((v) => v.id));
    const byId = new Map(variants.map((v) => [v.id, v]));
    const baselineCells = new Map(cells.filter((c) => byId.get(c.variantId)?.isBaseline).map((c) => [c.deviceId, c]));
    const rows = cells
      .map((c) => this.toRow(c, byId.get(c.variantId)!, baselineCells.get(c.deviceId), accuracy.get(c.variantId)))
      .sort((a, b) => a.device.localeCompare(b.device) || byId.get(a.variantId)!.position - byId.get(b.variantId)!.position);
    const seen = new Map(cells.map((c) => [c.deviceId, { id: c.deviceId, name: c.deviceName, deviceClass: c.deviceClass }]));
    return {
      studyId,
      study: study.name,
      status: study.status,
      baseline: study.baselineLabel,
      confidenceLevel: CONFIDENCE_LEVEL,
      noiseTest: NOISE_TEST,
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
    };
  }

  /** A cell's samples are those of its runs, and runs are immutable: its run ids identify its statistics. */
  private stats(c: LatencyCell): SampleStats {
    const identity = c.runIds.join(',');
    return this.cellStats.getOrCompute(identity, () => sampleStats(c.samplesNs, identity, CONFIDENCE_LEVEL));
  }

  private toRow(c: LatencyCell, v: StudyVariant, base: LatencyCell | undefined, acc: { top1: number; source: string } | undefined): ComparisonRow {
    const stats = this.stats(c);
    const row: ComparisonRow = {
      variant: v.label,
      variantId: v.id,
      baseline: v.isBaseline,
      model: v.modelName,
      device: c.deviceName,
      deviceId: c.deviceId,
      medianMs: ms(stats.median),
      p90Ms: ms(stats.p90),
      ciLowMs: ms(stats.ci.low),
      ciHighMs: ms(stats.ci.high),
      samples: c.samplesNs.length,
      deltaMs: null,
      deltaPct: null,
      deltaCiLowMs: null,
      deltaCiHighMs: null,
      pValue: null,
      significant: null,
      verdict: null,
      madds: v.madds,
      params: v.params,
      top1: acc?.top1 ?? null,
      top1Source: acc?.source ?? null,
      runIds: c.runIds,
    };
    if (!base) return row;
    const baseStats = this.stats(base);
    row.deltaMs = ms(stats.median - baseStats.median);
    row.deltaPct = pct((stats.median - baseStats.median) / baseStats.median);
    if (v.isBaseline) return row;
    const cmp = this.pairStats.getOrCompute(`${base.runIds.join(',')}|${c.runIds.join(',')}`, () => compareSamples(baseStats, stats, CONFIDENCE_LEVEL));
    return {
      ...row,
      deltaCiLowMs: ms(cmp.differenceCi.low),
      deltaCiHighMs: ms(cmp.differenceCi.high),
      pValue: cmp.pValue,
      significant: cmp.significant,
      verdict: cmp.verdict,
    };
  }
}
