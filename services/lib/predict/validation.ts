import { spearman } from '../measure/rank-correlation.js';
import { fitModel, predictorOf, type AnyPredictorModel, type PredictorKind } from './latency-predictor.js';
import { fitLayerSum } from './layer-sum.js';
import { blendedNs, DEFAULT_KERNEL_MODEL, foldsByVariant, outOfFold, quantile, type KernelModelOptions, type MeasuredVariant, type PredictorModel } from './predictor.js';

export { foldsByVariant };

/** How well a predictor does on variants it never saw. */
export interface PredictorAccuracy {
  heldOutVariants: number;
  folds: number;
  /** share of held-out variants predicted within ±5% / ±10% of their measured median, in percent */
  within5Pct: number;
  within10Pct: number;
  /** root mean square of the percentage errors */
  rmspePct: number;
  medianAbsErrorPct: number;
  /** Spearman ρ between predicted and measured medians; null when undefined (fewer than 3 variants) */
  spearmanRho: number | null;
}

export interface HeldOutPrediction {
  variant: string;
  family: string;
  measuredNs: number;
  predictedNs: number;
  /** (predicted − measured) / measured, percent */
  errorPct: number;
}

export function accuracyOf(rows: readonly Pick<HeldOutPrediction, 'measuredNs' | 'predictedNs'>[], folds: number): PredictorAccuracy {
  const errors = rows.map((r) => (r.predictedNs - r.measuredNs) / r.measuredNs);
  const share = (limit: number) => (rows.length ? (100 * errors.filter((e) => Math.abs(e) <= limit).length) / rows.length : 0);
  return {
    heldOutVariants: rows.length,
    folds,
    within5Pct: share(0.05),
    within10Pct: share(0.1),
    rmspePct: rows.length ? 100 * Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / rows.length) : 0,
    medianAbsErrorPct: rows.length ? 100 * quantile(errors.map(Math.abs), 0.5) : 0,
    spearmanRho:
      spearman(
        rows.map((r) => r.predictedNs),
        rows.map((r) => r.measuredNs),
      )?.rho ?? null,
  };
}

/** Weights of the layer-sum answer in a kernel predictor's blend that cross-validation tries. */
export const BLEND_WEIGHTS = [0, 0.25, 0.5, 0.75, 1];

/**
 * The blend weight whose held-out answers have the least squared log error (ties: the smaller
 * weight). On the fifth session's ONNX Runtime calibration (481 variants) cross-validation chose
 * 0.5, and on 244 unseen variants that blend had 41.0% within ±5% against 29.5% for the kernels
 * alone (test/bench/RESULTS.md, "Seventh session"): the two models err on different variants.
 */
export function bestBlendWeight(kernels: readonly HeldOutPrediction[], layerSum: readonly HeldOutPrediction[]): number {
  const error = (w: number) => kernels.reduce((a, k, i) => a + Math.log(blendedNs(k.predictedNs, layerSum[i]!.predictedNs, w) / k.measuredNs) ** 2, 0);
  return BLEND_WEIGHTS.reduce((best, w) => (error(w) < error(best) - 1e-12 ? w : best), BLEND_WEIGHTS[0]!);
}

export interface TrainedPredictor {
  model: AnyPredictorModel;
  accuracy: PredictorAccuracy | null;
  heldOut: HeldOutPrediction[];
}

/**
 * Cross-validation held out by variant: each fold's variants are predicted by a predictor trained on
 * the others; the final predictor is trained on all, and its interval is the 2.5–97.5% quantiles of
 * the held-out log errors. Fewer than 2 variants: no validation (accuracy null, interval empty).
 */
export function trainPredictor(
  variants: readonly MeasuredVariant[],
  folds = 5,
  options: KernelModelOptions = DEFAULT_KERNEL_MODEL,
  kind: PredictorKind = 'kernels',
): TrainedPredictor {
  const predictedBy = (k: PredictorKind) =>
    outOfFold(
      variants,
      folds,
      (training) => predictorOf(fitModel(k, training, options)),
      (v, p): HeldOutPrediction => ({ variant: v.name, family: v.family, measuredNs: v.medianNs, predictedNs: p.medianNs, errorPct: 0 }),
    );
  let heldOut = predictedBy(kind);
  const model = fitModel(kind, variants, options);
  if (kind === 'kernels' && options.blend && heldOut.length >= 2) {
    // the same folds (by name): each variant's layer-sum answer beside its kernel one, the weight the one that predicts the held-out variants best
    const layerSum = predictedBy('layer-sum');
    const weight = bestBlendWeight(heldOut, layerSum);
    heldOut = heldOut.map((h, i) => ({ ...h, predictedNs: blendedNs(h.predictedNs, layerSum[i]!.predictedNs, weight) }));
    (model as PredictorModel).blend = { weight, layerSum: fitLayerSum(variants) };
  }
  heldOut = heldOut.map((h) => ({ ...h, errorPct: (100 * (h.predictedNs - h.measuredNs)) / h.measuredNs }));
  if (heldOut.length >= 2) {
    const logs = heldOut.map((h) => Math.log(h.measuredNs / h.predictedNs));
    model.interval = { low: Math.min(0, quantile(logs, 0.025)), high: Math.max(0, quantile(logs, 0.975)) };
  }
  return { model, accuracy: heldOut.length >= 2 ? accuracyOf(heldOut, Math.min(folds, new Set(variants.map((v) => v.name)).size)) : null, heldOut };
}
