import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PredictorKind } from './latency-predictor.js';
import type { KernelModelOptions, MeasuredVariant } from './predictor.js';
import { trainPredictor, type TrainedPredictor } from './validation.js';

/**
 * Runs trainPredictor in a worker thread (tens of seconds for a few hundred variants: the query
 * service keeps answering meanwhile), or in this thread where no compiled worker exists (specs run
 * from the TypeScript sources).
 */
export class PredictorTrainer {
  private readonly workerFile = fileURLToPath(new URL('./train.worker.js', import.meta.url));

  train(variants: readonly MeasuredVariant[], folds: number, options: KernelModelOptions, kind: PredictorKind = 'kernels'): Promise<TrainedPredictor> {
    if (!existsSync(this.workerFile)) return Promise.resolve(trainPredictor(variants, folds, options, kind));
    return new Promise((resolve, reject) => {
      const worker = new Worker(this.workerFile, { workerData: { variants, folds, options, kind } });
      worker.once('message', (trained: TrainedPredictor) => resolve(trained));
      worker.once('error', reject);
      worker.once('exit', (code) => {
        if (code !== 0) reject(new Error(`predictor training worker exited with code ${code}`));
      });
    });
  }
}
