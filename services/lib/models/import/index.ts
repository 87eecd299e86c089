import { createHash } from 'node:crypto';
import type { LayerInfo } from '../layer-info.js';
import { formatOfBytes, type ModelFormat } from '../model-format.js';
import { ModelSpecError } from '../model-spec.error.js';
import { importOnnx } from './onnx-import.js';
import { importTflite } from './tflite-import.js';

export type { ImportedNetwork } from './imported-network.js';

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
  const network = format === 'tflite' ? importTflite(bytes, options.inputShape) : importOnnx(bytes, options.inputShape);
  const shape = network.inputShape;
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
