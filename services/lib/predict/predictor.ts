import cartPkg from 'ml-cart';
import MultivariateLinearRegression from 'ml-regression-multivariate-linear';
import { percentileCont } from '../measure/percentile.js';
import { stripTransformSuffixes } from '../measure/attribution.js';
import { median } from '../measure/stats.js';
import type { LayerInfo } from '../models/index.js';
import { splitmix32 } from '../models/prng.js';
import { fusionKeys, kernelFeatures, KERNEL_FEATURE_NAMES, layerWork, linearFeatures, RANGE_CHECKED_FEATURES, type KernelSpec } from './kernel-features.js';

const { DecisionTreeRegression } = cartPkg;

/** One runtime kernel as the fleet measured it: its node, the layer lineage attributed it to, its median time. */
export interface MeasuredKernel {
  nodeName: string;
  opType: string;
  /** '' when attribution could not tie the node to a layer */
  layer: string;
  medianNs: number;
}

/** One variant on one device: what the predictor learns from, and the unit held out in validation. */
export interface MeasuredVariant {
  /** canonical variant name: every run of it is held out together */
  name: string;
  family: string;
  spec: KernelSpec;
  layers: LayerInfo[];
  /** per runtime node: median over profiled iterations, then over runs */
  kernels: MeasuredKernel[];
  /** end-to-end median of the timed (unprofiled) runs, median over runs */
  medianNs: number;
}

/** What a predictor needs of a variant it never measured. */
export interface VariantToPredict {
  name: string;
  spec: KernelSpec;
  layers: LayerInfo[];
}

export interface KernelModelOptions {
  /** depth of the regression tree on the linear model's residuals */
  maxDepth: number;
  minSamples: number;
  /** the tree learns from at most this many configurations (sampled with the seed): ml-cart's split search grows with the square of the rows */
  maxTreeRows: number;
  seed: number;
}

export const DEFAULT_KERNEL_MODEL: KernelModelOptions = { maxDepth: 14, minSamples: 3, maxTreeRows: 1000, seed: 14 };

/** A kernel class (runtime op type) with fewer distinct configurations than this is predicted by its median time per unit of work. */
const MIN_MODEL_ROWS = 8;

interface KernelModel {
  rows: number;
  /** median of log(ns / work) over the training rows: the model of a class too small for regression */
  constant: number;
  /** log(ns / work) = w · linearFeatures + intercept (last weight); null below MIN_MODEL_ROWS */
  linear: number[] | null;
  /** ml-cart regression tree on the linear model's residuals (in log space) */
  tree: unknown | null;
  /** measured configurations: features joined by ',' → median log(ns / work); a configuration measured before is answered from here */
  exact: Record<string, number>;
  /** per RANGE_CHECKED_FEATURES: [min, max] over the training rows */
  ranges: Array<[number, number]>;
}

/** Version of PredictorModel's layout: 2 = log-linear kernel models with residual trees and exact configurations (1 had random forests). */
export const PREDICTOR_FORMAT = 2;

export interface PredictorModel {
  formatVersion: typeof PREDICTOR_FORMAT;
  /** fusion key → the kernels (`opType@part`) the runtime ran for such a layer (the most frequent list) */
  fusion: Record<string, string[]>;
  kernels: Record<string, KernelModel>;
  /** end-to-end = w[0]·Σkernels + w[1]·kernel count + w[2] (executor, session and unattributed time) */
  overhead: [number, number, number];
  /** quantiles of log(measured / predicted) on held-out variants: the prediction interval */
  interval: { low: number; high: number };
  variants: string[];
}

export interface PredictedKernel {
  opType: string;
  predictedNs: number;
}

export interface PredictedLayer {
  layer: string;
  predictedNs: number;
  kernels: PredictedKernel[];
}

export interface Prediction {
  variant: string;
  medianNs: number;
  intervalLowNs: number;
  intervalHighNs: number;
  kernelSumNs: number;
  /** end-to-end minus the kernels: executor, session and unattributed time */
  overheadNs: number;
  layers: PredictedLayer[];
  /** why this prediction is outside what the predictor was trained on; empty when it is inside */
  outOfRange: string[];
}

const dot = (w: readonly number[], x: readonly number[]) => x.reduce((a, v, i) => a + v * w[i]!, w[x.length]!);

/** Linear interpolation between order statistics (R-7, as numpy), of unsorted values. */
export function quantile(xs: readonly number[], q: number): number {
  return percentileCont(
    [...xs].sort((a, b) => a - b),
    q,
  );
}

/**
 * The part of its layer a runtime node runs, from its name: `conv.1` (a MixConv group),
 * `reduce.conv` (an SE convolution), `act`; '' for nodes the runtime made itself (reorders).
 */
export function kernelPart(nodeName: string, layer: string): string {
  const name = stripTransformSuffixes(nodeName);
  return name.startsWith(`${layer}.`) ? name.slice(layer.length + 1) : '';
}

export type LayerKernel = MeasuredKernel & { part: string; ordinal: number };

/**
 * The runtime kernels of each layer of a measured variant, in a stable order, each with the part of
 * the layer it runs and its ordinal among the layer's kernels of the same op type and part.
 * Unattributed kernels ('' layer) are left to the overhead model.
 */
export function kernelsByLayer(kernels: readonly MeasuredKernel[]): Map<string, LayerKernel[]> {
  const byLayer = new Map<string, LayerKernel[]>();
  const sorted = [...kernels].filter((k) => k.layer !== '').sort((a, b) => a.opType.localeCompare(b.opType) || a.nodeName.localeCompare(b.nodeName));
  for (const k of sorted) {
    const list = byLayer.get(k.layer) ?? [];
    const part = kernelPart(k.nodeName, k.layer);
    const ordinal = list.filter((x) => x.opType === k.opType && x.part === part).length;
    list.push({ ...k, part, ordinal });
    byLayer.set(k.layer, list);
  }
  return byLayer;
}

/** A fusion-table entry: a runtime op type and the part of the layer it runs. */
const kernelKey = (k: { opType: string; part: string }) => `${k.opType}@${k.part}`;
const parseKernelKey = (key: string) => {
  const at = key.indexOf('@');
  return { opType: key.slice(0, at), part: key.slice(at + 1) };
};

/** The fusion table: for each key of each measured layer, the op-type list the runtime ran most often. */
export function learnFusion(variants: readonly MeasuredVariant[]): Record<string, string[]> {
  const counts = new Map<string, Map<string, number>>();
  for (const v of variants) {
    const byLayer = kernelsByLayer(v.kernels);
    for (const layer of v.layers) {
      const ops = (byLayer.get(layer.name) ?? []).map(kernelKey).join(',');
      for (const key of fusionKeys(layer, v.spec)) {
        const c = counts.get(key) ?? new Map<string, number>();
        c.set(ops, (c.get(ops) ?? 0) + 1);
        counts.set(key, c);
      }
    }
  }
  const fusion: Record<string, string[]> = {};
  for (const [key, c] of counts) {
    const [ops] = [...c].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]!;
    fusion[key] = ops === '' ? [] : ops.split(',');
  }
  return fusion;
}

interface KernelRow {
  opType: string;
  features: number[];
  target: number;
}

/** Training rows of the kernel predictors; identical configurations (the same layer in many variants) become one row at their median. */
export function kernelRows(variants: readonly MeasuredVariant[]): KernelRow[] {
  const groups = new Map<string, { opType: string; features: number[]; targets: number[] }>();
  for (const v of variants) {
    const layers = new Map(v.layers.map((l) => [l.name, l]));
    for (const [name, kernels] of kernelsByLayer(v.kernels)) {
      const layer = layers.get(name);
      if (!layer) continue;
      for (const k of kernels) {
        const features = kernelFeatures(layer, v.spec, k.ordinal, k.part);
        const key = `${k.opType}:${features.join(',')}`;
        const g = groups.get(key) ?? { opType: k.opType, features, targets: [] };
        g.targets.push(Math.log(Math.max(1, k.medianNs) / layerWork(layer)));
        groups.set(key, g);
      }
    }
  }
  return [...groups.values()].map((g) => ({ opType: g.opType, features: g.features, target: median(g.targets) }));
}

/** Deterministic sample of at most `n` of `count` indices. */
function sample(count: number, n: number, seed: number): number[] {
  const idx = [...Array(count).keys()];
  if (count <= n) return idx;
  const rng = splitmix32(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, n);
}

/**
 * Each runtime op type gets a linear model of log time per unit of work on the kernel's
 * configuration (it extrapolates smoothly in size) and a CART regression tree on its residuals
 * (interactions: a kernel size that changes the algorithm, a stride, an activation).
 */
function trainKernels(rows: readonly KernelRow[], options: KernelModelOptions): Record<string, KernelModel> {
  const byOp = new Map<string, KernelRow[]>();
  for (const r of rows) byOp.set(r.opType, [...(byOp.get(r.opType) ?? []), r]);
  const models: Record<string, KernelModel> = {};
  for (const [opType, list] of [...byOp].sort((a, b) => a[0].localeCompare(b[0]))) {
    const x = list.map((r) => r.features);
    const y = list.map((r) => r.target);
    let linear: number[] | null = null;
    let tree: unknown | null = null;
    if (list.length >= MIN_MODEL_ROWS) {
      const lx = x.map(linearFeatures);
      const w = new MultivariateLinearRegression(
        lx,
        y.map((v) => [v]),
        { statistics: false },
      ).weights.map((r) => r[0]!);
      if (w.every(Number.isFinite)) {
        linear = w;
        const residual = y.map((v, i) => v - dot(w, lx[i]!));
        const picked = sample(list.length, options.maxTreeRows, options.seed);
        const cart = new DecisionTreeRegression({ maxDepth: options.maxDepth, minNumSamples: options.minSamples });
        cart.train(
          picked.map((i) => x[i]!),
          picked.map((i) => residual[i]!),
        );
        tree = cart.toJSON();
      }
    }
    models[opType] = {
      rows: list.length,
      constant: median(y),
      linear,
      tree,
      exact: Object.fromEntries(list.map((r) => [r.features.join(','), r.target])),
      ranges: RANGE_CHECKED_FEATURES.map((i) => [Math.min(...x.map((f) => f[i]!)), Math.max(...x.map((f) => f[i]!))]),
    };
  }
  return models;
}

/** A timed median more than this many times its own profiled kernel sum: the timed runs shared their core with other work. */
export const DISTURBED_TIMED_RATIO = 1.25;

/**
 * end-to-end = Σkernels + per-kernel overhead · kernel count (executor and session time between
 * kernels), the overhead the median of (median − Σkernels) / count over the variants whose timed
 * runs agree with their profiled ones (within DISTURBED_TIMED_RATIO; all variants when fewer than
 * 5 do): a timed phase slowed by other work on the core says nothing about the executor.
 */
function fitOverhead(variants: readonly MeasuredVariant[], kernelSum: (v: MeasuredVariant) => { sum: number; count: number }): [number, number, number] {
  const rows = variants.map((v) => ({ ...kernelSum(v), medianNs: v.medianNs }));
  const undisturbed = rows.filter((r) => r.medianNs <= DISTURBED_TIMED_RATIO * r.sum);
  const use = undisturbed.length >= 5 ? undisturbed : rows;
  const perKernel = median(use.map((r) => (r.medianNs - r.sum) / Math.max(1, r.count)));
  return [1, perKernel, 0];
}

/** The measured kernels of the variant's attributed layers: the overhead model's input when it is trained. */
function measuredKernelSum(v: MeasuredVariant): { sum: number; count: number } {
  const kernels = [...kernelsByLayer(v.kernels).values()].flat();
  return { sum: kernels.reduce((a, k) => a + k.medianNs, 0), count: kernels.length };
}

/** Trains kernel predictors, the fusion table and the overhead model on these variants (no interval yet). */
export function fitPredictor(variants: readonly MeasuredVariant[], options: KernelModelOptions = DEFAULT_KERNEL_MODEL): PredictorModel {
  if (variants.length === 0) throw new RangeError('no measured variants to train on');
  const model: PredictorModel = {
    formatVersion: PREDICTOR_FORMAT,
    fusion: learnFusion(variants),
    kernels: trainKernels(kernelRows(variants), options),
    overhead: [1, 0, 0],
    interval: { low: 0, high: 0 },
    variants: variants.map((v) => v.name).sort(),
  };
  model.overhead = fitOverhead(variants, measuredKernelSum);
  return model;
}

/** A trained predictor, ready to answer (trees loaded once). */
export class KernelPredictor {
  private readonly trees = new Map<string, { predict(x: number[][]): number[] }>();

  constructor(readonly model: PredictorModel) {
    for (const [op, k] of Object.entries(model.kernels)) {
      if (k.tree) this.trees.set(op, DecisionTreeRegression.load(k.tree));
    }
  }

  /** log(ns / work) of kernels of one op type */
  private logRatio(op: string, features: number[][]): number[] {
    const k = this.model.kernels[op];
    if (!k) return features.map(() => 0);
    const tree = this.trees.get(op);
    const residual = tree && k.linear ? tree.predict(features) : features.map(() => 0);
    return features.map((f, i) => k.exact[f.join(',')] ?? (k.linear ? dot(k.linear, linearFeatures(f)) + residual[i]! : k.constant));
  }

  predict(variant: VariantToPredict): Prediction {
    const outOfRange: string[] = [];
    const pending: Array<{ layer: LayerInfo; opType: string; features: number[] }> = [];
    const layerKernels = variant.layers.map((layer) => {
      const keys = fusionKeys(layer, variant.spec);
      const level = keys.findIndex((k) => this.model.fusion[k] !== undefined);
      if (level !== 0)
        outOfRange.push(`${layer.name}: ${level < 0 ? 'no layer of this kind was measured' : 'this exact layer kind was never measured; fusion taken from a similar one'}`);
      const ops = level < 0 ? [] : this.model.fusion[keys[level]!]!;
      const seen = new Map<string, number>();
      return ops.map((key) => {
        const { opType, part } = parseKernelKey(key);
        const ordinal = seen.get(key) ?? 0;
        seen.set(key, ordinal + 1);
        const features = kernelFeatures(layer, variant.spec, ordinal, part);
        const k = this.model.kernels[opType];
        if (k) {
          RANGE_CHECKED_FEATURES.forEach((fi, j) => {
            const [lo, hi] = k.ranges[j]!;
            const value = features[fi]!;
            if (value < lo - 1e-9 || value > hi + 1e-9) {
              outOfRange.push(`${layer.name} ${opType}: ${KERNEL_FEATURE_NAMES[fi]} ${value.toFixed(2)} outside [${lo.toFixed(2)}, ${hi.toFixed(2)}]`);
            }
          });
        }
        const entry = { layer, opType, features };
        pending.push(entry);
        return entry;
      });
    });

    const byOp = new Map<string, number[]>();
    pending.forEach((p, i) => byOp.set(p.opType, [...(byOp.get(p.opType) ?? []), i]));
    const logs = new Array<number>(pending.length).fill(0);
    for (const [op, idx] of byOp) {
      const values = this.logRatio(
        op,
        idx.map((i) => pending[i]!.features),
      );
      idx.forEach((i, j) => (logs[i] = values[j]!));
    }
    const ns = new Map(pending.map((p, i) => [p, Math.exp(logs[i]!) * layerWork(p.layer)]));

    const layers: PredictedLayer[] = variant.layers.map((layer, i) => {
      const kernels = layerKernels[i]!.map((p) => ({ opType: p.opType, predictedNs: ns.get(p)! }));
      return { layer: layer.name, predictedNs: kernels.reduce((a, k) => a + k.predictedNs, 0), kernels };
    });
    const kernelSumNs = layers.reduce((a, l) => a + l.predictedNs, 0);
    const [w, perKernel, intercept] = this.model.overhead;
    const medianNs = Math.max(1, w * kernelSumNs + perKernel * pending.length + intercept);
    return {
      variant: variant.name,
      medianNs,
      intervalLowNs: medianNs * Math.exp(this.model.interval.low),
      intervalHighNs: medianNs * Math.exp(this.model.interval.high),
      kernelSumNs,
      overheadNs: medianNs - kernelSumNs,
      layers,
      outOfRange: [...new Set(outOfRange)],
    };
  }
}
