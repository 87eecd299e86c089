import { quantileSorted } from 'simple-statistics';
import type { NodeTiming } from './ort-profile.js';

/** The key of time that belongs to no layer (runtime-inserted nodes nothing ties to the builder's graph). */
export const UNATTRIBUTED = '';

export interface TimingGroup {
  /** layer, block or op type; '' is the unattributed bucket */
  key: string;
  /** median over profiled runs of the group's summed kernel time in that run */
  medianNs: number;
  /** medianNs / sum of all groups' medianNs */
  share: number;
  /** distinct runtime nodes in the group */
  nodes: number;
}

export interface TimingBreakdown {
  /** in order of first execution; the unattributed bucket last */
  groups: TimingGroup[];
  /** profiled runs seen */
  iterations: number;
  /** sum of the groups' medians: what a per-layer table adds up to */
  sumOfMediansNs: number;
  /** median over runs of all kernel time in the run */
  kernelMedianNs: number;
  /** share of the '' group (0 when there is none) */
  unattributedShare: number;
}

export type TimingKey = (t: NodeTiming) => string;

const medianOf = (values: number[]) => quantileSorted(values.sort((a, b) => a - b), 0.5);

/** Per-group medians and shares of profiled kernel time. A group absent from a run counts 0 ns in that run. */
export function breakdownBy(timings: readonly NodeTiming[], keyOf: TimingKey): TimingBreakdown {
  const iterations = [...new Set(timings.map((t) => t.iteration))].sort((a, b) => a - b);
  const slot = new Map(iterations.map((it, i) => [it, i]));
  const perGroup = new Map<string, { totals: number[]; nodes: Set<string> }>();
  const perRun = new Array<number>(iterations.length).fill(0);
  for (const t of timings) {
    const key = keyOf(t);
    let group = perGroup.get(key);
    if (!group) {
      group = { totals: new Array<number>(iterations.length).fill(0), nodes: new Set() };
      perGroup.set(key, group);
    }
    const i = slot.get(t.iteration)!;
    group.totals[i]! += t.durationNs;
    group.nodes.add(t.nodeName);
    perRun[i]! += t.durationNs;
  }
  const keys = [...perGroup.keys()].filter((k) => k !== UNATTRIBUTED);
  if (perGroup.has(UNATTRIBUTED)) keys.push(UNATTRIBUTED);
  const medians = keys.map((key) => ({ key, medianNs: medianOf(perGroup.get(key)!.totals), nodes: perGroup.get(key)!.nodes.size }));
  const sumOfMediansNs = medians.reduce((s, g) => s + g.medianNs, 0);
  const groups = medians.map((g) => ({ ...g, share: sumOfMediansNs > 0 ? g.medianNs / sumOfMediansNs : 0 }));
  return {
    groups,
    iterations: iterations.length,
    sumOfMediansNs,
    kernelMedianNs: iterations.length ? medianOf(perRun) : 0,
    unattributedShare: groups.find((g) => g.key === UNATTRIBUTED)?.share ?? 0,
  };
}

export const byLayer: TimingKey = (t) => t.layer ?? UNATTRIBUTED;

export const byOpType: TimingKey = (t) => t.opType;

/**
 * Block of a layer name when no builder metadata is at hand: `blocks.<i>.…` → `blocks.<i>`,
 * otherwise the first segment (`stem`, `head.pool` → `head`).
 */
export function blockOfLayer(layer: string): string {
  if (!layer) return UNATTRIBUTED;
  const m = /^blocks\.\d+/.exec(layer);
  return m ? m[0] : layer.split('.')[0]!;
}

/** Groups by block, using the builder's layer → block table when given (`describeVariant(...).layers`). */
export function byBlock(layers?: ReadonlyArray<{ name: string; block: string }>): TimingKey {
  const table = new Map(layers?.map((l) => [l.name, l.block]));
  return (t) => {
    const layer = t.layer ?? UNATTRIBUTED;
    return table.get(layer) ?? blockOfLayer(layer);
  };
}

/** Groups by the builder's layer op (conv, dwconv, se, add, pool, fc); unattributed time stays ''. */
export function byLayerOp(layers: ReadonlyArray<{ name: string; op: string }>): TimingKey {
  const table = new Map(layers.map((l) => [l.name, l.op]));
  return (t) => table.get(t.layer ?? UNATTRIBUTED) ?? UNATTRIBUTED;
}

/** How much of an end-to-end median the per-group table accounts for (1 = all of it). */
export function layerSumRatio(breakdown: TimingBreakdown, endToEndMedianNs: number): number {
  if (!(endToEndMedianNs > 0)) throw new RangeError(`end-to-end median ${endToEndMedianNs} ns is not positive`);
  return breakdown.sumOfMediansNs / endToEndMedianNs;
}

export interface ApportionedGroup extends TimingGroup {
  /** share × the end-to-end median: the group's part of an unprofiled run */
  estimatedNs: number;
}

/**
 * Per-group estimates of unprofiled time: the profiler inflates small kernels (ONNX Runtime builds
 * its shape strings inside the timed span) and adds time between them, so absolute profiled times
 * do not add up to an unprofiled run; shares from the profile times the timed median do.
 */
export function apportion(breakdown: TimingBreakdown, endToEndMedianNs: number): ApportionedGroup[] {
  if (!(endToEndMedianNs > 0)) throw new RangeError(`end-to-end median ${endToEndMedianNs} ns is not positive`);
  return breakdown.groups.map((g) => ({ ...g, estimatedNs: g.share * endToEndMedianNs }));
}
