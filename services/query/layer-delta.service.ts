import { Injectable } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';
import { blockOfLayer } from '../lib/measure/index.js';
import type { LayerInfo } from '../lib/models/index.js';
import { CONFIDENCE_LEVEL, type Verdict } from './comparison.service.js';
import { DeviceRepository, type DeviceRef } from './device.repository.js';
import { compareSamples, sampleStats } from './latency-statistics.js';
import { LayerDeltaRepository, type IterationSum, type VariantLayers } from './layer-delta.repository.js';
import { LruCache } from './lru-cache.util.js';
import { percentileCont } from './percentile.util.js';
import { UNATTRIBUTED } from './run.service.js';
import type { LayerDeltaQuery } from './study.dto.js';
import { StudyRepository } from './study.repository.js';

export const GROUPINGS = ['block', 'op', 'role', 'runtimeOp', 'layer'] as const;
export type Grouping = (typeof GROUPINGS)[number];

export interface GroupDelta {
  /** block (`stem`, `blocks.3`, `head`), builder op (conv, dwconv, se, add, pool, fc), role, ONNX Runtime op type, or layer */
  key: string;
  baselineMs: number;
  variantMs: number;
  deltaMs: number;
  /** relative to the baseline's time in this group; null when the baseline spends nothing there */
  deltaPct: number | null;
  /** share of the sum of all groups' deltas (signed) */
  shareOfDelta: number | null;
  /** Mann–Whitney U over the profiled iterations; null where the bootstrap interval alone says within noise */
  pValue: number | null;
  verdict: Verdict;
}

export interface LayerDeltaSide {
  label: string;
  model: string;
  runIds: string[];
  profiledIterations: number;
}

export interface LayerDeltas {
  studyId: string;
  study: string;
  device: DeviceRef;
  variant: LayerDeltaSide;
  baseline: LayerDeltaSide;
  /** medians of the timed (unprofiled) runs */
  endToEnd: { baselineMs: number | null; variantMs: number | null; deltaMs: number | null; deltaPct: number | null };
  /** medians over profiled iterations of all kernel time */
  profiledKernel: { baselineMs: number; variantMs: number; deltaMs: number; deltaPct: number | null };
  note: string;
  groups: Record<Grouping, GroupDelta[]>;
}

const NOTE =
  'Per group: median over profiled iterations of the group’s summed kernel time (0 where the group is absent). ' +
  'Medians are not additive and profiling adds overhead: the group deltas need not sum to the end-to-end delta.';

const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;
const pct = (x: number) => Math.round(x * 1e4) / 1e2;
/** Per group the bootstrap has few samples (profiled iterations): 1000 resamples resolve its percentiles well. */
const GROUP_RESAMPLES = 1000;

@Injectable()
export class LayerDeltaService {
  /** Answers by the run ids they were computed from: stored runs never change. */
  private readonly answers = new LruCache<string, LayerDeltas>(500);

  constructor(
    private readonly studies: StudyRepository,
    private readonly layers: LayerDeltaRepository,
    private readonly devices: DeviceRepository,
  ) {}

  /** Where the time went between two variants of a study on one device, per block, op, role, runtime op and layer. */
  async deltas(studyId: string, q: LayerDeltaQuery): Promise<LayerDeltas> {
    const study = await this.studies.header(studyId);
    if (!study) throw LatfleetError.notFound('study', studyId);
    const baselineLabel = q.baseline ?? study.baselineLabel;
    const [variant, baseline] = await Promise.all([this.layers.variant(studyId, q.variant), this.layers.variant(studyId, baselineLabel)]);
    if (!variant) throw LatfleetError.validation('variant', `study ${study.name} has no variant ${JSON.stringify(q.variant)}`);
    if (!baseline) throw LatfleetError.validation('baseline', `study ${study.name} has no variant ${JSON.stringify(baselineLabel)}`);
    const device = await this.pickDevice(studyId, q.device, variant, baseline);
    const [variantRuns, baselineRuns] = await Promise.all([
      this.layers.runIds(studyId, variant.id, device.id),
      this.layers.runIds(studyId, baseline.id, device.id),
    ]);
    const key = JSON.stringify([studyId, variant.id, baseline.id, device.id, variantRuns, baselineRuns]);
    const cached = this.answers.get(key);
    if (cached) return cached;
    const [variantSums, baselineSums, variantE2e, baselineE2e] = await Promise.all([
      this.layers.iterationSums(variantRuns),
      this.layers.iterationSums(baselineRuns),
      this.layers.endToEndMedianNs(variantRuns),
      this.layers.endToEndMedianNs(baselineRuns),
    ]);
    const order = layerOrder(baseline.layers, variant.layers);
    const cand = new ProfiledSide(variantSums, variant.layers, variantRuns.join(','));
    const base = new ProfiledSide(baselineSums, baseline.layers, baselineRuns.join(','));
    const groups = Object.fromEntries(GROUPINGS.map((g) => [g, groupDeltas(base, cand, g, order)])) as Record<Grouping, GroupDelta[]>;
    const kernelBase = base.totalMedianNs();
    const kernelCand = cand.totalMedianNs();
    const answer: LayerDeltas = {
      studyId,
      study: study.name,
      device,
      variant: { label: variant.label, model: variant.model, runIds: variantRuns, profiledIterations: cand.iterations },
      baseline: { label: baseline.label, model: baseline.model, runIds: baselineRuns, profiledIterations: base.iterations },
      endToEnd: {
        baselineMs: baselineE2e === null ? null : ms(baselineE2e),
        variantMs: variantE2e === null ? null : ms(variantE2e),
        deltaMs: baselineE2e === null || variantE2e === null ? null : ms(variantE2e - baselineE2e),
        deltaPct: baselineE2e === null || variantE2e === null || baselineE2e === 0 ? null : pct((variantE2e - baselineE2e) / baselineE2e),
      },
      profiledKernel: {
        baselineMs: ms(kernelBase),
        variantMs: ms(kernelCand),
        deltaMs: ms(kernelCand - kernelBase),
        deltaPct: kernelBase ? pct((kernelCand - kernelBase) / kernelBase) : null,
      },
      note: NOTE,
      groups,
    };
    this.answers.set(key, answer);
    return answer;
  }

  private async pickDevice(studyId: string, ref: string | undefined, ...variants: VariantLayers[]): Promise<DeviceRef> {
    const common = await this.layers.commonDevices(studyId, variants.map((v) => v.id));
    const labels = variants.map((v) => v.label).join(' and ');
    if (ref !== undefined) {
      const [device] = await this.devices.resolve([ref]);
      if (!common.some((d) => d.id === device!.id)) throw LatfleetError.validation('device', `${labels} do not both have results on ${device!.name}`);
      return device!;
    }
    if (common.length === 1) return common[0]!;
    if (common.length === 0) throw LatfleetError.validation('device', `${labels} have no results on a common device yet`);
    throw LatfleetError.validation('device', `required: ${labels} both ran on ${common.map((d) => d.name).join(', ')}`);
  }
}

/** Layer names in network order: the baseline's layers, then the variant's that the baseline lacks. */
function layerOrder(...lists: LayerInfo[][]): Map<string, { index: number; block: string }> {
  const order = new Map<string, { index: number; block: string }>();
  for (const list of lists) for (const l of list) if (!order.has(l.name)) order.set(l.name, { index: order.size, block: l.block });
  return order;
}

/** One variant's profiled iterations, with the per-iteration total of any grouping. */
export class ProfiledSide {
  private readonly slots: Map<string, number>;
  private readonly meta: Map<string, LayerInfo>;

  constructor(
    private readonly sums: readonly IterationSum[],
    layers: readonly LayerInfo[],
    /** the runs the sums come from; seeds the bootstrap */
    readonly identity = '',
  ) {
    this.slots = new Map();
    for (const s of sums) {
      const key = `${s.runId}/${s.iteration}`;
      if (!this.slots.has(key)) this.slots.set(key, this.slots.size);
    }
    this.meta = new Map(layers.map((l) => [l.name, l]));
  }

  get iterations(): number {
    return this.slots.size;
  }

  keyOf(s: IterationSum, g: Grouping): string {
    if (g === 'runtimeOp') return s.opType;
    const info = this.meta.get(s.layer);
    if (g === 'layer') return s.layer || UNATTRIBUTED;
    if (g === 'block') return info?.block ?? (s.layer ? blockOfLayer(s.layer) : UNATTRIBUTED);
    return (g === 'op' ? info?.op : info?.role) ?? UNATTRIBUTED;
  }

  /** Group → its summed kernel time in every iteration (0 where absent). */
  totals(g: Grouping): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const s of this.sums) {
      const key = this.keyOf(s, g);
      let t = out.get(key);
      if (!t) out.set(key, (t = new Array<number>(this.slots.size).fill(0)));
      t[this.slots.get(`${s.runId}/${s.iteration}`)!]! += s.ns;
    }
    return out;
  }

  totalMedianNs(): number {
    if (this.slots.size === 0) return 0;
    const t = new Array<number>(this.slots.size).fill(0);
    for (const s of this.sums) t[this.slots.get(`${s.runId}/${s.iteration}`)!]! += s.ns;
    return medianOf(t);
  }
}

const sortedCopy = (xs: readonly number[]) => Array.from(Float64Array.from(xs).sort());
const medianOf = (xs: number[]) => percentileCont(sortedCopy(xs), 0.5);

export function groupDeltas(base: ProfiledSide, cand: ProfiledSide, g: Grouping, order: Map<string, { index: number; block: string }>): GroupDelta[] {
  if (base.iterations === 0 || cand.iterations === 0) return [];
  const b = base.totals(g);
  const c = cand.totals(g);
  const zeros = (n: number) => new Array<number>(n).fill(0);
  const rows = [...new Set([...b.keys(), ...c.keys()])].map((key) => {
    const bt = b.get(key) ?? zeros(base.iterations);
    const ct = c.get(key) ?? zeros(cand.iterations);
    const bs = sampleStats(sortedCopy(bt), `${base.identity}|${g}|${key}`, CONFIDENCE_LEVEL, GROUP_RESAMPLES);
    const cs = sampleStats(sortedCopy(ct), `${cand.identity}|${g}|${key}`, CONFIDENCE_LEVEL, GROUP_RESAMPLES);
    const cmp = compareSamples(bs, cs, CONFIDENCE_LEVEL, { lazyPValue: true });
    return { key, bm: bs.median, cm: cs.median, pValue: cmp.pValue, verdict: cmp.verdict };
  });
  const totalDelta = rows.reduce((s, r) => s + (r.cm - r.bm), 0);
  const rank = (key: string) =>
    key === UNATTRIBUTED ? Number.MAX_SAFE_INTEGER : g === 'layer' ? (order.get(key)?.index ?? Number.MAX_SAFE_INTEGER - 1) : blockRank(key, order);
  const sorted =
    g === 'block' || g === 'layer'
      ? rows.sort((x, y) => rank(x.key) - rank(y.key) || x.key.localeCompare(y.key))
      : rows.sort((x, y) => Math.abs(y.cm - y.bm) - Math.abs(x.cm - x.bm) || x.key.localeCompare(y.key));
  return sorted.map((r) => ({
    key: r.key,
    baselineMs: ms(r.bm),
    variantMs: ms(r.cm),
    deltaMs: ms(r.cm - r.bm),
    deltaPct: r.bm > 0 ? pct((r.cm - r.bm) / r.bm) : null,
    shareOfDelta: totalDelta !== 0 ? Math.round(((r.cm - r.bm) / totalDelta) * 1e4) / 1e4 : null,
    pValue: r.pValue,
    verdict: r.verdict,
  }));
}

function blockRank(block: string, order: Map<string, { index: number; block: string }>): number {
  for (const [, l] of order) if (l.block === block) return l.index;
  return Number.MAX_SAFE_INTEGER - 1;
}
