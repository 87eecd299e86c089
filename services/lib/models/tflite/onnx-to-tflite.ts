import type { Builder } from 'flatbuffers';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { ActivationFunctionType, BuiltinOptions, type FusedActivation, Padding } from './tflite-schema.js';
import { TfliteModelWriter } from './tflite-writer.js';

/**
 * Lowers the builder's ONNX graph (NCHW, our op subset, float32) to TFLite (NHWC), keeping every
 * tensor's name and the seeded weights. TFLite's converter conventions: ReLU/ReLU6 fused into the
 * CONV_2D, DEPTHWISE_CONV_2D or ADD they follow, HARD_SWISH as its own op, global average pooling
 * as MEAN over H and W, hard-sigmoid as ADD(+3, fused ReLU6) then MUL(1/6), explicit PAD before
 * a VALID convolution where TF's SAME padding would pad differently from the ONNX symmetric pads.
 */

interface Value {
  index: number;
  /** TFLite shape (NHWC for rank 4) */
  shape: number[];
}

type Node = OnnxTypes.INodeProto;
type Initializer = OnnxTypes.ITensorProto;

const bytesOf = (a: Float32Array | Int32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function floatsOf(t: Initializer): Float32Array {
  const raw = t.rawData!;
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

function int64sOf(t: Initializer): number[] {
  const raw = t.rawData!;
  return Array.from(new BigInt64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), Number);
}

function attr(node: Node, name: string): OnnxTypes.IAttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}
const ints = (node: Node, name: string, fallback: number[]): number[] => attr(node, name)?.ints?.map(Number) ?? fallback;
const int = (node: Node, name: string, fallback: number): number => {
  const a = attr(node, name);
  return a?.i === undefined || a.i === null ? fallback : Number(a.i);
};

const fusedOptions = (type: number, fused: FusedActivation) => ({
  type,
  write: (b: Builder) => {
    b.startObject(1);
    b.addFieldInt8(0, ActivationFunctionType[fused], 0);
    return b.endObject();
  },
});

export interface LoweringOptions {
  description: string;
  metadata: Record<string, string>;
}

export function onnxToTflite(model: OnnxTypes.IModelProto, options: LoweringOptions): Uint8Array {
  return new Lowering(model).encode(options);
}

class Lowering {
  private readonly w = new TfliteModelWriter();
  private readonly values = new Map<string, Value>();
  private readonly initializers = new Map<string, Initializer>();
  private readonly consumers = new Map<string, Node[]>();
  private readonly fused = new Set<Node>();
  private readonly graph: OnnxTypes.IGraphProto;

  constructor(model: OnnxTypes.IModelProto) {
    this.graph = model.graph!;
    for (const t of this.graph.initializer ?? []) this.initializers.set(t.name!, t);
    for (const n of this.graph.node ?? []) for (const i of n.input ?? []) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
  }

  encode(o: LoweringOptions): Uint8Array {
    const inputs = (this.graph.input ?? []).map((vi) => {
      const dims = vi.type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue));
      if (dims.length !== 4) throw new Error(`input ${vi.name}: rank ${dims.length}, expected NCHW`);
      const [n, c, h, w] = dims as [number, number, number, number];
      const shape = [n, h, w, c];
      const index = this.w.tensor(vi.name!, shape);
      this.values.set(vi.name!, { index, shape });
      return index;
    });
    for (const node of this.graph.node ?? []) if (!this.fused.has(node)) this.lower(node);
    const outputs = (this.graph.output ?? []).map((vi) => this.value(vi.name!).index);
    for (const [key, value] of Object.entries(o.metadata)) this.w.addMetadata(key, value);
    return this.w.encode({ description: o.description, subgraph: this.graph.name ?? 'main', inputs, outputs });
  }

  private value(name: string): Value {
    const v = this.values.get(name);
    if (v) return v;
    const t = this.initializers.get(name);
    if (!t) throw new Error(`tensor ${name} is neither computed nor an initializer`);
    // shared scalars (const.three, const.six, ...)
    const dims = (t.dims ?? []).map(Number);
    if (dims.length !== 0 || t.dataType !== 1) throw new Error(`initializer ${name} used as an operand: only float scalars are`);
    const index = this.w.constant(name, [], 'float32', () => bytesOf(floatsOf(t)));
    const scalar = { index, shape: [] };
    this.values.set(name, scalar);
    return scalar;
  }

  private scalarValue(name: string): number | undefined {
    const t = this.initializers.get(name);
    return t && (t.dims ?? []).length === 0 && t.dataType === 1 ? floatsOf(t)[0] : undefined;
  }

  private output(name: string, shape: number[]): number {
    const index = this.w.tensor(name, shape);
    this.values.set(name, { index, shape });
    return index;
  }

  /** The ReLU or ReLU6 that alone consumes `tensor`, fused into its producer. */
  private fusableActivation(tensor: string): { node: Node; fused: FusedActivation } | null {
    const users = this.consumers.get(tensor) ?? [];
    if (users.length !== 1) return null;
    const user = users[0]!;
    if (user.opType === 'Relu') return { node: user, fused: 'RELU' };
    if (user.opType === 'Clip' && this.isRelu6(user)) return { node: user, fused: 'RELU6' };
    return null;
  }

  private isRelu6(clip: Node): boolean {
    return this.scalarValue(clip.input![1]!) === 0 && this.scalarValue(clip.input![2]!) === 6;
  }

  /** Output tensor named after the producer; a fused activation's output maps to the same tensor. */
  private fusedOutput(node: Node, shape: number[]): { index: number; fused: FusedActivation } {
    const out = node.output![0]!;
    const index = this.output(out, shape);
    const act = this.fusableActivation(out);
    if (!act) return { index, fused: 'NONE' };
    this.fused.add(act.node);
    this.values.set(act.node.output![0]!, { index, shape });
    return { index, fused: act.fused };
  }

  private lower(node: Node): void {
    const inputs = node.input ?? [];
    const out = node.output![0]!;
    const unary = (op: 'LOGISTIC' | 'HARD_SWISH' | 'RELU' | 'RELU6') => {
      const x = this.value(inputs[0]!);
      this.w.operator({ op, version: 1, inputs: [x.index], outputs: [this.output(out, x.shape)] });
    };
    switch (node.opType) {
      case 'Conv':
        return this.conv(node);
      case 'Relu':
        return unary('RELU');
      case 'Clip':
        if (!this.isRelu6(node)) throw new Error(`${node.name}: only Clip(0, 6) lowers (to RELU6)`);
        return unary('RELU6');
      case 'Sigmoid':
        return unary('LOGISTIC');
      case 'HardSwish':
        return unary('HARD_SWISH');
      case 'Add':
      case 'Mul':
      case 'Div':
        return this.binary(node);
      case 'HardSigmoid':
        return this.hardSigmoid(node);
      case 'GlobalAveragePool':
        return this.mean(node);
      case 'Split':
        return this.split(node);
      case 'Concat':
        return this.concat(node);
      case 'Flatten':
        return this.flatten(node);
      case 'Gemm':
        return this.fullyConnected(node);
      default:
        throw new Error(`${node.name}: ONNX ${node.opType} has no TFLite lowering`);
    }
  }

  private conv(node: Node): void {
    const x = this.value(node.input![0]!);
    const weight = this.initializers.get(node.input![1]!);
    const bias = this.initializers.get(node.input![2]!);
    if (!weight || weight.dataType !== 1 || !bias) throw new Error(`${node.name}: quantized or weightless Conv does not lower to float TFLite`);
    const [cout, cinPerGroup, kh, kw] = (weight.dims ?? []).map(Number) as [number, number, number, number];
    const [, h, w, cin] = x.shape as [number, number, number, number];
    const group = int(node, 'group', 1);
    const [sh, sw] = ints(node, 'strides', [1, 1]) as [number, number];
    const [dh, dw] = ints(node, 'dilations', [1, 1]) as [number, number];
    const pads = ints(node, 'pads', [0, 0, 0, 0]);
    if (sh !== sw || dh !== dw || kh !== kw || pads.some((p) => p !== pads[0])) throw new Error(`${node.name}: only square kernels, strides and symmetric pads lower`);
    const pad = pads[0]!;
    const k = dh * (kh - 1) + 1;
    const oh = Math.floor((h + 2 * pad - k) / sh) + 1;
    const ow = Math.floor((w + 2 * pad - k) / sw) + 1;
    const sameMatches = [h, w].every((size, i) => {
      const outSame = Math.ceil(size / sh);
      const total = Math.max((outSame - 1) * sh + k - size, 0);
      return outSame === [oh, ow][i] && Math.floor(total / 2) === pad && total - Math.floor(total / 2) === pad;
    });
    let input = x;
    if (!sameMatches && pad > 0) {
      const paddings = this.w.tensor(`${node.name}.pad.paddings`, [4, 2], 'int32', bytesOf(Int32Array.of(0, 0, pad, pad, pad, pad, 0, 0)));
      const shape = [1, h + 2 * pad, w + 2 * pad, cin];
      const padded = this.output(`${node.name}.pad`, shape);
      this.w.operator({ op: 'PAD', version: 1, inputs: [input.index, paddings], outputs: [padded], options: { type: BuiltinOptions.PadOptions, write: emptyTable } });
      input = { index: padded, shape };
    }
    const padding = sameMatches ? Padding.SAME : Padding.VALID;
    const src = floatsOf(weight);
    const depthwise = group === cin && cinPerGroup === 1 && cout === cin;
    const filterShape = depthwise ? [1, kh, kw, cout] : [cout, kh, kw, cinPerGroup];
    const filter = new Float32Array(src.length);
    // ONNX [O, I, kh, kw] -> TFLite [O, kh, kw, I] (conv) or [1, kh, kw, O] (depthwise)
    for (let o = 0; o < cout; o++)
      for (let i = 0; i < cinPerGroup; i++)
        for (let y = 0; y < kh; y++)
          for (let z = 0; z < kw; z++) {
            const from = ((o * cinPerGroup + i) * kh + y) * kw + z;
            const to = depthwise ? (y * kw + z) * cout + o : ((o * kh + y) * kw + z) * cinPerGroup + i;
            filter[to] = src[from]!;
          }
    const filterIndex = this.w.tensor(weight.name!, filterShape, 'float32', bytesOf(filter));
    const biasIndex = this.w.tensor(bias.name!, [cout], 'float32', bytesOf(floatsOf(bias)));
    const { index, fused } = this.fusedOutput(node, [1, oh, ow, cout]);
    const activation = ActivationFunctionType[fused];
    if (depthwise) {
      this.w.operator({
        op: 'DEPTHWISE_CONV_2D',
        version: dh === 1 ? 1 : 2,
        inputs: [input.index, filterIndex, biasIndex],
        outputs: [index],
        options: {
          type: BuiltinOptions.DepthwiseConv2DOptions,
          write: (b) => {
            b.startObject(7);
            b.addFieldInt8(0, padding, 0);
            b.addFieldInt32(1, sw, 0);
            b.addFieldInt32(2, sh, 0);
            b.addFieldInt32(3, 1, 0);
            b.addFieldInt8(4, activation, 0);
            b.addFieldInt32(5, dw, 1);
            b.addFieldInt32(6, dh, 1);
            return b.endObject();
          },
        },
      });
      return;
    }
    this.w.operator({
      op: 'CONV_2D',
      version: 1,
      inputs: [input.index, filterIndex, biasIndex],
      outputs: [index],
      options: {
        type: BuiltinOptions.Conv2DOptions,
        write: (b) => {
          b.startObject(6);
          b.addFieldInt8(0, padding, 0);
          b.addFieldInt32(1, sw, 0);
          b.addFieldInt32(2, sh, 0);
          b.addFieldInt8(3, activation, 0);
          b.addFieldInt32(4, dw, 1);
          b.addFieldInt32(5, dh, 1);
          return b.endObject();
        },
      },
    });
  }

  private binary(node: Node): void {
    const a = this.value(node.input![0]!);
    const c = this.value(node.input![1]!);
    const shape = a.shape.length >= c.shape.length ? a.shape : c.shape;
    const op = node.opType === 'Add' ? 'ADD' : node.opType === 'Mul' ? 'MUL' : 'DIV';
    const type = op === 'ADD' ? BuiltinOptions.AddOptions : op === 'MUL' ? BuiltinOptions.MulOptions : BuiltinOptions.DivOptions;
    // TFLite fuses ReLU6 into ADD (the decomposed h-swish's Add(x, 3) -> Clip) as it does into convolutions
    const { index, fused } = op === 'ADD' ? this.fusedOutput(node, shape) : { index: this.output(node.output![0]!, shape), fused: 'NONE' as const };
    this.w.operator({ op, version: 1, inputs: [a.index, c.index], outputs: [index], options: fusedOptions(type, fused) });
  }

  /** ONNX HardSigmoid(alpha 1/6, beta 1/2) = ReLU6(x + 3) / 6: ADD with fused ReLU6, then MUL. */
  private hardSigmoid(node: Node): void {
    const alpha = attr(node, 'alpha')?.f ?? 0.2;
    const beta = attr(node, 'beta')?.f ?? 0.5;
    if (Math.abs(alpha - 1 / 6) > 1e-7 || Math.abs(beta - 0.5) > 1e-7) throw new Error(`${node.name}: only HardSigmoid(1/6, 1/2) lowers`);
    const x = this.value(node.input![0]!);
    const three = this.w.constant('const.three', [], 'float32', () => bytesOf(Float32Array.of(3)));
    const sixth = this.w.constant('const.one_sixth', [], 'float32', () => bytesOf(Float32Array.of(1 / 6)));
    const shifted = this.output(`${node.name}.add`, x.shape);
    this.w.operator({ op: 'ADD', version: 1, inputs: [x.index, three], outputs: [shifted], options: fusedOptions(BuiltinOptions.AddOptions, 'RELU6') });
    this.w.operator({
      op: 'MUL',
      version: 1,
      inputs: [shifted, sixth],
      outputs: [this.output(node.output![0]!, x.shape)],
      options: fusedOptions(BuiltinOptions.MulOptions, 'NONE'),
    });
  }

  private mean(node: Node): void {
    const x = this.value(node.input![0]!);
    const axes = this.w.constant('const.mean_axes', [2], 'int32', () => bytesOf(Int32Array.of(1, 2)));
    const shape = [1, 1, 1, x.shape[3]!];
    this.w.operator({
      op: 'MEAN',
      version: 1,
      inputs: [x.index, axes],
      outputs: [this.output(node.output![0]!, shape)],
      options: {
        type: BuiltinOptions.ReducerOptions,
        write: (b) => {
          b.startObject(1);
          b.addFieldInt8(0, 1, 0);
          return b.endObject();
        },
      },
    });
  }

  private split(node: Node): void {
    if (int(node, 'axis', 0) !== 1) throw new Error(`${node.name}: only channel splits lower`);
    const x = this.value(node.input![0]!);
    const sizes = int64sOf(this.initializers.get(node.input![1]!)!);
    const sizeIndex = this.w.tensor(node.input![1]!, [sizes.length], 'int32', bytesOf(Int32Array.from(sizes)));
    const axis = this.w.constant('const.channel_axis', [], 'int32', () => bytesOf(Int32Array.of(3)));
    const outputs = node.output!.map((name, j) => this.output(name, [...x.shape.slice(0, 3), sizes[j]!]));
    this.w.operator({
      op: 'SPLIT_V',
      version: 1,
      inputs: [x.index, sizeIndex, axis],
      outputs,
      options: {
        type: BuiltinOptions.SplitVOptions,
        write: (b) => {
          b.startObject(1);
          b.addFieldInt32(0, sizes.length, 0);
          return b.endObject();
        },
      },
    });
  }

  private concat(node: Node): void {
    if (int(node, 'axis', 0) !== 1) throw new Error(`${node.name}: only channel concatenation lowers`);
    const parts = node.input!.map((i) => this.value(i));
    const shape = [...parts[0]!.shape.slice(0, 3), parts.reduce((sum, p) => sum + p.shape[3]!, 0)];
    this.w.operator({
      op: 'CONCATENATION',
      version: 1,
      inputs: parts.map((p) => p.index),
      outputs: [this.output(node.output![0]!, shape)],
      options: {
        type: BuiltinOptions.ConcatenationOptions,
        write: (b) => {
          b.startObject(2);
          b.addFieldInt32(0, 3, 0);
          b.addFieldInt8(1, ActivationFunctionType.NONE, 0);
          return b.endObject();
        },
      },
    });
  }

  /** NCHW and NHWC flatten alike only when H = W = 1 (after global pooling, where the builder flattens). */
  private flatten(node: Node): void {
    const x = this.value(node.input![0]!);
    if (x.shape.length !== 4 || x.shape[1] !== 1 || x.shape[2] !== 1) throw new Error(`${node.name}: Flatten lowers only after global pooling`);
    const shape = [1, x.shape[3]!];
    const target = this.w.tensor(`${node.name}.shape`, [2], 'int32', bytesOf(Int32Array.from(shape)));
    this.w.operator({
      op: 'RESHAPE',
      version: 1,
      inputs: [x.index, target],
      outputs: [this.output(node.output![0]!, shape)],
      options: {
        type: BuiltinOptions.ReshapeOptions,
        write: (b) => {
          b.startVector(4, 2, 4);
          b.addInt32(shape[1]!);
          b.addInt32(shape[0]!);
          const newShape = b.endVector();
          b.startObject(1);
          b.addFieldOffset(0, newShape, 0);
          return b.endObject();
        },
      },
    });
  }

  /** Gemm(transB = 1): TFLite's FULLY_CONNECTED weights are [out, in], as ONNX's transposed B. */
  private fullyConnected(node: Node): void {
    if (int(node, 'transB', 0) !== 1) throw new Error(`${node.name}: only Gemm with transB = 1 lowers`);
    const x = this.value(node.input![0]!);
    const weight = this.initializers.get(node.input![1]!)!;
    const bias = this.initializers.get(node.input![2]!)!;
    const dims = (weight.dims ?? []).map(Number);
    const weightIndex = this.w.tensor(weight.name!, dims, 'float32', bytesOf(floatsOf(weight)));
    const biasIndex = this.w.tensor(bias.name!, [dims[0]!], 'float32', bytesOf(floatsOf(bias)));
    this.w.operator({
      op: 'FULLY_CONNECTED',
      version: 1,
      inputs: [x.index, weightIndex, biasIndex],
      outputs: [this.output(node.output![0]!, [x.shape[0]!, dims[0]!])],
      options: fusedOptions(BuiltinOptions.FullyConnectedOptions, 'NONE'),
    });
  }
}

function emptyTable(b: Builder): number {
  b.startObject(0);
  return b.endObject();
}
