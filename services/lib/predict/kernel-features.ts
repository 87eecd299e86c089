import { elementCount, type LayerInfo, type LayerOp, type NormalizedVariantSpec } from '../models/index.js';
import { fnv1a } from '../models/prng.js';

/** What of a variant's spec changes the kernels of a layer beyond its LayerInfo. */
export type KernelSpec = Pick<NormalizedVariantSpec, 'quantization' | 'hswishImpl' | 'seGate'>;

const OPS: readonly LayerOp[] = ['conv', 'dwconv', 'se', 'add', 'pool', 'fc'];
const ACTIVATIONS = ['relu', 'relu6', 'hswish', 'swish'];
const QUANTIZATIONS = ['none', 'int8', 'int8-per-channel'];
const HSWISH_IMPLS = ['fused', 'decomposed', 'swish'];

export const KERNEL_FEATURE_NAMES = [
  'op',
  'log2Cin',
  'log2Cout',
  'log2Hin',
  'log2Hout',
  'log2Mid',
  'kernel',
  'stride',
  'log2Groups',
  'kernelGroups',
  'dilated',
  'activation',
  'hswishImpl',
  'seGate',
  'quantization',
  'ordinal',
  'log2Work',
  'part',
  'groupKernel',
  'cinMod16',
  'coutMod16',
  'prevLayout',
  'nextLayout',
  'prevOp',
  'nextOp',
] as const;

/** Indices of the features whose training range is checked at prediction (shape and size, not codes). */
export const RANGE_CHECKED_FEATURES = ['log2Cin', 'log2Cout', 'log2Hin', 'log2Mid', 'kernel', 'log2Work'].map((n) =>
  KERNEL_FEATURE_NAMES.indexOf(n as (typeof KERNEL_FEATURE_NAMES)[number]),
);

const code = (list: readonly string[], value: string | null | undefined) => (value == null ? 0 : list.indexOf(value) + 1 || list.length + 1);
const log2 = (x: number) => Math.log2(Math.max(1, x));

/** A MixConv group's own kernel size (`conv.<i>` runs the i-th of layer.kernels); the layer's kernel otherwise. */
function groupKernel(layer: LayerInfo, part: string): number {
  const group = /(?:^|\.)conv\.(\d+)$/.exec(part);
  return group && layer.kernels ? (layer.kernels[Number(group[1])] ?? layer.kernel) : layer.kernel;
}

/** SE layers record their squeeze width only through MAdds: 2·C·squeeze. */
function middleChannels(layer: LayerInfo): number {
  const c = layer.inputShape[1] ?? 1;
  return layer.op === 'se' ? layer.madds / (2 * c) : 0;
}

/**
 * The size a kernel's time scales with, roughly: multiply-adds plus the elements it reads and
 * writes. Kernel predictors learn time per unit of work (in log space), so a configuration slightly
 * beyond the training range extrapolates proportionally instead of flat.
 */
export function layerWork(layer: LayerInfo): number {
  return Math.max(1, layer.madds + elementCount(layer.inputShape) + elementCount(layer.outputShape));
}

/** The layers before and after a layer in the variant's order: whether the runtime reorders a tensor between them depends on both. */
export interface LayerContext {
  prev: LayerInfo | null;
  next: LayerInfo | null;
}

const NO_CONTEXT: LayerContext = { prev: null, next: null };

/** Each layer's neighbours, by name. */
export function layerContexts(layers: readonly LayerInfo[]): Map<string, LayerContext> {
  return new Map(layers.map((l, i) => [l.name, { prev: layers[i - 1] ?? null, next: layers[i + 1] ?? null }]));
}

/**
 * How a layer's channels fit the blocked layouts CPU runtimes use (ONNX Runtime's NCHWc: blocks of
 * 16 channels with AVX-512, 8 with AVX2; a convolution whose channels do not fit runs unblocked and
 * its neighbours reorder their tensors): 2 when input and output channels are multiples of 16, 1 of
 * 8, 0 otherwise; −1 for no layer.
 */
export function channelLayout(layer: LayerInfo | null): number {
  if (!layer) return -1;
  const cin = layer.inputShape[1] ?? 1;
  const cout = layer.outputShape[1] ?? 1;
  return cin % 16 === 0 && cout % 16 === 0 ? 2 : cin % 8 === 0 && cout % 8 === 0 ? 1 : 0;
}

/**
 * Numeric configuration of one runtime kernel: the logical layer it was attributed to (shapes,
 * kernel, stride, groups, channels, activation, data type), which of the layer's kernels of this
 * op type it is, and its neighbours' kind and channel layout. The runtime op type itself selects
 * the predictor, so it is not a feature.
 */
export function kernelFeatures(layer: LayerInfo, spec: KernelSpec, ordinal: number, part = '', context: LayerContext = NO_CONTEXT): number[] {
  const [, cin = 1, hin = 1] = layer.inputShape;
  const [, cout = 1, hout = 1] = layer.outputShape;
  const groups = layer.op === 'dwconv' ? cin : (layer.groups ?? 1);
  return [
    OPS.indexOf(layer.op),
    log2(cin),
    log2(cout),
    log2(hin),
    log2(hout),
    log2(middleChannels(layer)),
    layer.kernel,
    layer.stride,
    log2(groups),
    layer.kernels?.length ?? 1,
    layer.dilations?.some((d) => d > 1) ? 1 : 0,
    code(ACTIVATIONS, layer.activation),
    code(HSWISH_IMPLS, spec.hswishImpl),
    layer.op === 'se' ? code(['sigmoid', 'hardsigmoid'], spec.seGate) : 0,
    code(QUANTIZATIONS, spec.quantization),
    ordinal,
    log2(layerWork(layer)),
    fnv1a(part) % 9973,
    groupKernel(layer, part),
    cin % 16,
    cout % 16,
    channelLayout(context.prev),
    channelLayout(context.next),
    context.prev ? OPS.indexOf(context.prev.op) : -1,
    context.next ? OPS.indexOf(context.next.op) : -1,
  ];
}

/**
 * Keys of the fusion table, finest first: what decides which kernels the runtime runs for a layer.
 * The finest include the channel layout of the layer and its neighbours (ONNX Runtime's NCHWc
 * layout needs multiples of its block and reorders tensors between blocked and unblocked layers);
 * coarser keys are the fallbacks for a layer whose exact kind was never run.
 */
export function fusionKeys(layer: LayerInfo, spec: KernelSpec, context: LayerContext = NO_CONTEXT): string[] {
  const cin = layer.inputShape[1] ?? 1;
  const cout = layer.outputShape[1] ?? 1;
  const act = layer.activation ?? '-';
  const hswish = act === 'hswish' || layer.op === 'se' ? spec.hswishImpl : '-';
  const gate = layer.op === 'se' ? spec.seGate : '-';
  const coarse = [layer.op, layer.role, act, hswish, gate, spec.quantization, layer.kernel > 1 ? 'k' : '1', layer.kernels && layer.kernels.length > 1 ? 'mix' : '-'];
  const fine = [
    ...coarse,
    layer.kernel,
    layer.stride,
    layer.groups && layer.groups > 1 ? `g${layer.groups}` : '-',
    layer.dilations?.some((d) => d > 1) ? 'dil' : '-',
    `c${cin % 16 === 0 ? 16 : cin % 8 === 0 ? 8 : 1}`,
    `o${cout % 16 === 0 ? 16 : cout % 8 === 0 ? 8 : 1}`,
    layer.kernels?.length ?? 1,
  ];
  const neighbours = [`p${context.prev?.op ?? '-'}${channelLayout(context.prev)}`, `n${context.next?.op ?? '-'}${channelLayout(context.next)}`];
  return [[...fine, ...neighbours].join('|'), fine.join('|'), coarse.join('|'), [layer.op, spec.quantization].join('|')];
}

/** What the linear part of a kernel model sees: sizes (log), kernel, stride and position; categories are left to its tree. */
const LINEAR = ['log2Work', 'log2Cin', 'log2Cout', 'log2Hout', 'log2Mid', 'kernel', 'groupKernel', 'stride', 'ordinal'].map((n) =>
  KERNEL_FEATURE_NAMES.indexOf(n as (typeof KERNEL_FEATURE_NAMES)[number]),
);

export function linearFeatures(features: readonly number[]): number[] {
  return LINEAR.map((i) => features[i]!);
}
