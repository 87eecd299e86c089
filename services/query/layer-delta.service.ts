import { Injectable } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';
import {
  benjaminiHochberg,
  blockOfLayer,
  median,
  pairByRound,
  pairedShift,
  percentileCont,
  type CompareOptions,
  type PairedInput,
  type Reproducibility,
  type Verdict,
} from '../lib/measure/index.js';
import type { LayerInfo } from '../lib/models/index.js';
import { DeviceRepository, type DeviceRef } from './device.repository.js';
import {
  CONFIDENCE_LEVEL,
  distinctFlags,
  FDR,
  ms,
  NO_DELTA,
  noCleanReplicate,
  pct,
  replicatedDelta,
  selectReplicates,
  undecidedDelta,
  type ReplicatedDelta,
  type ReplicateSelection,
} from './latency-statistics.js';
import { LayerDeltaRepository, type IterationSum, type LayerDeltaRun, type VariantLayers } from './layer-delta.repository.js';
import { LruCache } from './lru-cache.util.js';
import { UNATTRIBUTED } from './run.service.js';
import { includesFlagged, type LayerDeltaQuery } from './study.dto.js';
import { StudyRepository } from './study.repository.js';

export const GROUPINGS = ['block', 'op', 'role', 'runtimeOp', 'layer'] as const;
export type Grouping = (typeof GROUPINGS)[number];

/** A paired difference of per-run medians: the baseline's and the variant's runs of one round on the device. */
export interface PairedGroupDelta {
  /** mean over the paired rounds of the baseline's per-run medians (over all its runs when no round pairs) */
  baselineMs: number;
  variantMs: number;
  /** variantMs − baselineMs: the mean over rounds of the per-round difference */
  deltaMs: number;
  /** relative to baselineMs; null when the baseline spends nothing there */
  deltaPct: number | null;
  /** paired t interval (95%) of deltaMs; null with fewer than 3 rounds */
  deltaCiLowMs: number | null;
  deltaCiHighMs: number | null;
  /** paired t test; null with fewer than 3 rounds */
  pValue: number | null;
  rounds: number;
  verdict: Verdict;
}

export interface GroupDelta extends PairedGroupDelta {
  /** block (`stem`, `blocks.3`, `head`), builder op (conv, dwconv, se, add, pool, fc), role, ONNX Runtime op type, or layer */
  key: string;
  /**
   * deltaMs ÷ the sum of every group's |deltaMs|: signed like this group's own Δ, the |shares| add up to 1.
   * (Δ ÷ ΣΔ would explode and flip sign when the groups' gains and losses nearly cancel.) null when no group changed.
   */
  shareOfDelta: number | null;
  /** Benjamini–Hochberg over the groups of this grouping; the verdict compares it with 0.05 */
  pAdjusted: number | null;
}

export interface LayerDeltaSide {
  label: string;
  model: string;
  /** the runs the figures come from */
  runIds: string[];
  /** the variant's flagged runs on the device (also in runIds with include=flagged) */
  flaggedRunIds: string[];
  replicates: number;
  flaggedReplicates: number;
  flags: string[];
  profiledIterations: number;
}

export interface LayerDeltas {
  studyId: string;
  study: string;
  device: DeviceRef;
  variant: LayerDeltaSide;
  baseline: LayerDeltaSide;
  includeFlagged: boolean;
  /** the between-study component every interval here carries (the comparison's) */
  reproducibility: Reproducibility;
  /** the timed (unprofiled) runs: medians of the run medians; the difference as in the comparison */
  endToEnd: { baselineMs: number | null; variantMs: number | null } & ReplicatedDelta;
  /** all kernel time of the profiled runs, per run its median over iterations; paired by round (verdict from the unadjusted p) */
  profiledKernel: PairedGroupDelta;
  note: string;
  groups: Record<Grouping, GroupDelta[]>;
}

const NOTE =
  'Per group and run: the median over the run’s profiled iterations of the group’s summed kernel time (0 where the group is absent). ' +
  'The variant’s and the baseline’s runs are paired by round on the device: Δ is the mean over rounds of the per-round difference, with a ' +
  'paired t interval (95%, not adjusted). p-values: Benjamini–Hochberg within each grouping (one family each for block, op, role, ' +
  'runtimeOp and layer); the verdict compares the adjusted p with 0.05; fewer than 3 rounds: undecided. Flagged runs are left out ' +
  'unless include=flagged. Medians are not additive and profiling adds overhead: the group deltas need not sum to the end-to-end delta.';

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
    const includeFlagged = includesFlagged(q);
    const baselineLabel = q.baseline ?? study.baselineLabel;
    const [variant, baseline] = await Promise.all([this.layers.variant(studyId, q.variant), this.layers.variant(studyId, baselineLabel)]);
    if (!variant) throw LatfleetError.validation('variant', `study ${study.name} has no variant ${JSON.stringify(q.variant)}`);
    if (!baseline) throw LatfleetError.validation('baseline', `study ${study.name} has no variant ${JSON.stringify(baselineLabel)}`);
    const device = await this.pickDevice(studyId, q.device, variant, baseline);
    const [variantRuns, baselineRuns] = await Promise.all([this.layers.runs(studyId, variant.id, device.id), this.layers.runs(studyId, baseline.id, device.id)]);
    const cand = selectReplicates(variantRuns, includeFlagged);
    const base = selectReplicates(baselineRuns, includeFlagged);
    const ids = (runs: readonly LayerDeltaRun[]) => runs.map((r) => r.id);
    // the device's between-study component grows as other studies repeat its comparisons: part of the answer's identity
    const between = (await this.devices.reproducibility([device.id], study.betweenStudyPct, study.betweenStudyRelativePct)).get(device.id)!;
    const sd: BetweenStudy = { betweenStudySd: between.betweenStudyPct / 100, betweenStudyRelative: between.relativePct / 100 };
    const key = JSON.stringify([studyId, variant.id, baseline.id, device.id, ids(cand.used), ids(base.used), includeFlagged, between.betweenStudyPct, between.relativePct]);
    const cached = this.answers.get(key);
    if (cached) return cached;
    const [variantSums, baselineSums, variantTimed, baselineTimed] = await Promise.all([
      this.layers.iterationSums(ids(cand.used)),
      this.layers.iterationSums(ids(base.used)),
      this.layers.timedMediansNs(ids(cand.used)),
      this.layers.timedMediansNs(ids(base.used)),
    ]);
    const order = layerOrder(baseline.layers, variant.layers);
    const candProfiled = new ProfiledRuns(variantSums, variant.layers, cand.used);
    const baseProfiled = new ProfiledRuns(baselineSums, baseline.layers, base.used);
    const side = (v: VariantLayers, sel: ReplicateSelection<LayerDeltaRun>, profiled: ProfiledRuns): LayerDeltaSide => ({
      label: v.label,
      model: v.model,
      runIds: ids(sel.used),
      flaggedRunIds: ids(sel.flagged),
      replicates: sel.used.length,
      flaggedReplicates: sel.flagged.length,
      flags: distinctFlags(sel.flagged),
      profiledIterations: profiled.iterations,
    });
    const answer: LayerDeltas = {
      studyId,
      study: study.name,
      device,
      variant: side(variant, cand, candProfiled),
      baseline: side(baseline, base, baseProfiled),
      includeFlagged,
      reproducibility: between,
      endToEnd: endToEnd({ sel: base, timedNs: baselineTimed }, { sel: cand, timedNs: variantTimed }, sd),
      profiledKernel: profiledKernel(baseProfiled, candProfiled, sd),
      note: NOTE,
      groups: Object.fromEntries(GROUPINGS.map((g) => [g, groupDeltas(baseProfiled, candProfiled, g, order, sd)])) as Record<Grouping, GroupDelta[]>,
    };
    this.answers.set(key, answer);
    return answer;
  }

  private async pickDevice(studyId: string, ref: string | undefined, ...variants: VariantLayers[]): Promise<DeviceRef> {
    const common = await this.layers.commonDevices(
      studyId,
      variants.map((v) => v.id),
    );
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

/** The between-study terms a paired test adds (replicates.ts, CompareOptions). */
type BetweenStudy = Required<Pick<CompareOptions, 'betweenStudySd' | 'betweenStudyRelative'>>;
const NONE: BetweenStudy = { betweenStudySd: 0, betweenStudyRelative: 0 };

interface TimedSide {
  sel: ReplicateSelection<LayerDeltaRun>;
  /** run → median of its timed iterations */
  timedNs: Map<string, number>;
}

function endToEnd(base: TimedSide, cand: TimedSide, between: BetweenStudy): LayerDeltas['endToEnd'] {
  const values = (s: TimedSide): PairedInput['base'] => s.sel.used.filter((r) => s.timedNs.has(r.id)).map((r) => ({ round: r.round, value: s.timedNs.get(r.id)! }));
  const b = values(base);
  const c = values(cand);
  const medianMs = (xs: PairedInput['base']) => (xs.length ? ms(median(xs.map((x) => x.value))) : null);
  const figures = { baselineMs: medianMs(b), variantMs: medianMs(c) };
  if (b.length && c.length) return { ...figures, ...replicatedDelta({ base: b, cand: c }, between.betweenStudySd, between.betweenStudyRelative) };
  const empty = b.length === 0 ? base : cand;
  if (empty.sel.used.length === 0 && empty.sel.flagged.length > 0)
    return { ...figures, ...undecidedDelta(`${empty === base ? 'baseline' : 'variant'}: ${noCleanReplicate(empty.sel.flagged)}`) };
  return { ...figures, ...NO_DELTA };
}

/** Layer names in network order: the baseline's layers, then the variant's that the baseline lacks. */
function layerOrder(...lists: LayerInfo[][]): Map<string, { index: number; block: string }> {
  const order = new Map<string, { index: number; block: string }>();
  for (const list of lists) for (const l of list) if (!order.has(l.name)) order.set(l.name, { index: order.size, block: l.block });
  return order;
}

type RunValues = PairedInput['base'];

/** One variant's profiled runs: per run and group, the median over the run's iterations of the group's summed kernel time. */
export class ProfiledRuns {
  /** `${runId}/${iteration}` → slot */
  private readonly slots = new Map<string, number>();
  private readonly slotsOfRun = new Map<string, number[]>();
  private readonly meta: Map<string, LayerInfo>;
  /** the runs with profiled iterations, in the order given */
  private readonly profiled: ReadonlyArray<{ id: string; round: number | null }>;

  constructor(
    private readonly sums: readonly IterationSum[],
    layers: readonly LayerInfo[],
    runs: ReadonlyArray<{ id: string; round: number | null }>,
  ) {
    for (const s of sums) {
      const key = `${s.runId}/${s.iteration}`;
      if (this.slots.has(key)) continue;
      this.slots.set(key, this.slots.size);
      const list = this.slotsOfRun.get(s.runId);
      if (list) list.push(this.slots.size - 1);
      else this.slotsOfRun.set(s.runId, [this.slots.size - 1]);
    }
    this.meta = new Map(layers.map((l) => [l.name, l]));
    this.profiled = runs.filter((r) => this.slotsOfRun.has(r.id));
  }

  /** profiled iterations over all runs */
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

  /** Group → per profiled run (with its round) the group's median kernel time over the run's iterations (0 where absent). */
  groupMedians(g: Grouping): Map<string, RunValues> {
    return this.medians((s) => this.keyOf(s, g));
  }

  /** Per profiled run: the median over its iterations of all kernel time. */
  totalMedians(): RunValues {
    return this.medians(() => '').get('') ?? [];
  }

  /** Every profiled run at 0 ns: a group this variant does not have. */
  zeros(): RunValues {
    return this.profiled.map((r) => ({ round: r.round, value: 0 }));
  }

  private medians(keyOf: (s: IterationSum) => string): Map<string, RunValues> {
    const totals = new Map<string, Float64Array>();
    for (const s of this.sums) {
      const key = keyOf(s);
      let t = totals.get(key);
      if (!t) totals.set(key, (t = new Float64Array(this.slots.size)));
      t[this.slots.get(`${s.runId}/${s.iteration}`)!]! += s.ns;
    }
    const out = new Map<string, RunValues>();
    for (const [key, t] of totals) {
      out.set(
        key,
        this.profiled.map((r) => ({ round: r.round, value: percentileCont(Float64Array.from(this.slotsOfRun.get(r.id)!, (i) => t[i]!).sort(), 0.5) })),
      );
    }
    return out;
  }
}

const meanOf = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

interface PairedGroup {
  baseNs: number;
  candNs: number;
  ciNs: { low: number; high: number } | null;
  pValue: number | null;
  rounds: number;
}

/** One group's runs paired by round: the means over the paired rounds (over all runs when none pair) and the paired t test. */
function pairGroup(base: RunValues, cand: RunValues, between: BetweenStudy): PairedGroup {
  const shift = pairedShift({ base, cand }, { level: CONFIDENCE_LEVEL, ...between });
  const pairs = pairByRound({ base, cand });
  return {
    baseNs: meanOf(pairs.length ? pairs.map((p) => p.base) : base.map((x) => x.value)),
    candNs: meanOf(pairs.length ? pairs.map((p) => p.cand) : cand.map((x) => x.value)),
    ciNs: shift.differenceCi,
    pValue: shift.pValue,
    rounds: shift.rounds,
  };
}

const verdictOf = (p: number | null, deltaNs: number): Verdict => (p === null ? 'undecided' : p < FDR ? (deltaNs > 0 ? 'slower' : 'faster') : 'within noise');

/** `decidingP`: the p the verdict compares with 0.05 (a family's adjusted p, or the test's own). */
function toGroupDelta(g: PairedGroup, decidingP: number | null): PairedGroupDelta {
  const delta = g.candNs - g.baseNs;
  return {
    baselineMs: ms(g.baseNs),
    variantMs: ms(g.candNs),
    deltaMs: ms(delta),
    deltaPct: g.baseNs > 0 ? pct(delta / g.baseNs) : null,
    deltaCiLowMs: g.ciNs && ms(g.ciNs.low),
    deltaCiHighMs: g.ciNs && ms(g.ciNs.high),
    pValue: g.pValue,
    rounds: g.rounds,
    verdict: verdictOf(decidingP, delta),
  };
}

function profiledKernel(base: ProfiledRuns, cand: ProfiledRuns, between: BetweenStudy): PairedGroupDelta {
  const g = pairGroup(base.totalMedians(), cand.totalMedians(), between);
  return toGroupDelta(g, g.pValue);
}

/** `between`: the device's between-study component (log scale) and its part that grows with the difference, as in the comparison. */
export function groupDeltas(base: ProfiledRuns, cand: ProfiledRuns, g: Grouping, order: Map<string, { index: number; block: string }>, between: BetweenStudy = NONE): GroupDelta[] {
  if (base.iterations === 0 || cand.iterations === 0) return [];
  const b = base.groupMedians(g);
  const c = cand.groupMedians(g);
  const rows = [...new Set([...b.keys(), ...c.keys()])].map((key) => ({ key, ...pairGroup(b.get(key) ?? base.zeros(), c.get(key) ?? cand.zeros(), between) }));
  const adjusted = benjaminiHochberg(rows.map((r) => r.pValue));
  const grossDelta = rows.reduce((s, r) => s + Math.abs(r.candNs - r.baseNs), 0);
  const rank = (key: string) => (key === UNATTRIBUTED ? Number.MAX_SAFE_INTEGER : g === 'layer' ? (order.get(key)?.index ?? Number.MAX_SAFE_INTEGER - 1) : blockRank(key, order));
  const withP = rows.map((r, i) => ({ ...r, pAdjusted: adjusted[i] ?? null }));
  const sorted =
    g === 'block' || g === 'layer'
      ? withP.sort((x, y) => rank(x.key) - rank(y.key) || x.key.localeCompare(y.key))
      : withP.sort((x, y) => Math.abs(y.candNs - y.baseNs) - Math.abs(x.candNs - x.baseNs) || x.key.localeCompare(y.key));
  return sorted.map((r) => ({
    key: r.key,
    ...toGroupDelta(r, r.pAdjusted),
    shareOfDelta: grossDelta > 0 ? Math.round(((r.candNs - r.baseNs) / grossDelta) * 1e4) / 1e4 : null,
    pAdjusted: r.pAdjusted,
  }));
}

function blockRank(block: string, order: Map<string, { index: number; block: string }>): number {
  for (const [, l] of order) if (l.block === block) return l.index;
  return Number.MAX_SAFE_INTEGER - 1;
}
