import { createHash } from 'node:crypto';
import type { LayerInfo } from '../layer-info.js';
import { formatOfBytes, type ModelFormat } from '../model-format.js';
import { ModelSpecError } from '../model-spec.error.js';
import { importOnnx } from './onnx-import.js';
import { importTflite } from './tflite-import.js';

import type { ImportedNetwork } from './imported-network.js';

export type { ImportedNetwork };

/** The family every imported model is listed under. */
export const IMPORTED_FAMILY = 'imported';

export interface ImportedModel {
  sha256: string;
  name: string;
  family: typeof IMPORTED_FAMILY;
  format: ModelFormat;
  inputName: string;
  inputShape: number[];
  /** the input's height for an image input (NCHW for ONNX, NHWC for TFLite); 0 otherwise */
  resolution: number;
  madds: number;
  params: number;
  layers: LayerInfo[];
}

/** Dimensions and counts a stored model can hold (Postgres int for shapes, exact doubles for MAdds and params). */
const MAX_DIMENSION = 2 ** 31 - 1;

/** A file that parses may still claim sizes no network has (a damaged or hostile one): refuse them before they reach the database. */
function checkPlausible(network: ImportedNetwork): void {
  const dims = [network.inputShape, ...network.layers.flatMap((l) => [l.inputShape, l.outputShape])].flat();
  if (dims.some((d) => !Number.isSafeInteger(d) || d > MAX_DIMENSION))
    throw new ModelSpecError('file', `a tensor dimension is above ${MAX_DIMENSION}: not a network latfleet can measure`);
  for (const key of ['madds', 'params'] as const) {
    const total = network.layers.reduce((n, l) => n + l[key], 0);
    if (!Number.isSafeInteger(total) || total < 0)
      throw new ModelSpecError('file', `${key === 'madds' ? 'MAdds' : 'parameters'} add up to ${total}: not a network latfleet can measure`);
  }
}

/** Model names a study can give: letters, digits and `._-`, not 64 hex digits (that is a sha256). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function checkImportName(name: string): void {
  if (!NAME.test(name)) throw new ModelSpecError('name', 'expected 1-100 letters, digits, dots, dashes or underscores, starting with a letter or digit');
  if (/^[0-9a-f]{64}$/.test(name)) throw new ModelSpecError('name', 'looks like a sha256; choose a name a study can tell from one');
}

/**
 * A model file a user brings (ONNX, or TFLite by its `TFL3` identifier), read and checked: it
 * parses, has one float input with a static shape (or `inputShape` fills its open dimensions), and
 * every node's output shape can be inferred. Throws a ModelSpecError naming the problem otherwise.
 */
export function importModel(bytes: Uint8Array, options: { name: string; inputShape?: number[] }): ImportedModel {
  checkImportName(options.name);
  if (bytes.byteLength === 0) throw new ModelSpecError('file', 'empty');
  const format = formatOfBytes(bytes.subarray(0, 8));
  let network: ImportedNetwork;
  try {
    network = format === 'tflite' ? importTflite(bytes, options.inputShape) : importOnnx(bytes, options.inputShape);
  } catch (error) {
    if (error instanceof ModelSpecError) throw error;
    // a file that parses but holds what no valid model holds (a missing attribute, a wrong type): still the file's fault
    throw new ModelSpecError('file', `not a ${format === 'tflite' ? 'TFLite' : 'ONNX'} model latfleet can read (${(error as Error).message})`);
  }
  const shape = network.inputShape;
  checkPlausible(network);
  const resolution = shape.length === 4 ? (format === 'tflite' ? shape[1]! : shape[2]!) : 0;
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    name: options.name,
    family: IMPORTED_FAMILY,
    format,
    inputName: network.inputName,
    inputShape: shape,
    resolution,
    madds: network.layers.reduce((n, l) => n + l.madds, 0),
    params: network.layers.reduce((n, l) => n + l.params, 0),
    layers: network.layers,
  };
}
