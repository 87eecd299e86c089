import MultivariateLinearRegression from 'ml-regression-multivariate-linear';
import { percentileCont } from '../measure/percentile.js';
import { stripTransformSuffixes } from '../measure/attribution.js';
import { median } from '../measure/stats.js';
import type { LayerInfo } from '../models/index.js';
import { predictLayerSum, type LayerSumModel } from './layer-sum.js';
import { compileBoostedTrees, DEFAULT_BOOSTED_TREES, fitBoostedTrees, predictCompiled, type BoostedTrees, type BoostedTreesOptions, type CompiledTrees } from './boosted-trees.js';
import {
  fusionKeys,
  kernelFeatures,
  KERNEL_FEATURE_NAMES,
  layerContexts,
  layerWork,
  linearFeatures,
  RANGE_CHECKED_FEATURES,
  type KernelSpec,
  type LayerContext,
} from './kernel-features.js';

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
  /** the boosted trees each kernel class (and each layer kind) learns on the residuals of its log-linear model */
  boosted: BoostedTreesOptions;
  /** answer a configuration measured before from its measured median instead of the model */
  exact: boolean;
  /** inner folds that give out-of-fold predicted sums to the end-to-end model (0: it learns from the measured sums) */
  stackFolds: number;
  /** describe each kernel with its neighbours (their kind and channel layout) too */
  context: boolean;
  /** without stacking: the share of the layer-level sum in the predicted sum (the rest the kernel-level one) */
  layerShare: number;
  /**
   * blend the end-to-end answer with a layer-sum model fitted to the same variants' end-to-end
   * medians (geometric, the weight chosen by cross-validation; validation.ts): the two err on
   * different variants
   */
  blend: boolean;
}

export const DEFAULT_KERNEL_MODEL: KernelModelOptions = { boosted: DEFAULT_BOOSTED_TREES, exact: true, stackFolds: 0, context: true, layerShare: 0.25, blend: true };

/** A kernel class (runtime op type) with fewer distinct configurations than this is predicted by its median time per unit of work. */
const MIN_MODEL_ROWS = 8;

interface KernelModel {
  rows: number;
  /** median of log(ns / work) over the training rows: the model of a class too small for regression */
  constant: number;
  /** log(ns / work) = w · linearFeatures + intercept (last weight); null below MIN_MODEL_ROWS */
  linear: number[] | null;
  /** boosted trees on the linear model's residuals (in log space) */
  boosted: BoostedTrees | null;
  /** measured configurations: featureKey → median log(ns / work); a configuration measured before is answered from here (when the options say so) */
  exact: Record<string, number>;
  /** per RANGE_CHECKED_FEATURES: [min, max] over the training rows */
  ranges: Array<[number, number]>;
}

/**
 * Version of PredictorModel's layout: 3 = boosted trees, layer-level models beside the kernel
 * models, a stacked end-to-end model (2 had one CART tree per kernel class, 1 random forests).
 */
export const PREDICTOR_FORMAT = 3;

/** The end-to-end model's inputs, in the order of its weights: Σ predicted kernels, Σ predicted layers, kernel count, 1. */
export type EndToEndWeights = [number, number, number, number];

export interface PredictorModel {
  formatVersion: typeof PREDICTOR_FORMAT;
  /**
   * fusion key → the kernel lists (`opType@part`) the runtime ran for such a layer, each with the
   * share of the layers it ran for (lists under MIN_FUSION_SHARE left out): whether a layer's
   * neighbour adds a reorder is not always decided by what the key knows
   */
  fusion: Record<string, FusionChoice[]>;
  kernels: Record<string, KernelModel>;
  /** layer kind (`op|quantization`) → the model of the layer's total kernel time: one level up from the kernels, no fusion table in between */
  layers: Record<string, KernelModel>;
  exact: boolean;
  /** whether kernels are described with their neighbours */
  context: boolean;
  /** end-to-end = w · [Σ kernels, Σ layers, kernel count, 1] (executor, session and unattributed time, and the levels' biases) */
  endToEnd: EndToEndWeights;
  /** quantiles of log(measured / predicted) on held-out variants: the prediction interval */
  interval: { low: number; high: number };
  variants: string[];
  /** the answer is kernels^(1 − weight) · layerSum^weight (absent or weight 0: the kernels' alone) */
  blend?: { weight: number; layerSum: LayerSumModel };
}

/** The geometric blend of the kernel answer with the layer-sum one (weight 0: the kernel answer). */
export const blendedNs = (kernelNs: number, layerSumNs: number, weight: number): number =>
  weight <= 0 ? kernelNs : Math.exp((1 - weight) * Math.log(kernelNs) + weight * Math.log(layerSumNs));

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
  /** Σ of the predicted kernels (the per-layer breakdown) */
  kernelSumNs: number;
  /** Σ of the layer-level predictions */
  layerSumNs: number;
  /** end-to-end minus the kernels: executor, session and unattributed time */
  overheadNs: number;
  layers: PredictedLayer[];
  /** why this prediction is outside what the predictor was trained on; empty when it is inside */
  outOfRange: string[];
}

/** A prediction with what the end-to-end model needs of it: the expected kernel count (fractional where the fusion varies). */
export type VariantPrediction = Prediction & { kernelCount: number };

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
 * Unattributed kernels ('' layer) are left to the end-to-end model.
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

/** The layer-level model of a layer: its kind and data type. */
export const layerModelKey = (layer: LayerInfo, spec: KernelSpec) => `${layer.op}|${spec.quantization}`;

/** Each layer's neighbours, or none when kernels are described without them. */
const contextsOf = (layers: readonly LayerInfo[], context: boolean): Map<string, LayerContext> => (context ? layerContexts(layers) : new Map());

/** A list of kernels the runtime ran for a kind of layer, and the share of such layers it ran for. */
export interface FusionChoice {
  kernels: string[];
  share: number;
}

/** A kernel list the runtime ran for less than this share of a fusion key's layers is left out of the table. */
const MIN_FUSION_SHARE = 0.05;

/** The fusion table: for each key of each measured layer, the kernel lists the runtime ran and how often (most frequent first). */
export function learnFusion(variants: readonly MeasuredVariant[], context = true): Record<string, FusionChoice[]> {
  const counts = new Map<string, Map<string, number>>();
  for (const v of variants) {
    const byLayer = kernelsByLayer(v.kernels);
    const contexts = contextsOf(v.layers, context);
    for (const layer of v.layers) {
      const ops = (byLayer.get(layer.name) ?? []).map(kernelKey).join(',');
      for (const key of fusionKeys(layer, v.spec, contexts.get(layer.name))) {
        const c = counts.get(key) ?? new Map<string, number>();
        c.set(ops, (c.get(ops) ?? 0) + 1);
        counts.set(key, c);
      }
    }
  }
  const fusion: Record<string, FusionChoice[]> = {};
  for (const [key, c] of counts) {
    const total = [...c.values()].reduce((a, n) => a + n, 0);
    const kept = [...c].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).filter(([, n], i) => i === 0 || n / total >= MIN_FUSION_SHARE);
    const keptTotal = kept.reduce((a, [, n]) => a + n, 0);
    fusion[key] = kept.map(([ops, n]) => ({ kernels: ops === '' ? [] : ops.split(','), share: n / keptTotal }));
  }
  return fusion;
}

export interface KernelRow {
  /** the runtime op type (kernel rows) or the layer kind (layer rows): which model learns the row */
  opType: string;
  features: number[];
  /** median log(ns / work) over the row's occurrences */
  target: number;
  /** how many times the configuration was measured (in how many variants) */
  count: number;
}

/**
 * A configuration's key in the exact table: two 32-bit hashes of its features at 1e-6 resolution
 * (joining 25 floats as text took most of a prediction's time).
 */
export function featureKey(features: readonly number[]): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (const f of features) {
    const v = Math.round(f * 1e6);
    const lo = v | 0;
    const hi = Math.floor(v / 4294967296) | 0;
    a = Math.imul(a ^ lo, 0x01000193) ^ hi;
    b = Math.imul(b + lo, 0x5bd1e995) ^ (b >>> 13) ^ Math.imul(hi, 0x27d4eb2d);
  }
  return `${(a >>> 0).toString(36)}.${(b >>> 0).toString(36)}`;
}

function groupRows(items: Iterable<{ opType: string; features: number[]; target: number }>): KernelRow[] {
  const groups = new Map<string, { opType: string; features: number[]; targets: number[] }>();
  for (const item of items) {
    const key = `${item.opType}:${featureKey(item.features)}`;
    const g = groups.get(key) ?? { opType: item.opType, features: item.features, targets: [] };
    g.targets.push(item.target);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => ({ opType: g.opType, features: g.features, target: median(g.targets), count: g.targets.length }));
}

/** Each attributed layer of each variant with its kernels and context. */
function* measuredLayers(variants: readonly MeasuredVariant[], context: boolean) {
  for (const v of variants) {
    const layers = new Map(v.layers.map((l) => [l.name, l]));
    const contexts = contextsOf(v.layers, context);
    for (const [name, kernels] of kernelsByLayer(v.kernels)) {
      const layer = layers.get(name);
      if (layer) yield { v, layer, context: contexts.get(name), kernels };
    }
  }
}

/** Training rows of the kernel predictors; identical configurations (the same layer in many variants) become one row at their median. */
export function kernelRows(variants: readonly MeasuredVariant[], withContext = true): KernelRow[] {
  return groupRows(
    (function* () {
      for (const { v, layer, context, kernels } of measuredLayers(variants, withContext)) {
        for (const k of kernels) {
          yield { opType: k.opType, features: kernelFeatures(layer, v.spec, k.ordinal, k.part, context), target: Math.log(Math.max(1, k.medianNs) / layerWork(layer)) };
        }
      }
    })(),
  );
}

/** Training rows of the layer-level models: each attributed layer's total kernel time. */
export function layerRows(variants: readonly MeasuredVariant[], withContext = true): KernelRow[] {
  return groupRows(
    (function* () {
      for (const { v, layer, context, kernels } of measuredLayers(variants, withContext)) {
        const ns = kernels.reduce((a, k) => a + k.medianNs, 0);
        yield { opType: layerModelKey(layer, v.spec), features: kernelFeatures(layer, v.spec, 0, '', context), target: Math.log(Math.max(1, ns) / layerWork(layer)) };
      }
    })(),
  );
}

/**
 * Each model key (runtime op type, or layer kind) gets a linear model of log time per unit of work
 * on the configuration (it extrapolates smoothly in size) and boosted trees on its residuals
 * (interactions: a kernel size that changes the algorithm, a stride, an activation, a channel
 * count off the runtime's block), rows weighted by how often they were measured (at most 4).
 */
export function trainKernels(rows: readonly KernelRow[], options: BoostedTreesOptions): Record<string, KernelModel> {
  const byOp = new Map<string, KernelRow[]>();
  for (const r of rows) byOp.set(r.opType, [...(byOp.get(r.opType) ?? []), r]);
  const models: Record<string, KernelModel> = {};
  for (const [opType, list] of [...byOp].sort((a, b) => a[0].localeCompare(b[0]))) {
    const x = list.map((r) => r.features);
    const y = list.map((r) => r.target);
    let linear: number[] | null = null;
    let boosted: BoostedTrees | null = null;
    if (list.length >= MIN_MODEL_ROWS) {
      const lx = x.map(linearFeatures);
      const w = new MultivariateLinearRegression(
        lx,
        y.map((v) => [v]),
        { statistics: false },
      ).weights.map((r) => r[0]!);
      if (w.every(Number.isFinite)) {
        linear = w;
        boosted = fitBoostedTrees(
          x,
          y.map((v, i) => v - dot(w, lx[i]!)),
          list.map((r) => Math.min(4, r.count)),
          options,
        );
      }
    }
    models[opType] = {
      rows: list.length,
      constant: median(y),
      linear,
      boosted,
      exact: Object.fromEntries(list.map((r) => [featureKey(r.features), r.target])),
      ranges: RANGE_CHECKED_FEATURES.map((i) => [Math.min(...x.map((f) => f[i]!)), Math.max(...x.map((f) => f[i]!))]),
    };
  }
  return models;
}

/** log(ns / work) of one row by a kernel or layer model (`key`: the row's featureKey; `exact`: the model's measured configurations, when used; `trees`: its boosted trees compiled). */
function logRatio(k: KernelModel, features: readonly number[], key: string, exact: ReadonlyMap<string, number> | null, trees: CompiledTrees | undefined): number {
  const hit = exact?.get(key);
  if (hit !== undefined) return hit;
  if (!k.linear) return k.constant;
  return dot(k.linear, linearFeatures(features)) + (trees ? predictCompiled(trees, features) : 0);
}

/** A timed median more than this many times its own profiled kernel sum: the timed runs shared their core with other work. */
export const DISTURBED_TIMED_RATIO = 1.25;

/** What the end-to-end model learns from, per variant: its sums (measured or predicted), kernel count and timed median. */
export interface EndToEndRow {
  kernelSum: number;
  layerSum: number;
  count: number;
  medianNs: number;
}

/** Shares of the layer-level sum the end-to-end model tries (the rest is the kernel-level sum): the two sums are nearly collinear, so their mix is chosen, not regressed. */
const LAYER_SHARES = [0, 0.25, 0.5, 0.75, 1];

/**
 * end-to-end = a · ((1 − s) · Σ kernels + s · Σ layers) + b · kernel count + c, by least squares on
 * relative errors (each row divided by its measured median), the share s the one of `shares`
 * (LAYER_SHARES) that fits best; over the variants whose timed runs agree with their kernels (within
 * DISTURBED_TIMED_RATIO of the kernel sum; all when fewer than 5 do): a timed phase slowed by other
 * work on the core says nothing about the executor. With fewer than 12 variants: Σ kernels plus
 * the median per-kernel overhead.
 */
export function fitEndToEnd(rows: readonly EndToEndRow[], shares: readonly number[] = LAYER_SHARES): EndToEndWeights {
  const undisturbed = rows.filter((r) => r.medianNs <= DISTURBED_TIMED_RATIO * r.kernelSum);
  const use = undisturbed.length >= 5 ? undisturbed : rows;
  const perKernel = median(use.map((r) => (r.medianNs - r.kernelSum) / Math.max(1, r.count)));
  let best: { error: number; weights: EndToEndWeights } = { error: Infinity, weights: [1 - shares[0]!, shares[0]!, perKernel, 0] };
  if (use.length < 12) return best.weights;
  for (const share of shares) {
    const x = use.map((r) => [((1 - share) * r.kernelSum + share * r.layerSum) / r.medianNs, r.count / r.medianNs, 1 / r.medianNs]);
    // columns scaled to unit RMS: a count and a constant divided by nanoseconds are 1e5–1e7 times smaller than the sums
    const scale = [0, 1, 2].map((j) => Math.sqrt(x.reduce((a, xi) => a + xi[j]! ** 2, 0) / x.length) || 1);
    const w = new MultivariateLinearRegression(
      x.map((xi) => xi.map((v, j) => v / scale[j]!)),
      use.map(() => [1]),
      { intercept: false, statistics: false },
    ).weights.map((r, j) => r[0]! / scale[j]!);
    const [a, b, c] = w as [number, number, number];
    if (![a, b, c].every(Number.isFinite)) continue;
    const error = x.reduce((sum, xi) => sum + (a * xi[0]! + b * xi[1]! + c * xi[2]! - 1) ** 2, 0);
    if (error < best.error - 1e-12) best = { error, weights: [a * (1 - share), a * share, b, c] };
  }
  return best.weights;
}

/** The measured kernels of the variant's attributed layers: the end-to-end model's input when it learns from measured sums. */
function measuredSums(v: MeasuredVariant): EndToEndRow {
  const kernels = [...kernelsByLayer(v.kernels).values()].flat();
  const sum = kernels.reduce((a, k) => a + k.medianNs, 0);
  return { kernelSum: sum, layerSum: sum, count: kernels.length, medianNs: v.medianNs };
}

/** Variants into folds by name (a variant's runs always fall together), deterministic: sorted names dealt round-robin. */
export function foldsByVariant(names: readonly string[], folds: number): string[][] {
  const sorted = [...new Set(names)].sort();
  const out = Array.from({ length: Math.min(folds, sorted.length) }, () => [] as string[]);
  sorted.forEach((n, i) => out[i % out.length]!.push(n));
  return out;
}

/** What answers predictions: a kernel predictor, or the end-to-end layer-sum one (latency-predictor.ts). */
export interface LatencyPredictor {
  predict(variant: VariantToPredict): VariantPrediction;
}

/**
 * Each variant predicted by a predictor trained without its fold (folds by variant name: a
 * variant's runs never help predict it); nothing with fewer than 2 folds.
 */
export function outOfFold<T>(
  variants: readonly MeasuredVariant[],
  folds: number,
  fit: (training: readonly MeasuredVariant[]) => LatencyPredictor,
  each: (v: MeasuredVariant, p: VariantPrediction) => T,
): T[] {
  const groups = foldsByVariant(
    variants.map((v) => v.name),
    folds,
  );
  if (groups.length < 2) return [];
  const out: T[] = [];
  for (const group of groups) {
    const held = new Set(group);
    const predictor = fit(variants.filter((v) => !held.has(v.name)));
    for (const v of variants.filter((x) => held.has(x.name))) out.push(each(v, predictor.predict(v)));
  }
  return out;
}

/** Kernel and layer models and the fusion table, without the end-to-end model. */
function fitLevels(variants: readonly MeasuredVariant[], options: KernelModelOptions): PredictorModel {
  return {
    formatVersion: PREDICTOR_FORMAT,
    fusion: learnFusion(variants, options.context),
    kernels: trainKernels(kernelRows(variants, options.context), options.boosted),
    layers: trainKernels(layerRows(variants, options.context), options.boosted),
    exact: options.exact,
    context: options.context,
    endToEnd: [1, 0, 0, 0],
    interval: { low: 0, high: 0 },
    variants: variants.map((v) => v.name).sort(),
  };
}

/**
 * Trains kernel and layer models, the fusion table and the end-to-end model on these variants (no
 * interval yet). With stackFolds ≥ 2 the end-to-end model learns from out-of-fold predicted sums
 * (each variant's by models trained without it), so it corrects the levels' own biases and weighs
 * the two levels by how well they predict unseen variants; otherwise from the measured sums.
 */
export function fitPredictor(variants: readonly MeasuredVariant[], options: KernelModelOptions = DEFAULT_KERNEL_MODEL): PredictorModel {
  if (variants.length === 0) throw new RangeError('no measured variants to train on');
  const model = fitLevels(variants, options);
  const stacked =
    options.stackFolds >= 2 && variants.length >= 12
      ? outOfFold(
          variants,
          options.stackFolds,
          (training) => new KernelPredictor(fitLevels(training, options)),
          (v, p) => ({ kernelSum: p.kernelSumNs, layerSum: p.layerSumNs, count: p.kernelCount, medianNs: v.medianNs }),
        )
      : [];
  model.endToEnd = stacked.length ? fitEndToEnd(stacked) : fitEndToEnd(variants.map(measuredSums), [options.layerShare]);
  return model;
}

/** A layer's predicted kernels and times, the same for every variant that has the layer in the same neighbourhood. */
interface LayerAnswer {
  kernels: PredictedKernel[];
  kernelNs: number;
  /** expected kernel count (fractional where the fusion varies) */
  kernelCount: number;
  layerNs: number;
  /** why the layer is out of range, each to follow the layer's name */
  reasons: string[];
}

/** The range-checked features of a kernel outside the range its model was trained on, described. */
function outOfRangeFeatures(k: KernelModel, features: readonly number[]): string[] {
  const out: string[] = [];
  RANGE_CHECKED_FEATURES.forEach((fi, j) => {
    const [lo, hi] = k.ranges[j]!;
    const value = features[fi]!;
    if (value < lo - 1e-9 || value > hi + 1e-9) out.push(`${KERNEL_FEATURE_NAMES[fi]} ${value.toFixed(2)} outside [${lo.toFixed(2)}, ${hi.toFixed(2)}]`);
  });
  return out;
}

/** Configurations (and layers) a predictor remembers its answers for (variants of one design space share most of their layers). */
const MEMO_SIZE = 200_000;

/** A trained predictor, ready to answer. */
export class KernelPredictor implements LatencyPredictor {
  /** per kernel or layer model: featureKey → log(ns / work), remembered (variants of one design space share most of their layers) */
  private readonly memo = new Map<KernelModel, Map<string, number>>();
  private remembered = 0;
  private readonly compiled = new Map<KernelModel, CompiledTrees>();
  private readonly layerAnswers = new Map<string, LayerAnswer>();

  /** per model, its measured configurations as a Map (a plain object of tens of thousands of keys answers slower) */
  private readonly exact = new Map<KernelModel, Map<string, number>>();

  constructor(readonly model: PredictorModel) {
    for (const k of [...Object.values(model.kernels), ...Object.values(model.layers)]) {
      if (k.boosted) this.compiled.set(k, compileBoostedTrees(k.boosted));
      if (model.exact) this.exact.set(k, new Map(Object.entries(k.exact)));
    }
  }

  /** log(ns / work) by the model `name` of `models`, remembered per configuration. */
  private logRatio(models: Record<string, KernelModel>, name: string, features: readonly number[]): number {
    const k = models[name];
    if (!k) return 0;
    const key = featureKey(features);
    let answers = this.memo.get(k);
    if (!answers) this.memo.set(k, (answers = new Map()));
    const hit = answers.get(key);
    if (hit !== undefined) return hit;
    if (this.remembered >= MEMO_SIZE) {
      for (const m of this.memo.values()) m.clear();
      this.remembered = 0;
    }
    const value = logRatio(k, features, key, this.exact.get(k) ?? null, this.compiled.get(k));
    answers.set(key, value);
    this.remembered++;
    return value;
  }

  /** What a layer's answer depends on: its fusion key (kind and neighbours), its features, its MixConv kernels and dilations. */
  private layerSignature(layer: LayerInfo, spec: KernelSpec, context: LayerContext | undefined, fusionKey: string): string {
    return `${fusionKey}|${featureKey(kernelFeatures(layer, spec, 0, '', context))}|${layer.kernels?.join('.') ?? ''}|${layer.dilations?.join('.') ?? ''}`;
  }

  /** One layer's kernels, expected kernel count and layer-level time, with why it is out of range (without the layer's name); remembered per signature. */
  private layerAnswer(layer: LayerInfo, spec: KernelSpec, context: LayerContext | undefined): LayerAnswer {
    const keys = fusionKeys(layer, spec, context);
    const signature = this.layerSignature(layer, spec, context, keys[0]!);
    const remembered = this.layerAnswers.get(signature);
    if (remembered) return remembered;
    const reasons: string[] = [];
    const level = keys.findIndex((k) => this.model.fusion[k] !== undefined);
    if (level < 0 || level > 1) reasons.push(`: ${level < 0 ? 'no layer of this kind was measured' : 'this exact layer kind was never measured; fusion taken from a similar one'}`);
    const choices = level < 0 ? [] : this.model.fusion[keys[level]!]!;
    const work = layerWork(layer);
    // the expected kernels over the lists the runtime ran for such layers: a kernel in some of them counts by their share
    const expected = new Map<string, { opType: string; ns: number; share: number }>();
    for (const { kernels: list, share } of choices) {
      const seen = new Map<string, number>();
      for (const key of list) {
        const { opType, part } = parseKernelKey(key);
        const ordinal = seen.get(key) ?? 0;
        seen.set(key, ordinal + 1);
        const id = `${key}#${ordinal}`;
        const hit = expected.get(id);
        if (hit) {
          hit.share += share;
          continue;
        }
        const features = kernelFeatures(layer, spec, ordinal, part, context);
        const k = this.model.kernels[opType];
        if (k) reasons.push(...outOfRangeFeatures(k, features).map((r) => ` ${opType}: ${r}`));
        expected.set(id, { opType, ns: Math.exp(this.logRatio(this.model.kernels, opType, features)) * work, share });
      }
    }
    const kernels = [...expected.values()].map((k) => ({ opType: k.opType, predictedNs: k.ns * k.share }));
    const kernelNs = kernels.reduce((a, k) => a + k.predictedNs, 0);
    const layerKey = layerModelKey(layer, spec);
    const layerModel = this.model.layers[layerKey];
    const answer: LayerAnswer = {
      kernels,
      kernelNs,
      kernelCount: [...expected.values()].reduce((a, k) => a + k.share, 0),
      // a layer kind never measured: its layer-level prediction is its kernels' (or nothing, as there)
      layerNs: layerModel && choices.length ? Math.exp(this.logRatio(this.model.layers, layerKey, kernelFeatures(layer, spec, 0, '', context))) * work : kernelNs,
      reasons,
    };
    if (this.layerAnswers.size >= MEMO_SIZE) this.layerAnswers.clear();
    this.layerAnswers.set(signature, answer);
    return answer;
  }

  predict(variant: VariantToPredict): VariantPrediction {
    const outOfRange: string[] = [];
    const contexts = contextsOf(variant.layers, this.model.context);
    let layerSumNs = 0;
    let kernelCount = 0;
    const layers: PredictedLayer[] = variant.layers.map((layer) => {
      const answer = this.layerAnswer(layer, variant.spec, contexts.get(layer.name));
      for (const r of answer.reasons) outOfRange.push(`${layer.name}${r}`);
      layerSumNs += answer.layerNs;
      kernelCount += answer.kernelCount;
      return { layer: layer.name, predictedNs: answer.kernelNs, kernels: answer.kernels.map((k) => ({ ...k })) };
    });
    const kernelSumNs = layers.reduce((a, l) => a + l.predictedNs, 0);
    const [wk, wl, perKernel, intercept] = this.model.endToEnd;
    const kernelsNs = Math.max(1, wk * kernelSumNs + wl * layerSumNs + perKernel * kernelCount + intercept);
    const blend = this.model.blend;
    const medianNs = blend && blend.weight > 0 ? blendedNs(kernelsNs, predictLayerSum(blend.layerSum, variant.layers, variant.spec).medianNs, blend.weight) : kernelsNs;
    return {
      variant: variant.name,
      medianNs,
      intervalLowNs: medianNs * Math.exp(this.model.interval.low),
      intervalHighNs: medianNs * Math.exp(this.model.interval.high),
      kernelSumNs,
      layerSumNs,
      kernelCount,
      overheadNs: medianNs - kernelSumNs,
      layers,
      outOfRange: [...new Set(outOfRange)],
    };
  }
}
