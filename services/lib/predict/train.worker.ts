import { parentPort, workerData } from 'node:worker_threads';
import type { PredictorKind } from './latency-predictor.js';
import type { KernelModelOptions, MeasuredVariant } from './predictor.js';
import { trainPredictor } from './validation.js';

/** Trains off the query service's event loop: the same trainPredictor, its answer posted back. */
const { variants, folds, options, kind } = workerData as { variants: MeasuredVariant[]; folds: number; options: KernelModelOptions; kind: PredictorKind };
parentPort!.postMessage(trainPredictor(variants, folds, options, kind));
