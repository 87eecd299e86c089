import pkg from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { elementCount, type LayerInfo, type LayerOp, type LayerRole } from '../layer-info.js';
import { ModelSpecError } from '../model-spec.error.js';
import type { ImportedNetwork } from './imported-network.js';

const { onnx } = pkg;

type Shape = number[];
type Long = { toString(): string };
const num = (x: number | Long | null | undefined): number => (typeof x === 'number' ? x : x == null ? 0 : Number(x.toString()));
const FLOAT = 1;
const INT64 = 7;
const INT32 = 6;

/** Elementwise ops with one data input: the output has the input's shape. */
const UNARY = new Set([
  'Relu',
  'Clip',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'LeakyRelu',
  'Elu',
  'Selu',
  'Gelu',
  'Softmax',
  'LogSoftmax',
  'Identity',
  'Dropout',
  'Sqrt',
  'Exp',
  'Log',
  'Erf',
  'Neg',
  'Abs',
  'Reciprocal',
  'Softplus',
  'Mish',
  'BatchNormalization',
  'InstanceNormalization',
  'LayerNormalization',
  'LRN',
  'Cast',
  'Floor',
  'Ceil',
  'Round',
  'Not',
  'Sign',
]);
/** Elementwise ops with numpy broadcasting. */
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'PRelu', 'Sum', 'Mean', 'Where', 'Equal', 'Greater', 'Less', 'And', 'Or']);
const REDUCE = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2']);

/** What shape inference knows about a tensor: its shape, and its values when it is a small integer constant (shapes, axes, pads). */
interface Known {
  shape: Shape;
  ints?: number[];
  /** an initializer or Constant: its elements count as parameters of the node that reads it */
  constant?: boolean;
  float?: boolean;
}

interface NodeCost {
  outputs: Shape[];
  madds: number;
  kernel: number;
  stride: number;
  op: LayerOp;
  role: LayerRole;
  groups?: number;
  dilations?: number[];
}

/** Attribute values by name. */
function attributes(node: OnnxTypes.INodeProto): Map<string, OnnxTypes.IAttributeProto> {
  return new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]));
}

function intsOf(t: OnnxTypes.ITensorProto): number[] | undefined {
  const type = t.dataType ?? 0;
  if (type !== INT64 && type !== INT32) return undefined;
  if (t.rawData && t.rawData.length > 0) {
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    const size = type === INT64 ? 8 : 4;
    if (t.rawData.byteLength > 8 * 64) return undefined;
    return Array.from({ length: t.rawData.byteLength / size }, (_, i) => (type === INT64 ? Number(view.getBigInt64(i * size, true)) : view.getInt32(i * size, true)));
  }
  return type === INT64 ? (t.int64Data ?? []).map(num) : (t.int32Data ?? []).map(num);
}

function tensorKnown(t: OnnxTypes.ITensorProto): Known {
  const ints = intsOf(t);
  return { shape: (t.dims ?? []).map(num), constant: true, float: (t.dataType ?? 0) === FLOAT, ...(ints ? { ints } : {}) };
}

function broadcast(shapes: Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => Math.max(...shapes.map((s) => s[s.length - rank + i] ?? 1)));
}

const normalizeAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/** Output spatial sizes of a convolution or pooling window (auto_pad, pads, strides, dilations, ceil_mode). */
function windowOutput(input: Shape, kernel: number[], a: Map<string, OnnxTypes.IAttributeProto>): { spatial: number[]; strides: number[]; dilations: number[] } {
  const n = kernel.length;
  const strides = a.get('strides')?.ints?.map(num) ?? Array<number>(n).fill(1);
  const dilations = a.get('dilations')?.ints?.map(num) ?? Array<number>(n).fill(1);
  const pads = a.get('pads')?.ints?.map(num) ?? Array<number>(2 * n).fill(0);
  const autoPad = new TextDecoder().decode(a.get('auto_pad')?.s ?? new Uint8Array()) || 'NOTSET';
  const ceil = num(a.get('ceil_mode')?.i) === 1;
  const spatial = kernel.map((k, i) => {
    const size = input[2 + i]!;
    const s = strides[i]!;
    const effective = (k - 1) * dilations[i]! + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(size / s);
    if (autoPad === 'VALID') return Math.floor((size - effective) / s) + 1;
    const span = size + pads[i]! + pads[i + n]! - effective;
    return (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  });
  return { spatial, strides, dilations };
}

class UnsupportedNode extends Error {}

/** Output shapes and multiply-adds of one node from its inputs' shapes (and constant values where a shape depends on them). */
function inferNode(node: OnnxTypes.INodeProto, inputs: Array<Known | undefined>): NodeCost {
  const op = node.opType ?? '';
  const a = attributes(node);
  const need = (k: Known | undefined, what: string): Known => {
    if (!k) throw new UnsupportedNode(`the shape of its ${what} is unknown`);
    return k;
  };
  const plain = (outputs: Shape[], extra: Partial<NodeCost> = {}): NodeCost => ({ outputs, madds: 0, kernel: 0, stride: 1, op: 'other', role: 'other', ...extra });
  switch (op) {
    case 'Conv': {
      const input = need(inputs[0], 'input').shape;
      const weight = need(inputs[1], 'weight').shape;
      const group = num(a.get('group')?.i) || 1;
      const kernel = weight.slice(2);
      const { spatial, strides, dilations } = windowOutput(input, kernel, a);
      const out = [input[0]!, weight[0]!, ...spatial];
      const depthwise = group > 1 && group === input[1] && weight[1] === 1;
      const k = Math.max(...kernel.map((kk, i) => (kk - 1) * dilations[i]! + 1));
      return {
        outputs: [out],
        madds: elementCount(out) * weight[1]! * elementCount(kernel),
        kernel: k,
        stride: Math.max(...strides),
        op: depthwise ? 'dwconv' : 'conv',
        role: depthwise ? 'depthwise' : elementCount(kernel) === 1 ? 'pointwise' : 'other',
        ...(group > 1 && !depthwise ? { groups: group } : {}),
        ...(dilations.some((d) => d > 1) ? { dilations } : {}),
      };
    }
    case 'Gemm': {
      const A = need(inputs[0], 'input').shape;
      const B = need(inputs[1], 'weight').shape;
      const [m, k] = num(a.get('transA')?.i) ? [A[1]!, A[0]!] : [A[0]!, A[1]!];
      const n = num(a.get('transB')?.i) ? B[0]! : B[1]!;
      return plain([[m, n]], { madds: m * k * n, op: 'fc', role: 'classifier', kernel: 1 });
    }
    case 'MatMul': {
      const A = need(inputs[0], 'input').shape;
      const B = need(inputs[1], 'second input').shape;
      if (A.length < 2 || B.length < 2) throw new UnsupportedNode('MatMul of vectors is not supported');
      const batch = broadcast([A.slice(0, -2), B.slice(0, -2)]);
      const out = [...batch, A[A.length - 2]!, B[B.length - 1]!];
      return plain([out], { madds: elementCount(out) * A[A.length - 1]!, op: 'fc', role: inputs[1]?.constant ? 'classifier' : 'other', kernel: 1 });
    }
    case 'MaxPool':
    case 'AveragePool': {
      const input = need(inputs[0], 'input').shape;
      const kernel = (a.get('kernel_shape')?.ints ?? []).map(num);
      const { spatial, strides } = windowOutput(input, kernel, a);
      const outputs: Shape[] = [[input[0]!, input[1]!, ...spatial]];
      if ((node.output ?? []).length > 1) outputs.push(outputs[0]!);
      return plain(outputs, { op: 'pool', role: 'pool', kernel: Math.max(...kernel), stride: Math.max(...strides) });
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool': {
      const input = need(inputs[0], 'input').shape;
      return plain([[input[0]!, input[1]!, ...input.slice(2).map(() => 1)]], { op: 'pool', role: 'pool', kernel: input[2] ?? 1 });
    }
    case 'Flatten': {
      const input = need(inputs[0], 'input').shape;
      const axis = normalizeAxis(num(a.get('axis')?.i ?? 1), input.length);
      return plain([[elementCount(input.slice(0, axis)), elementCount(input.slice(axis))]]);
    }
    case 'Reshape': {
      const input = need(inputs[0], 'input').shape;
      const target = inputs[1]?.ints;
      if (!target) throw new UnsupportedNode('its target shape is not a constant');
      const out = target.map((d, i) => (d === 0 ? input[i]! : d));
      const free = out.indexOf(-1);
      if (free >= 0) out[free] = elementCount(input) / elementCount(out.filter((d) => d !== -1));
      return plain([out]);
    }
    case 'Transpose': {
      const input = need(inputs[0], 'input').shape;
      const perm = a.get('perm')?.ints?.map(num) ?? input.map((_, i) => input.length - 1 - i);
      return plain([perm.map((p) => input[p]!)]);
    }
    case 'Concat': {
      const shapes = inputs.map((k, i) => need(k, `input ${i}`).shape);
      const axis = normalizeAxis(num(a.get('axis')?.i), shapes[0]!.length);
      const out = [...shapes[0]!];
      out[axis] = shapes.reduce((n, s) => n + s[axis]!, 0);
      return plain([out]);
    }
    case 'Split': {
      const input = need(inputs[0], 'input').shape;
      const axis = normalizeAxis(num(a.get('axis')?.i), input.length);
      const count = (node.output ?? []).length;
      const sizes = a.get('split')?.ints?.map(num) ?? inputs[1]?.ints ?? Array<number>(count).fill(input[axis]! / count);
      return plain(sizes.map((size) => input.map((d, i) => (i === axis ? size : d))));
    }
    case 'Squeeze':
    case 'Unsqueeze': {
      const input = need(inputs[0], 'input').shape;
      const axes = a.get('axes')?.ints?.map(num) ?? inputs[1]?.ints;
      if (op === 'Squeeze') {
        const drop = new Set((axes ?? input.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((ax) => normalizeAxis(ax, input.length)));
        return plain([input.filter((_, i) => !drop.has(i))]);
      }
      if (!axes) throw new UnsupportedNode('its axes are not a constant');
      const rank = input.length + axes.length;
      const add = new Set(axes.map((ax) => normalizeAxis(ax, rank)));
      const rest = [...input];
      return plain([Array.from({ length: rank }, (_, i) => (add.has(i) ? 1 : rest.shift()!))]);
    }
    case 'Pad': {
      const input = need(inputs[0], 'input').shape;
      const pads = a.get('pads')?.ints?.map(num) ?? inputs[1]?.ints;
      if (!pads) throw new UnsupportedNode('its pads are not a constant');
      return plain([input.map((d, i) => d + pads[i]! + pads[i + input.length]!)]);
    }
    case 'Constant': {
      const t = a.get('value')?.t;
      if (!t) throw new UnsupportedNode('only a tensor `value` is supported');
      return plain([(t.dims ?? []).map(num)]);
    }
  }
  if (REDUCE.has(op)) {
    const input = need(inputs[0], 'input').shape;
    const axes = a.get('axes')?.ints?.map(num) ?? inputs[1]?.ints ?? input.map((_, i) => i);
    const keep = num(a.get('keepdims')?.i ?? 1) === 1;
    const reduced = new Set(axes.map((ax) => normalizeAxis(ax, input.length)));
    const out = keep ? input.map((d, i) => (reduced.has(i) ? 1 : d)) : input.filter((_, i) => !reduced.has(i));
    const spatial = input.length === 4 && reduced.has(2) && reduced.has(3);
    return plain([out], spatial ? { op: 'pool', role: 'pool', kernel: input[2]! } : {});
  }
  if (UNARY.has(op)) return plain([need(inputs[0], 'input').shape]);
  if (BROADCAST.has(op)) {
    const shapes = inputs.map((k, i) => need(k, `input ${i}`).shape);
    const residual = op === 'Add' && inputs.every((k) => !k?.constant);
    return plain([broadcast(shapes)], residual ? { op: 'add', role: 'residual' } : {});
  }
  throw new UnsupportedNode('its operator is not one latfleet can infer shapes for');
}

/** Parameters a node reads: the float constants among its inputs (weights, biases, scales), each counted once per model. */
function paramsOf(node: OnnxTypes.INodeProto, inputs: Array<Known | undefined>, counted: Set<string>): number {
  let n = 0;
  (node.input ?? []).forEach((name, i) => {
    const k = inputs[i];
    if (!k?.constant || !k.float || counted.has(name)) return;
    // scalars (Clip bounds, a constant 3 or 6) are part of the op, not learned parameters
    if (elementCount(k.shape) <= 1) return;
    // BatchNormalization's running mean and variance are statistics, not parameters
    if (node.opType === 'BatchNormalization' && i >= 3) return;
    counted.add(name);
    n += elementCount(k.shape);
  });
  return n;
}

/** The layer's block: its name's enclosing scope (`/features/features.3/conv/Conv` -> `/features/features.3/conv`), else the name. */
function blockOf(name: string): string {
  const cut = Math.max(name.lastIndexOf('/'), name.lastIndexOf('.'));
  return cut > 0 ? name.slice(0, cut) : name;
}

function parse(bytes: Uint8Array): OnnxTypes.ModelProto {
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new ModelSpecError('file', `not a valid ONNX model (protobuf: ${(error as Error).message})`);
  }
  if (!model.graph || num(model.irVersion) <= 0 || (model.graph.node ?? []).length === 0) {
    throw new ModelSpecError('file', 'not a valid ONNX model (no IR version or no graph nodes)');
  }
  return model;
}

/**
 * An ONNX file a user brings: parsed, its one float input's shape static (or given), every node's
 * output shape inferred in graph order (value_info fills in for ops the inference does not know),
 * and one layer per node, named as ONNX Runtime names it in a profile (the node's name, or
 * `<OpType>_<index>` for an unnamed node), with its MAdds and parameters.
 */
export function importOnnx(bytes: Uint8Array, givenShape: number[] | undefined): ImportedNetwork {
  const model = parse(bytes);
  const graph = model.graph!;
  const known = new Map<string, Known>();
  for (const t of graph.initializer ?? []) known.set(t.name ?? '', tensorKnown(t));
  const inputs = (graph.input ?? []).filter((i) => !known.has(i.name ?? ''));
  if (inputs.length !== 1) {
    throw new ModelSpecError('file', `unsupported: ${inputs.length} graph inputs (${inputs.map((i) => i.name).join(', ')}); latfleet feeds one input tensor`);
  }
  const input = inputs[0]!;
  const inputName = input.name ?? '';
  const tensorType = input.type?.tensorType;
  if (!tensorType || tensorType.elemType !== FLOAT) throw new ModelSpecError('file', `unsupported: input '${inputName}' is not a float32 tensor`);
  const dims = (tensorType.shape?.dim ?? []).map((d) => (d.dimValue != null && num(d.dimValue) > 0 ? num(d.dimValue) : d.dimParam || '?'));
  const inputShape = staticShape(inputName, dims, givenShape);
  known.set(inputName, { shape: inputShape });
  const declared = new Map<string, Shape>();
  for (const v of [...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    const d = v.type?.tensorType?.shape?.dim;
    if (d && d.every((x) => x.dimValue != null && num(x.dimValue) > 0))
      declared.set(
        v.name ?? '',
        d.map((x) => num(x.dimValue)),
      );
  }

  const counted = new Set<string>();
  const layers: LayerInfo[] = [];
  (graph.node ?? []).forEach((node, index) => {
    const opType = node.opType ?? '';
    const name = node.name || `${opType}_${index}`;
    if (node.domain && node.domain !== 'ai.onnx') throw new ModelSpecError('file', `unsupported: node '${name}' is ${node.domain}.${opType}, not a standard ONNX operator`);
    const ins = (node.input ?? []).map((i) => (i === '' ? undefined : known.get(i)));
    let cost: NodeCost;
    try {
      cost = inferNode(node, ins);
    } catch (error) {
      if (!(error instanceof UnsupportedNode)) throw error;
      const outs = (node.output ?? []).map((o) => declared.get(o));
      if (outs.some((o) => o === undefined)) {
        throw new ModelSpecError('file', `cannot infer the output shape of node '${name}' (${opType}): ${error.message}, and the file gives no static shape for it`);
      }
      cost = { outputs: outs as Shape[], madds: 0, kernel: 0, stride: 1, op: 'other', role: 'other' };
    }
    (node.output ?? []).forEach((o, i) => {
      const shape = cost.outputs[i];
      if (!shape || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
        throw new ModelSpecError('file', `node '${name}' (${opType}): output ${i} has no static shape (${shape ? `[${shape.join(', ')}]` : 'unknown'})`);
      }
      const constant = opType === 'Constant' ? tensorKnown(attributes(node).get('value')!.t!) : undefined;
      known.set(o, constant ?? { shape });
    });
    if (opType === 'Constant') return;
    const params = paramsOf(node, ins, counted);
    layers.push({
      name,
      block: blockOf(name),
      role: cost.role,
      op: cost.op,
      kernel: cost.kernel,
      stride: cost.stride,
      ...(cost.groups ? { groups: cost.groups } : {}),
      ...(cost.dilations ? { dilations: cost.dilations } : {}),
      activation: null,
      inputShape: ins[0]?.shape ?? [],
      outputShape: cost.outputs[0]!,
      madds: cost.madds,
      params,
      nodes: [name],
    });
  });
  return { format: 'onnx', inputName, inputShape, layers };
}

/** The input shape the runners feed: the file's, or the one given where the file leaves a dimension open. */
export function staticShape(inputName: string, dims: Array<number | string>, given: number[] | undefined): number[] {
  const shown = `[${dims.join(', ')}]`;
  if (!given) {
    if (dims.length === 0 || dims.some((d) => typeof d !== 'number')) {
      throw new ModelSpecError(
        'inputShape',
        `input '${inputName}' has a dynamic shape ${shown}; give a static one (inputShape, e.g. ${dims.map((d) => (typeof d === 'number' ? d : 1)).join(',')})`,
      );
    }
    return dims as number[];
  }
  if (given.length !== dims.length) throw new ModelSpecError('inputShape', `[${given.join(', ')}] has rank ${given.length}; input '${inputName}' is ${shown}`);
  given.forEach((d, i) => {
    if (typeof dims[i] === 'number' && dims[i] !== d) throw new ModelSpecError('inputShape', `[${given.join(', ')}] differs from input '${inputName}' ${shown} at dimension ${i}`);
  });
  return given;
}
