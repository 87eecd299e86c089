import type { LayerInfo } from './layer-info.js';
import { buildNetwork } from './network-builder.js';
import { OnnxGraph } from './onnx-graph.js';
import { resolvePlan } from './plan-resolver.js';
import type { PublishedFigures } from './published-figures.js';
import type { NormalizedVariantSpec, VariantSpec } from './spec-types.js';
import { resolveVariantSpec, variantName } from './variant-spec.js';

export const INPUT_NAME = 'input';
export const OUTPUT_NAME = 'logits';

export interface VariantDescription {
  /** canonical variant name (variantName) */
  name: string;
  family: string;
  /** normalized: every applicable knob filled */
  spec: NormalizedVariantSpec;
  resolution: number;
  inputName: string;
  outputName: string;
  inputShape: number[];
  outputShape: number[];
  madds: number;
  params: number;
  layers: LayerInfo[];
  /** the paper's figures, when the variant is a published model unchanged */
  published?: PublishedFigures;
}

/** The variant's graph and its description: weights only when `withWeights` (the emitters need them). */
export function assemble(input: VariantSpec | string, withWeights: boolean): { description: VariantDescription; graph: OnnxGraph } {
  const { family, entry, spec } = resolveVariantSpec(input);
  const name = variantName(spec);
  const template = family.template(entry, spec);
  const plan = resolvePlan(template, spec, family.defaults(entry, spec.width));
  const graph = new OnnxGraph({
    name,
    withWeights,
    metadata: { 'latfleet.variant': name, 'latfleet.spec': JSON.stringify(spec) },
  });
  const layers = buildNetwork(
    graph,
    plan,
    { seed: spec.seed, hswishImpl: spec.hswishImpl, quantization: spec.quantization },
    {
      input: INPUT_NAME,
      output: OUTPUT_NAME,
    },
  );
  const classes = layers[layers.length - 1]!.outputShape[1]!;
  const description: VariantDescription = {
    name,
    family: family.family,
    spec,
    resolution: spec.resolution,
    inputName: INPUT_NAME,
    outputName: OUTPUT_NAME,
    inputShape: [1, 3, spec.resolution, spec.resolution],
    outputShape: [1, classes],
    madds: layers.reduce((sum, l) => sum + l.madds, 0),
    params: layers.reduce((sum, l) => sum + l.params, 0),
    layers,
    ...(name === entry.name && entry.published ? { published: entry.published } : {}),
  };
  return { description, graph };
}

/** Names, shapes, per-layer MAdds and params; no weights are generated (fast). */
export function describeVariant(spec: VariantSpec | string): VariantDescription {
  return assemble(spec, false).description;
}
