import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { buildTflite, buildVariant, type BuiltTfliteVariant, type BuiltVariant } from './index.js';
import { ModelSpecError } from './model-spec.error.js';
import type { VariantSpec } from './spec-types.js';

/** One model to build: a variant's spec in the format a device runs. */
export interface BuildRequest {
  /** a spec, or a variant name */
  spec: VariantSpec | string;
  format: 'onnx' | 'tflite';
}

export type BuiltModel = BuiltVariant | BuiltTfliteVariant;

/** A built model's file, in whichever format it was built. */
export const builtBytes = (b: BuiltModel): Uint8Array => ('tflite' in b ? b.tflite : b.onnx);

/** What the worker posts back: every model, or the first spec it could not build (by index). */
export type BuildAnswer = { ok: true; built: BuiltModel[] } | { ok: false; index: number; specError: boolean; message: string };

/** Builds the models in order in this thread; a ModelSpecError names the request it came from. */
export function buildAll(requests: readonly BuildRequest[]): BuildAnswer {
  const built: BuiltModel[] = [];
  for (const [index, r] of requests.entries()) {
    try {
      built.push(r.format === 'tflite' ? buildTflite(r.spec) : buildVariant(r.spec));
    } catch (error) {
      if (error instanceof ModelSpecError) return { ok: false, index, specError: true, message: error.message };
      return { ok: false, index, specError: false, message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    }
  }
  return { ok: true, built };
}

/** A build that failed on one request (`index`): the spec's own error (a ModelSpecError: `specError`) or the builder's. */
export class ModelBuildError extends Error {
  constructor(
    readonly index: number,
    readonly specError: boolean,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Builds variants in a worker thread: a study's models take seconds to minutes to build (an int8
 * TFLite variant is calibrated and quantized), and the query service that builds them must keep
 * answering health checks, scrapes and other requests meanwhile. Where no compiled worker exists
 * (specs run from the TypeScript sources) it builds in this thread. The bytes come back
 * transferred, not copied.
 */
export class ModelBuilder {
  private readonly workerFile = fileURLToPath(new URL('./build.worker.js', import.meta.url));

  async build(requests: readonly BuildRequest[]): Promise<BuiltModel[]> {
    // nothing to build (a study without vendor-format variants asks for their ONNX twins): no worker started
    if (requests.length === 0) return [];
    const answer = existsSync(this.workerFile) ? await this.inWorker(requests) : buildAll(requests);
    if (!answer.ok) throw new ModelBuildError(answer.index, answer.specError, answer.message);
    return answer.built;
  }

  private inWorker(requests: readonly BuildRequest[]): Promise<BuildAnswer> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(this.workerFile, { workerData: { requests } });
      worker.once('message', (answer: BuildAnswer) => resolve(answer));
      worker.once('error', reject);
      worker.once('exit', (code) => {
        if (code !== 0) reject(new Error(`model build worker exited with code ${code}`));
      });
    });
  }
}
