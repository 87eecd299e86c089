export { fusionKeys, kernelFeatures, KERNEL_FEATURE_NAMES, layerWork } from './kernel-features.js';
export type { KernelSpec } from './kernel-features.js';
export { DEFAULT_KERNEL_MODEL, fitPredictor, PREDICTOR_FORMAT, KernelPredictor, kernelRows, kernelsByLayer, learnFusion } from './predictor.js';
export type { KernelModelOptions, MeasuredKernel, MeasuredVariant, PredictedKernel, PredictedLayer, Prediction, PredictorModel, VariantToPredict } from './predictor.js';
export { accuracyOf, foldsByVariant, trainPredictor } from './validation.js';
export type { HeldOutPrediction, PredictorAccuracy, TrainedPredictor } from './validation.js';
export { PredictorTrainer } from './predictor-trainer.js';
