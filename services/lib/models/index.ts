import { createHash } from 'node:crypto';
import { ACTIVATION_PRESETS } from './activation-spec.js';
import { FAMILIES } from './families/index.js';
import type { PublishedFigures } from './published-figures.js';
import { calibrate, CALIBRATION_SAMPLES, onnxToTflite } from './tflite/index.js';
import type { VariantSpec } from './spec-types.js';
import { allModels } from './variant-spec.js';
import { assemble, describeVariant, type VariantDescription } from './variant-description.js';

export { elementCount } from './layer-info.js';
export type { LayerInfo, LayerOp, LayerRole } from './layer-info.js';
export type { FigureSource, PublishedFigures, Rounding } from './published-figures.js';
export type { HswishImpl, Quantization } from './spec-types.js';
export type { NormalizedVariantSpec, SePlacement, VariantSpec } from './spec-types.js';
export { ModelSpecError } from './model-spec.error.js';
export { parseVariantSpec, variantName } from './variant-spec.js';
export { ACTIVATION_PRESETS } from './activation-spec.js';
export { FORMAT_NAME, formatOfBytes, isBuiltFormat, MODEL_FORMATS } from './model-format.js';
export type { ModelFormat } from './model-format.js';
export { inspectModel, ONNX_IR_VERSION, ONNX_OPSET } from './onnx-graph.js';
export type { ModelSummary } from './onnx-graph.js';
export { inspectTflite, TFLITE_SCHEMA_VERSION } from './tflite/index.js';
export type { TfliteSummary } from './tflite/index.js';
export { describeVariant, INPUT_NAME, OUTPUT_NAME, type VariantDescription } from './variant-description.js';

export interface BuiltVariant extends VariantDescription {
  onnx: Uint8Array;
  sha256: string;
}

/** The same variant as TFLite: NHWC input `[1, R, R, 3]`, same weights, same layers, MAdds and params. */
export interface BuiltTfliteVariant extends VariantDescription {
  tflite: Uint8Array;
  sha256: string;
}

export interface ModelListing {
  name: string;
  family: string;
  aliases: string[];
  resolution: number;
  width: number;
  depth: number;
  published?: PublishedFigures;
}

export interface FamilyListing {
  family: string;
  description: string;
  models: string[];
  /** VariantSpec fields the family accepts besides `model` */
  knobs: string[];
  activationPresets: string[];
}

const UNIVERSAL_KNOBS = [
  'resolution',
  'width',
  'depth',
  'stem',
  'activation',
  'hswishImpl',
  'se',
  'seWidth',
  'seGate',
  'kernels',
  'channelSplit',
  'dilated',
  'quantization',
  'seed',
] as const;

/** The ONNX model: same spec, byte-identical bytes. */
export function buildVariant(spec: VariantSpec | string): BuiltVariant {
  const { description, graph } = assemble(spec, true);
  const onnx = graph.encode();
  return { ...description, onnx, sha256: createHash('sha256').update(onnx).digest('hex') };
}

/**
 * The TFLite model of the same plan and seeded weights as `buildVariant`: the float ONNX graph built
 * in memory, lowered op by op (tflite/onnx-to-tflite.ts). A quantized variant is its float twin
 * quantized as TFLite's full-integer post-training quantization does (int8 activations from a
 * seeded calibration, int8 weights per channel or per tensor, float input and output). Same spec,
 * byte-identical bytes.
 */
export function buildTflite(spec: VariantSpec | string): BuiltTfliteVariant {
  const description = describeVariant(spec);
  const { quantization, seed } = description.spec;
  const model = assemble({ ...description.spec, quantization: 'none' }, true).graph.toModel();
  const metadata: Record<string, string> = { 'latfleet.variant': description.name, 'latfleet.spec': JSON.stringify(description.spec) };
  if (quantization !== 'none') {
    metadata['latfleet.quantization'] = JSON.stringify({
      scheme: 'tflite full-integer int8',
      weights: quantization === 'int8-per-channel' ? 'per-channel' : 'per-tensor',
      calibration: { samples: CALIBRATION_SAMPLES, input: 'uniform [-1, 1]', seed, statistic: 'min-max' },
    });
  }
  const tflite = onnxToTflite(model, {
    description: `latfleet ${description.name}`,
    metadata,
    ...(quantization === 'none' ? {} : { int8: { ranges: calibrate(model, seed), perChannel: quantization === 'int8-per-channel' } }),
  });
  return {
    ...description,
    inputShape: [1, description.resolution, description.resolution, 3],
    tflite,
    sha256: createHash('sha256').update(tflite).digest('hex'),
  };
}

export function listFamilies(): FamilyListing[] {
  return FAMILIES.map((f) => ({
    family: f.family,
    description: f.description,
    models: f.models.map((m) => m.name),
    knobs: [...UNIVERSAL_KNOBS, ...f.knobs],
    activationPresets: [...ACTIVATION_PRESETS],
  }));
}

export function listModels(): ModelListing[] {
  return allModels().map(({ entry }) => ({
    name: entry.name,
    family: entry.family,
    aliases: [...(entry.aliases ?? [])],
    resolution: entry.resolution,
    width: entry.width,
    depth: entry.depth,
    ...(entry.published ? { published: entry.published } : {}),
  }));
}

export { MAX_STUDY_VARIANTS, parseStudySpec } from './study-spec.js';
export type { ImportedModelLookup, ImportedModelRef, StudySpec, StudyVariant } from './study-spec.js';
export { builtinStudy, listBuiltinStudies } from './builtin-studies.js';
export { checkImportName, importModel, IMPORTED_FAMILY } from './import/index.js';
export type { ImportedModel } from './import/index.js';
export type { StudySpecInput } from './builtin-studies.js';
