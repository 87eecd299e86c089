import { elementCount, type LayerInfo } from '../models/index.js';
import type { KernelSpec } from './kernel-features.js';

/**
 * A latency predictor for runtimes that time only whole runs (LiteRT in Wasm, TFLite's benchmark
 * tool without its op profiler, a vendor NPU's end-to-end figure): the end-to-end median as a sum
 * of per-layer costs, each layer's cost linear in its own work by the kind of layer it is, learned
 * from end-to-end medians alone (the classic additive latency model of the NAS lookup tables, with
 * the table's entries replaced by per-class rates so that it reaches unseen shapes):
 *
 *   latency = c + Σ_layers Σ_parts (rate_madds · multiply-adds + rate_elems · elements + rate_layer)
 *
 * A layer's parts: its operation by class (pointwise, grouped pointwise, k×k convolution, depthwise
 * by kernel size; each by channel bucket and stride; a MixConv layer one depthwise part per kernel
 * size and one for its split and join; SE, add, pooling, fully connected; float or int8) and its
 * activation when the runtime runs it as ops of its own (h-swish fused or decomposed, swish; ReLU/ReLU6 fuse into
 * the convolution and get a part too, which the fit leaves at ~0 where they are free). Rates are
 * non-negative (a layer never saves time), fitted by least squares on relative errors with a small
 * ridge: the per-layer breakdown is then the model's attribution, not a measurement.
 */

/** Rates of one part: per multiply-add, per element read or written, per layer (ns). */
type Per = 'madds' | 'elems' | 'layer';

/** Channel-count buckets: a runtime's kernels are less efficient per multiply-add on thin layers (SIMD lanes, blocking). */
const channelBucket = (c: number): string => (c <= 24 ? 'c24' : c <= 64 ? 'c64' : c <= 160 ? 'c160' : c <= 400 ? 'c400' : 'cmax');

/**
 * The operation class of a convolution of `kernel`: pointwise (grouped or not), k×k, or depthwise
 * of that kernel size (dilated apart), with the bucket of its thinner side and stride 2 apart; the
 * data type last. Cross-validation on calibration runs (ONNX Runtime and LiteRT) chose the channel
 * bucket and the stride (test/bench/RESULTS.md, "The layer-sum predictor").
 */
function convClass(layer: LayerInfo, kernel: number, q: string): string {
  const thin = channelBucket(Math.min(layer.inputShape[1] ?? 1, layer.outputShape[1] ?? 1));
  const stride = layer.stride > 1 ? '-s2' : '';
  if (layer.op === 'dwconv') return `dw-k${kernel}${layer.dilations?.some((d) => d > 1) ? '-dilated' : ''}-${thin}${stride}:${q}`;
  if (kernel > 1) return `conv-k-${thin}${stride}:${q}`;
  return `conv-1x1${layer.groups && layer.groups > 1 ? '-grouped' : ''}-${thin}${stride}:${q}`;
}

/** An activation the runtime runs as ops of its own (or fused, where its rate comes out ~0). */
function activationClass(layer: LayerInfo, spec: KernelSpec, q: string): string | null {
  if (!layer.activation || layer.op === 'se') return null;
  const impl = layer.activation === 'hswish' ? `-${spec.hswishImpl}` : '';
  return `act-${layer.activation}${impl}:${q}`;
}

/**
 * A layer's parts with their work: [class, madds, elements]. A MixConv layer is one depthwise part
 * per kernel size (equal channel split: each group's multiply-adds ∝ its kernel's area, its
 * elements an equal share) and a `dw-mix` part for splitting and joining the groups; a runtime may
 * run one kernel size on a slow path (int8 9×9 outside XNNPACK), and only the per-size parts can
 * learn that.
 */
export function layerParts(layer: LayerInfo, spec: KernelSpec): Array<[string, number, number]> {
  const q = spec.quantization === 'none' ? 'f32' : 'int8';
  const elems = elementCount(layer.inputShape) + elementCount(layer.outputShape);
  const parts: Array<[string, number, number]> = [];
  if ((layer.op === 'dwconv' || layer.op === 'conv') && layer.kernels && layer.kernels.length > 1) {
    const area = layer.kernels.reduce((a, k) => a + k * k, 0);
    for (const k of layer.kernels) parts.push([convClass(layer, k, q), (layer.madds * k * k) / area, elems / layer.kernels.length]);
    parts.push([`dw-mix:${q}`, 0, elems]);
  } else if (layer.op === 'conv' || layer.op === 'dwconv') {
    parts.push([convClass(layer, layer.kernel, q), layer.madds, elems]);
  } else {
    parts.push([`${layer.op}:${q}`, layer.madds, elems]);
  }
  if (layer.op === 'se') parts.push([`se-gate-${spec.seGate}:${q}`, 0, elementCount(layer.inputShape)]);
  const act = activationClass(layer, spec, q);
  if (act) parts.push([act, 0, elementCount(layer.outputShape)]);
  return parts;
}

/** The design matrix's column of a part's rate. */
const column = (part: string, per: Per) => `${part}|${per}`;

/** A variant's row: each column's summed work over its layers (and the constant). */
export function layerSumRow(layers: readonly LayerInfo[], spec: KernelSpec): Map<string, number> {
  const row = new Map<string, number>([['const', 1]]);
  const add = (key: string, v: number) => row.set(key, (row.get(key) ?? 0) + v);
  for (const layer of layers) {
    for (const [part, madds, elems] of layerParts(layer, spec)) {
      if (madds > 0) add(column(part, 'madds'), madds);
      add(column(part, 'elems'), elems);
      add(column(part, 'layer'), 1);
    }
  }
  return row;
}

export interface LayerSumModel {
  /** column names, `part|madds`, `part|elems`, `part|layer` and `const` */
  columns: string[];
  /** ns per unit of each column's work, ≥ 0 */
  rates: number[];
  /** per part: the range of its work per variant (multiply-adds + elements) in the training variants, [min, max] */
  ranges: Record<string, [number, number]>;
}

/**
 * Minimises Σ_i ((a_i · x − b_i) / b_i)² + λ‖D x‖² over x ≥ 0 (D: each column's RMS in the scaled
 * problem, so that the ridge treats columns alike) by cyclic coordinate descent on the normal
 * equations: exact per coordinate, converges for a positive definite system.
 */
export function nonNegativeRidge(rows: readonly number[][], targets: readonly number[], lambda: number, sweeps = 4000): number[] {
  const m = rows[0]?.length ?? 0;
  const scaled = rows.map((r, i) => r.map((v) => v / targets[i]!));
  const norm = Array.from({ length: m }, (_, j) => Math.sqrt(scaled.reduce((a, r) => a + r[j]! ** 2, 0) / Math.max(1, scaled.length)) || 1);
  const a = scaled.map((r) => r.map((v, j) => v / norm[j]!));
  const g = Array.from({ length: m }, (_, j) => Array.from({ length: m }, (_, k) => a.reduce((s, r) => s + r[j]! * r[k]!, 0) + (j === k ? lambda * a.length : 0)));
  const h = Array.from({ length: m }, (_, j) => a.reduce((s, r) => s + r[j]!, 0));
  const x = new Array<number>(m).fill(0);
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let moved = 0;
    for (let j = 0; j < m; j++) {
      if (g[j]![j]! <= 0) continue;
      let grad = -h[j]!;
      for (let k = 0; k < m; k++) grad += g[j]![k]! * x[k]!;
      const next = Math.max(0, x[j]! - grad / g[j]![j]!);
      moved = Math.max(moved, Math.abs(next - x[j]!));
      x[j] = next;
    }
    if (moved < 1e-10) break;
  }
  return x.map((v, j) => v / norm[j]!);
}

/** Ridge strength (relative to the rows): enough to settle columns that move together (a class's per-layer and per-element rates), small against the fit. */
export const LAYER_SUM_RIDGE = 1e-4;

/** Fits the per-class rates to these variants' end-to-end medians. */
export function fitLayerSum(variants: ReadonlyArray<{ layers: readonly LayerInfo[]; spec: KernelSpec; medianNs: number }>, lambda = LAYER_SUM_RIDGE): LayerSumModel {
  const rows = variants.map((v) => layerSumRow(v.layers, v.spec));
  const columns = [...new Set(rows.flatMap((r) => [...r.keys()]))].sort();
  const rates = nonNegativeRidge(
    rows.map((r) => columns.map((c) => r.get(c) ?? 0)),
    variants.map((v) => v.medianNs),
    lambda,
  );
  const ranges: Record<string, [number, number]> = {};
  for (const v of variants) {
    const perPart = new Map<string, number>();
    for (const layer of v.layers) for (const [part, madds, elems] of layerParts(layer, v.spec)) perPart.set(part, (perPart.get(part) ?? 0) + madds + elems);
    for (const [part, work] of perPart) {
      const r = ranges[part];
      ranges[part] = r ? [Math.min(r[0], work), Math.max(r[1], work)] : [work, work];
    }
  }
  return { columns, rates, ranges };
}

/** Each model's rates by column, built once per model: a kernel predictor's blend asks for every variant it predicts. */
const rateMaps = new WeakMap<LayerSumModel, Map<string, number>>();
function ratesOf(model: LayerSumModel): Map<string, number> {
  let rates = rateMaps.get(model);
  if (!rates) rateMaps.set(model, (rates = new Map(model.columns.map((c, i) => [c, model.rates[i]!]))));
  return rates;
}

export interface LayerSumAnswer {
  medianNs: number;
  constantNs: number;
  layers: Array<{ layer: string; predictedNs: number; parts: Array<{ part: string; predictedNs: number }> }>;
  outOfRange: string[];
}

/** The model's sum for a variant, layer by layer, with the parts it never learned a rate for (and work beyond what it was trained on) named. */
export function predictLayerSum(model: LayerSumModel, layers: readonly LayerInfo[], spec: KernelSpec): LayerSumAnswer {
  const rate = ratesOf(model);
  const outOfRange = new Set<string>();
  const perPart = new Map<string, number>();
  const out = layers.map((layer) => {
    const parts = layerParts(layer, spec).map(([part, madds, elems]) => {
      if (!model.ranges[part]) outOfRange.add(`${layer.name}: no ${part} layer was measured`);
      perPart.set(part, (perPart.get(part) ?? 0) + madds + elems);
      const ns = (rate.get(column(part, 'madds')) ?? 0) * madds + (rate.get(column(part, 'elems')) ?? 0) * elems + (rate.get(column(part, 'layer')) ?? 0);
      return { part, predictedNs: ns };
    });
    return { layer: layer.name, predictedNs: parts.reduce((a, p) => a + p.predictedNs, 0), parts };
  });
  for (const [part, work] of perPart) {
    const r = model.ranges[part];
    if (r && (work < r[0] * 0.999 || work > r[1] * 1.001))
      outOfRange.add(`${part}: work per variant ${work.toExponential(2)} outside [${r[0].toExponential(2)}, ${r[1].toExponential(2)}]`);
  }
  const constantNs = rate.get('const') ?? 0;
  return { medianNs: Math.max(1, constantNs + out.reduce((a, l) => a + l.predictedNs, 0)), constantNs, layers: out, outOfRange: [...outOfRange] };
}
