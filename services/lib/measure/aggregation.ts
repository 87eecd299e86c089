import { percentileCont } from './percentile.js';
import type { NodeTiming } from './ort-profile.js';

/** The key of time that belongs to no layer (runtime-inserted nodes nothing ties to the builder's graph). */
export const UNATTRIBUTED = '';

/**
 * The key of the run's time outside every node (before the first, after the last: feeds, executor
 * set-up, fetches). Not a layer, and not unattributed either: no node ran then.
 */
export const SESSION_OVERHEAD = '(session)';

export interface TimingGroup {
  /** layer, block or op type; '' is the unattributed bucket, SESSION_OVERHEAD the session's own time */
  key: string;
  /** median over profiled runs of the group's summed kernel time in that run */
  medianNs: number;
  /** medianNs / sum of all groups' medianNs */
  share: number;
  /** median over profiled runs of the group's executor overhead (NodeTiming.overheadNs; the session bucket: all of it) */
  overheadMedianNs: number;
  /** median over profiled runs of kernel + overhead */
  totalMedianNs: number;
  /** totalMedianNs / sum of all groups' totalMedianNs */
  totalShare: number;
  /** distinct runtime nodes in the group */
  nodes: number;
}

export interface TimingBreakdown {
  /** in order of first execution; the unattributed bucket, then the session bucket, last */
  groups: TimingGroup[];
  /** profiled runs seen */
  iterations: number;
  /** sum of the groups' medians: what a per-layer table of kernel time adds up to */
  sumOfMediansNs: number;
  /** sum of the groups' totalMedianNs: what a per-layer table of kernel + overhead adds up to */
  totalSumOfMediansNs: number;
  /** median over runs of all kernel time in the run */
  kernelMedianNs: number;
  /** median over runs of all the run's time the breakdown holds (kernels, overheads, session): the runtime's run time when complete */
  runMedianNs: number;
  /** share of the '' group in kernel time (0 when there is none) */
  unattributedShare: number;
}

export type TimingKey = (t: NodeTiming) => string;

export interface BreakdownOptions {
  /** per profiled iteration (ParsedProfile.sessionOverheadNs): adds the SESSION_OVERHEAD bucket */
  sessionOverheadNs?: readonly number[];
}

const medianOf = (values: number[]) =>
  percentileCont(
    values.sort((a, b) => a - b),
    0.5,
  );

interface Totals {
  kernel: number[];
  overhead: number[];
  nodes: Set<string>;
}

/**
 * Per-group medians and shares of profiled time, kernel only and with each node's executor
 * overhead. A group absent from a run counts 0 ns in that run. With the session overhead, the
 * groups' per-run totals add up to the runtime's run time by construction (medians nearly so).
 */
export function breakdownBy(timings: readonly NodeTiming[], keyOf: TimingKey, options: BreakdownOptions = {}): TimingBreakdown {
  const iterations = [...new Set(timings.map((t) => t.iteration))].sort((a, b) => a - b);
  const slot = new Map(iterations.map((it, i) => [it, i]));
  const zeros = () => new Array<number>(iterations.length).fill(0);
  const perGroup = new Map<string, Totals>();
  const kernelPerRun = zeros();
  const allPerRun = zeros();
  for (const t of timings) {
    const key = keyOf(t);
    let group = perGroup.get(key);
    if (!group) {
      group = { kernel: zeros(), overhead: zeros(), nodes: new Set() };
      perGroup.set(key, group);
    }
    const i = slot.get(t.iteration)!;
    const overhead = t.overheadNs ?? 0;
    group.kernel[i]! += t.durationNs;
    group.overhead[i]! += overhead;
    group.nodes.add(t.nodeName);
    kernelPerRun[i]! += t.durationNs;
    allPerRun[i]! += t.durationNs + overhead;
  }
  const keys = [...perGroup.keys()].filter((k) => k !== UNATTRIBUTED && k !== SESSION_OVERHEAD);
  if (perGroup.has(UNATTRIBUTED)) keys.push(UNATTRIBUTED);
  const rows = keys.map((key) => {
    const g = perGroup.get(key)!;
    return {
      key,
      medianNs: medianOf(g.kernel),
      overheadMedianNs: medianOf(g.overhead),
      totalMedianNs: medianOf(g.kernel.map((k, i) => k + g.overhead[i]!)),
      nodes: g.nodes.size,
    };
  });
  if (options.sessionOverheadNs && iterations.length) {
    const session = iterations.map((it) => options.sessionOverheadNs![it] ?? 0);
    session.forEach((ns, i) => (allPerRun[i]! += ns));
    const m = medianOf(session);
    rows.push({ key: SESSION_OVERHEAD, medianNs: 0, overheadMedianNs: m, totalMedianNs: m, nodes: 0 });
  }
  const sumOfMediansNs = rows.reduce((s, g) => s + g.medianNs, 0);
  const totalSumOfMediansNs = rows.reduce((s, g) => s + g.totalMedianNs, 0);
  const groups = rows.map((g) => ({
    ...g,
    share: sumOfMediansNs > 0 ? g.medianNs / sumOfMediansNs : 0,
    totalShare: totalSumOfMediansNs > 0 ? g.totalMedianNs / totalSumOfMediansNs : 0,
  }));
  return {
    groups,
    iterations: iterations.length,
    sumOfMediansNs,
    totalSumOfMediansNs,
    kernelMedianNs: iterations.length ? medianOf(kernelPerRun) : 0,
    runMedianNs: iterations.length ? medianOf(allPerRun) : 0,
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

/** What a per-group table counts: kernel time only, or kernel time with the executor's overhead (and the session bucket). */
export type TimingMeasure = 'kernel' | 'with-overhead';

/** How much of an end-to-end median the per-group table accounts for (1 = all of it). */
export function layerSumRatio(breakdown: TimingBreakdown, endToEndMedianNs: number, measure: TimingMeasure = 'kernel'): number {
  if (!(endToEndMedianNs > 0)) throw new RangeError(`end-to-end median ${endToEndMedianNs} ns is not positive`);
  return (measure === 'kernel' ? breakdown.sumOfMediansNs : breakdown.totalSumOfMediansNs) / endToEndMedianNs;
}

export interface ApportionedGroup extends TimingGroup {
  /** share × the end-to-end median: the group's part of an unprofiled run, by kernel time */
  estimatedNs: number;
  /** totalShare × the end-to-end median: the same with the executor's overhead and the session bucket */
  estimatedWithOverheadNs: number;
}

/**
 * Per-group estimates of unprofiled time: the profiler inflates small kernels (ONNX Runtime builds
 * its shape strings inside the timed span) and adds time between them, so absolute profiled times
 * do not add up to an unprofiled run; shares from the profile times the timed median do.
 */
export function apportion(breakdown: TimingBreakdown, endToEndMedianNs: number): ApportionedGroup[] {
  if (!(endToEndMedianNs > 0)) throw new RangeError(`end-to-end median ${endToEndMedianNs} ns is not positive`);
  return breakdown.groups.map((g) => ({ ...g, estimatedNs: g.share * endToEndMedianNs, estimatedWithOverheadNs: g.totalShare * endToEndMedianNs }));
}
