import { fitLayerSum, predictLayerSum, type LayerSumModel } from './layer-sum.js';
import {
  DEFAULT_KERNEL_MODEL,
  fitPredictor,
  KernelPredictor,
  PREDICTOR_FORMAT,
  type KernelModelOptions,
  type LatencyPredictor,
  type MeasuredVariant,
  type PredictorModel,
  type VariantPrediction,
  type VariantToPredict,
} from './predictor.js';

/**
 * Which model a predictor is: `kernels` learns every runtime kernel from profiled runs (ONNX
 * Runtime's per-node profile) and sums them; `layer-sum` learns per-layer rates from end-to-end
 * medians alone, for runtimes that time only whole runs (LiteRT, a phone's TFLite benchmark
 * without its op profiler).
 */
export const PREDICTOR_KINDS = ['kernels', 'layer-sum'] as const;
export type PredictorKind = (typeof PREDICTOR_KINDS)[number];

export interface LayerSumPredictorModel {
  formatVersion: typeof PREDICTOR_FORMAT;
  kind: 'layer-sum';
  layerSum: LayerSumModel;
  /** quantiles of log(measured / predicted) on held-out variants: the prediction interval */
  interval: { low: number; high: number };
  variants: string[];
}

/** A stored predictor's model (kernel models stored before `kind` existed are kernel models). */
export type AnyPredictorModel = (PredictorModel & { kind?: 'kernels' }) | LayerSumPredictorModel;

/** The end-to-end layer-sum model as a predictor: the per-layer breakdown is its attribution (each part's rate × work), the rest its constant. */
export class LayerSumPredictor implements LatencyPredictor {
  constructor(readonly model: LayerSumPredictorModel) {}

  predict(variant: VariantToPredict): VariantPrediction {
    const answer = predictLayerSum(this.model.layerSum, variant.layers, variant.spec);
    const layers = answer.layers.map((l) => ({ layer: l.layer, predictedNs: l.predictedNs, kernels: l.parts.map((p) => ({ opType: p.part, predictedNs: p.predictedNs })) }));
    const sum = layers.reduce((a, l) => a + l.predictedNs, 0);
    return {
      variant: variant.name,
      medianNs: answer.medianNs,
      intervalLowNs: answer.medianNs * Math.exp(this.model.interval.low),
      intervalHighNs: answer.medianNs * Math.exp(this.model.interval.high),
      kernelSumNs: sum,
      layerSumNs: sum,
      kernelCount: 0,
      overheadNs: answer.medianNs - sum,
      layers,
      outOfRange: answer.outOfRange,
    };
  }
}

/** Fits a model of this kind to the variants (no interval yet). */
export function fitModel(kind: PredictorKind, variants: readonly MeasuredVariant[], options: KernelModelOptions = DEFAULT_KERNEL_MODEL): AnyPredictorModel {
  if (kind === 'kernels') return { ...fitPredictor(variants, options), kind };
  if (variants.length === 0) throw new RangeError('no measured variants to train on');
  return {
    formatVersion: PREDICTOR_FORMAT,
    kind,
    layerSum: fitLayerSum(variants),
    interval: { low: 0, high: 0 },
    variants: variants.map((v) => v.name).sort(),
  };
}

/** The predictor of a stored or fitted model. */
export function predictorOf(model: AnyPredictorModel): LatencyPredictor {
  return model.kind === 'layer-sum' ? new LayerSumPredictor(model) : new KernelPredictor(model);
}
