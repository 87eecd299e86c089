import { elementCount, type LayerInfo, type LayerOp, type LayerRole } from '../layer-info.js';
import { ModelSpecError } from '../model-spec.error.js';
import { inspectTflite, type TfliteSummary } from '../tflite/index.js';
import type { ImportedNetwork } from './imported-network.js';
import { staticShape } from './onnx-import.js';

const WEIGHTED = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);

/**
 * Whether a constant input holds learned parameters: float32 or (quantized files) int8/uint8
 * weights, and a weighted operator's int32 bias (input 2) — not the int32 shapes, axes and paddings
 * that RESHAPE, MEAN and PAD read.
 */
function isParameter(op: string, inputIndex: number, type: string): boolean {
  if (type === 'float32' || type === 'int8' || type === 'uint8') return true;
  return type === 'int32' && inputIndex === 2 && WEIGHTED.has(op);
}

/** Builder op and role of a TFLite operator, where it is one the builder knows. */
const KINDS: Record<string, { op: LayerOp; role: LayerRole }> = {
  CONV_2D: { op: 'conv', role: 'other' },
  DEPTHWISE_CONV_2D: { op: 'dwconv', role: 'depthwise' },
  FULLY_CONNECTED: { op: 'fc', role: 'classifier' },
  MEAN: { op: 'pool', role: 'pool' },
  AVERAGE_POOL_2D: { op: 'pool', role: 'pool' },
  MAX_POOL_2D: { op: 'pool', role: 'pool' },
};

/**
 * A TFLite file a user brings: its one float32 input's shape static (or given), one layer per
 * operator named by its output tensor (as TFLite's op profiler names it), MAdds of convolutions and
 * fully connected layers from the tensors' shapes (TFLite stores every tensor's shape), parameters
 * from the constant weights and biases each operator reads (float32, or int8 with int32 biases).
 */
export function importTflite(bytes: Uint8Array, givenShape: number[] | undefined): ImportedNetwork {
  let model: TfliteSummary;
  try {
    model = inspectTflite(bytes);
  } catch (error) {
    throw new ModelSpecError('file', `not a valid TFLite model (${(error as Error).message})`);
  }
  if (model.operators.length === 0) throw new ModelSpecError('file', 'not a valid TFLite model (no operators in its first subgraph)');
  if (model.inputs.length !== 1) throw new ModelSpecError('file', `unsupported: ${model.inputs.length} inputs; latfleet feeds one input tensor`);
  const byName = new Map(model.tensors.map((t) => [t.name, t]));
  const input = byName.get(model.inputs[0]!)!;
  if (input.type !== 'float32') throw new ModelSpecError('file', `unsupported: input '${input.name}' is ${input.type}, not float32`);
  const inputShape = staticShape(
    input.name,
    input.shape.map((d) => (d > 0 ? d : '?')),
    givenShape,
  );
  const counted = new Set<string>();
  const layers = model.operators.map((o, index): LayerInfo => {
    const name = o.outputs[0] || `${o.op}_${index}`;
    const out = byName.get(o.outputs[0] ?? '')?.shape ?? [];
    const weight = byName.get(o.inputs[1] ?? '')?.shape ?? [];
    let madds = 0;
    if (o.op === 'CONV_2D') madds = elementCount(out) * elementCount(weight.slice(1));
    if (o.op === 'DEPTHWISE_CONV_2D') madds = elementCount(out) * (weight[1] ?? 1) * (weight[2] ?? 1);
    if (o.op === 'FULLY_CONNECTED') madds = elementCount(out) * (weight[1] ?? 0);
    let params = 0;
    for (const [k, i] of o.inputs.entries()) {
      const t = byName.get(i);
      if (!t || t.bytes === 0 || elementCount(t.shape) <= 1 || counted.has(i) || !isParameter(o.op, k, t.type)) continue;
      counted.add(i);
      params += elementCount(t.shape);
    }
    const kind = KINDS[o.op] ?? { op: 'other', role: 'other' };
    const kernel = o.op === 'CONV_2D' || o.op === 'DEPTHWISE_CONV_2D' ? Math.max(weight[1] ?? 1, weight[2] ?? 1) : kind.op === 'fc' ? 1 : 0;
    return {
      name,
      block: name.includes('/') || name.includes('.') ? name.slice(0, Math.max(name.lastIndexOf('/'), name.lastIndexOf('.'))) || name : name,
      role: o.op === 'CONV_2D' && kernel === 1 ? 'pointwise' : kind.role,
      op: kind.op,
      kernel,
      stride: 1,
      activation: null,
      inputShape: byName.get(o.inputs[0] ?? '')?.shape ?? [],
      outputShape: out,
      madds,
      params,
      nodes: [name],
    };
  });
  return { format: 'tflite', inputName: input.name, inputShape, layers };
}
