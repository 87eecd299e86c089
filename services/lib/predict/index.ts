export { channelLayout, fusionKeys, kernelFeatures, KERNEL_FEATURE_NAMES, layerContexts, layerWork } from './kernel-features.js';
export { DEFAULT_BOOSTED_TREES, fitBoostedTrees, predictBoostedTrees } from './boosted-trees.js';
export type { BoostedTrees, BoostedTreesOptions } from './boosted-trees.js';
export type { KernelSpec, LayerContext } from './kernel-features.js';
export {
  DEFAULT_KERNEL_MODEL,
  DISTURBED_TIMED_RATIO,
  featureKey,
  fitEndToEnd,
  fitPredictor,
  PREDICTOR_FORMAT,
  KernelPredictor,
  kernelRows,
  kernelsByLayer,
  layerRows,
  learnFusion,
  outOfFold,
} from './predictor.js';
export type {
  EndToEndRow,
  EndToEndWeights,
  KernelModelOptions,
  LatencyPredictor,
  MeasuredKernel,
  MeasuredVariant,
  PredictedKernel,
  PredictedLayer,
  Prediction,
  PredictorModel,
  VariantToPredict,
} from './predictor.js';
export { accuracyOf, foldsByVariant, trainPredictor } from './validation.js';
export { fitModel, LayerSumPredictor, PREDICTOR_KINDS, predictorOf } from './latency-predictor.js';
export type { AnyPredictorModel, LayerSumPredictorModel, PredictorKind } from './latency-predictor.js';
export { fitLayerSum, layerParts, layerSumRow, nonNegativeRidge, predictLayerSum } from './layer-sum.js';
export type { LayerSumModel } from './layer-sum.js';
export type { HeldOutPrediction, PredictorAccuracy, TrainedPredictor } from './validation.js';
export { PredictorTrainer } from './predictor-trainer.js';
export { LIVE_LEVEL_RUNS, liveLevel, MIN_LIVE_LEVEL_RUNS } from './live-level.js';
export type { LiveLevel, LiveRun } from './live-level.js';
