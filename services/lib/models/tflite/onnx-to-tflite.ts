import type { Builder } from 'flatbuffers';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { attr, floatsOf, int, int64sOf, ints } from './onnx-values.js';
import { activationParams, LOGISTIC_OUTPUT, quantizeBias, quantizeScalar, quantizeWeights, type QuantParams, type Range } from './int8-quantization.js';
import { ActivationFunctionType, type BuiltinOperatorName, BuiltinOptions, type FusedActivation, Padding } from './tflite-schema.js';
import { type TfliteQuantization, TfliteModelWriter } from './tflite-writer.js';

/**
 * Lowers the builder's ONNX graph (NCHW, our op subset, float32) to TFLite (NHWC), keeping every
 * tensor's name and the seeded weights. TFLite's converter conventions: ReLU/ReLU6 fused into the
 * CONV_2D, DEPTHWISE_CONV_2D or ADD they follow, HARD_SWISH as its own op, global average pooling
 * as MEAN over H and W, hard-sigmoid as ADD(+3, fused ReLU6) then MUL(1/6), explicit PAD before
 * a VALID convolution where TF's SAME padding would pad differently from the ONNX symmetric pads.
 *
 * With `int8`, the same graph as TFLite's full-integer post-training quantization writes it: float
 * input QUANTIZEd to int8 (`input.int8`), every activation int8 with the calibrated range's
 * parameters, weights int8 and biases int32, the int8 logits (`logits.int8`) DEQUANTIZEd to float.
 * Where an int8 kernel constrains its parameters, the constraint decides them: LOGISTIC outputs
 * 1/256 and -128; CONCATENATION's inputs share its output's, SPLIT_V's outputs, PAD's and
 * RESHAPE's output their input's. DIV has no int8 kernel: division by a constant is MUL by its
 * reciprocal.
 */

interface Value {
  index: number;
  /** TFLite shape (NHWC for rank 4) */
  shape: number[];
  /** int8 tensors: their quantization */
  params?: QuantParams;
}

type Node = OnnxTypes.INodeProto;
type Initializer = OnnxTypes.ITensorProto;

const bytesOf = (a: Float32Array | Int32Array | Int8Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const perTensor = (p: QuantParams): TfliteQuantization => ({ scale: [p.scale], zeroPoint: [p.zeroPoint] });

const INT8_OP_VERSIONS: Partial<Record<BuiltinOperatorName, number>> = {
  ADD: 2,
  CONCATENATION: 2,
  DEPTHWISE_CONV_2D: 3,
  FULLY_CONNECTED: 4,
  LOGISTIC: 2,
  MEAN: 2,
  MUL: 2,
  PAD: 2,
  RELU: 2,
  RELU6: 2,
  SPLIT_V: 2,
};

const fusedOptions = (type: number, fused: FusedActivation) => ({
  type,
  write: (b: Builder) => {
    b.startObject(1);
    b.addFieldInt8(0, ActivationFunctionType[fused], 0);
    return b.endObject();
  },
});

export interface Int8Lowering {
  /** every ONNX tensor's calibrated float range (int8-quantization.ts `calibrate`) */
  ranges: Map<string, Range>;
  /** weight scales per output channel (else one per tensor) */
  perChannel: boolean;
}

export interface LoweringOptions {
  description: string;
  metadata: Record<string, string>;
  int8?: Int8Lowering;
}

export function onnxToTflite(model: OnnxTypes.IModelProto, options: LoweringOptions): Uint8Array {
  return new Lowering(model, options.int8).encode(options);
}

class Lowering {
  private readonly w = new TfliteModelWriter();
  private readonly values = new Map<string, Value>();
  private readonly initializers = new Map<string, Initializer>();
  private readonly consumers = new Map<string, Node[]>();
  private readonly producers = new Map<string, Node>();
  private readonly fused = new Set<Node>();
  private readonly graph: OnnxTypes.IGraphProto;
  /** int8: a tensor whose parameters are another's (an op's same-scale constraint) */
  private readonly sameParamsAs = new Map<string, string>();
  private readonly graphOutputs: Set<string>;

  constructor(
    model: OnnxTypes.IModelProto,
    private readonly int8?: Int8Lowering,
  ) {
    this.graph = model.graph!;
    this.graphOutputs = new Set((this.graph.output ?? []).map((o) => o.name!));
    for (const t of this.graph.initializer ?? []) this.initializers.set(t.name!, t);
    for (const n of this.graph.node ?? []) for (const i of n.input ?? []) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
    for (const n of this.graph.node ?? []) {
      for (const o of n.output ?? []) this.producers.set(o, n);
      if (n.opType === 'Concat') for (const i of n.input ?? []) this.sameParamsAs.set(i, n.output![0]!);
    }
  }

  encode(o: LoweringOptions): Uint8Array {
    const inputs = (this.graph.input ?? []).map((vi) => {
      const dims = vi.type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue));
      if (dims.length !== 4) throw new Error(`input ${vi.name}: rank ${dims.length}, expected NCHW`);
      const [n, c, h, w] = dims as [number, number, number, number];
      const shape = [n, h, w, c];
      const index = this.w.tensor(vi.name!, shape);
      this.values.set(vi.name!, { index, shape });
      if (this.int8) {
        const params = this.paramsOf(vi.name!);
        const quantized = this.w.tensor(`${vi.name!}.int8`, shape, 'int8', undefined, perTensor(params));
        this.w.operator({ op: 'QUANTIZE', version: 1, inputs: [index], outputs: [quantized] });
        this.values.set(vi.name!, { index: quantized, shape, params });
      }
      return index;
    });
    for (const node of this.graph.node ?? []) if (!this.fused.has(node)) this.lower(node);
    const outputs = (this.graph.output ?? []).map((vi) => {
      const v = this.value(vi.name!);
      if (!this.int8) return v.index;
      const index = this.w.tensor(vi.name!, v.shape);
      this.w.operator({ op: 'DEQUANTIZE', version: 2, inputs: [v.index], outputs: [index] });
      return index;
    });
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
    const scalar = this.scalarConstant(name, floatsOf(t)[0]!);
    this.values.set(name, scalar);
    return scalar;
  }

  /** A shared scalar: float32, or int8 with its own range [min(0, c), max(0, c)]. */
  private scalarConstant(name: string, value: number): Value {
    if (!this.int8) return { index: this.w.constant(name, [], 'float32', () => bytesOf(Float32Array.of(value))), shape: [] };
    const { q, params } = quantizeScalar(value);
    return { index: this.w.constant(name, [], 'int8', () => bytesOf(Int8Array.of(q)), perTensor(params)), shape: [], params };
  }

  /** int8: the parameters of an ONNX tensor's calibrated range, or those an op's constraint gives it. */
  private paramsOf(name: string): QuantParams {
    const key = this.sameParamsAs.get(name) ?? name;
    if (this.producers.get(key)?.opType === 'Sigmoid') return LOGISTIC_OUTPUT;
    const range = this.int8!.ranges.get(key);
    if (!range) throw new Error(`int8: no calibrated range for tensor ${key}`);
    return activationParams(range);
  }

  private scalarValue(name: string): number | undefined {
    const t = this.initializers.get(name);
    return t && (t.dims ?? []).length === 0 && t.dataType === 1 ? floatsOf(t)[0] : undefined;
  }

  /**
   * The tensor an op writes: float32, or int8 with `params` (default: the ONNX tensor's own).
   * An int8 graph output is `<name>.int8`, DEQUANTIZEd to `<name>` at the end.
   */
  private output(name: string, shape: number[], params?: QuantParams): number {
    if (!this.int8) {
      const index = this.w.tensor(name, shape);
      this.values.set(name, { index, shape });
      return index;
    }
    const p = params ?? this.paramsOf(name);
    const index = this.w.tensor(this.graphOutputs.has(name) ? `${name}.int8` : name, shape, 'int8', undefined, perTensor(p));
    this.values.set(name, { index, shape, params: p });
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
    const act = this.fusableActivation(out);
    // int8: the op's output is the activation's, and so is its calibrated range
    const index = this.output(out, shape, act && this.int8 ? this.paramsOf(act.node.output![0]!) : undefined);
    if (!act) return { index, fused: 'NONE' };
    this.fused.add(act.node);
    this.values.set(act.node.output![0]!, this.values.get(out)!);
    return { index, fused: act.fused };
  }

  /** The op's version as TFLite's converter sets it (tools/versioning/op_version.cc): int8 kernels are later versions. */
  private version(op: BuiltinOperatorName, float: number): number {
    return this.int8 ? (INT8_OP_VERSIONS[op] ?? float) : float;
  }

  private lower(node: Node): void {
    const inputs = node.input ?? [];
    const out = node.output![0]!;
    const unary = (op: 'LOGISTIC' | 'HARD_SWISH' | 'RELU' | 'RELU6') => {
      const x = this.value(inputs[0]!);
      this.w.operator({ op, version: this.version(op, 1), inputs: [x.index], outputs: [this.output(out, x.shape)] });
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
    if (!weight || weight.dataType !== 1 || !bias) throw new Error(`${node.name}: quantized or weightless Conv does not lower (TFLite is lowered from the float graph)`);
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
      // int8: PAD writes the zero point, so its output keeps its input's parameters
      const padded = this.output(`${node.name}.pad`, shape, input.params);
      this.w.operator({
        op: 'PAD',
        version: this.version('PAD', 1),
        inputs: [input.index, paddings],
        outputs: [padded],
        options: { type: BuiltinOptions.PadOptions, write: emptyTable },
      });
      input = this.values.get(`${node.name}.pad`)!;
    }
    const padding = sameMatches ? Padding.SAME : Padding.VALID;
    const depthwise = group === cin && cinPerGroup === 1 && cout === cin;
    const filterShape = depthwise ? [1, kh, kw, cout] : [cout, kh, kw, cinPerGroup];
    // ONNX [O, I, kh, kw] -> TFLite [O, kh, kw, I] (conv) or [1, kh, kw, O] (depthwise)
    const toTfliteLayout = <T extends Float32Array | Int8Array>(src: T, target: T): T => {
      for (let o = 0; o < cout; o++)
        for (let i = 0; i < cinPerGroup; i++)
          for (let y = 0; y < kh; y++)
            for (let z = 0; z < kw; z++) {
              const from = ((o * cinPerGroup + i) * kh + y) * kw + z;
              const to = depthwise ? (y * kw + z) * cout + o : ((o * kh + y) * kw + z) * cinPerGroup + i;
              target[to] = src[from]!;
            }
      return target;
    };
    const src = floatsOf(weight);
    const { filterIndex, biasIndex } = this.int8
      ? this.quantizedWeights(weight.name!, bias.name!, input.params!, filterShape, depthwise ? 3 : 0, (w) => toTfliteLayout(w, new Int8Array(w.length)))
      : {
          filterIndex: this.w.tensor(weight.name!, filterShape, 'float32', bytesOf(toTfliteLayout(src, new Float32Array(src.length)))),
          biasIndex: this.w.tensor(bias.name!, [cout], 'float32', bytesOf(floatsOf(bias))),
        };
    const { index, fused } = this.fusedOutput(node, [1, oh, ow, cout]);
    const activation = ActivationFunctionType[fused];
    if (depthwise) {
      this.w.operator({
        op: 'DEPTHWISE_CONV_2D',
        version: this.version('DEPTHWISE_CONV_2D', dh === 1 ? 1 : 2),
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
      // TFLite numbers grouped convolution version 6; the float file predates that and keeps 1
      version: this.int8 ? (group > 1 ? 6 : 3) : 1,
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

  /**
   * int8 weights (symmetric, per output channel along `quantizedDimension` or per tensor) and int32
   * biases at input scale × weight scale, quantized from the float initializers.
   */
  private quantizedWeights(
    weightName: string,
    biasName: string,
    input: QuantParams,
    shape: number[],
    quantizedDimension: number,
    layout: (onnxOrder: Int8Array) => Int8Array,
  ): { filterIndex: number; biasIndex: number } {
    const bias = floatsOf(this.initializers.get(biasName)!);
    const weights = quantizeWeights(floatsOf(this.initializers.get(weightName)!), bias.length, this.int8!.perChannel);
    const biases = quantizeBias(bias, input.scale, weights.scales);
    const zeros = (n: number) => new Array<number>(n).fill(0);
    const filterIndex = this.w.tensor(weightName, shape, 'int8', bytesOf(layout(weights.data)), {
      scale: weights.scales,
      zeroPoint: zeros(weights.scales.length),
      quantizedDimension: weights.scales.length > 1 ? quantizedDimension : 0,
    });
    const biasIndex = this.w.tensor(biasName, [bias.length], 'int32', bytesOf(biases.data), { scale: biases.scales, zeroPoint: zeros(biases.scales.length) });
    return { filterIndex, biasIndex };
  }

  private binary(node: Node): void {
    const a = this.value(node.input![0]!);
    let c = this.value(node.input![1]!);
    const shape = a.shape.length >= c.shape.length ? a.shape : c.shape;
    let op: 'ADD' | 'MUL' | 'DIV' = node.opType === 'Add' ? 'ADD' : node.opType === 'Mul' ? 'MUL' : 'DIV';
    if (op === 'DIV' && this.int8) {
      const divisor = this.scalarValue(node.input![1]!);
      if (divisor === undefined) throw new Error(`${node.name}: int8 TFLite has no DIV; only division by a constant lowers (as MUL by its reciprocal)`);
      c = this.scalarConstant(`${node.input![1]!}.reciprocal`, 1 / divisor);
      op = 'MUL';
    }
    const type = op === 'ADD' ? BuiltinOptions.AddOptions : op === 'MUL' ? BuiltinOptions.MulOptions : BuiltinOptions.DivOptions;
    // TFLite fuses ReLU6 into ADD (the decomposed h-swish's Add(x, 3) -> Clip) as it does into convolutions
    const { index, fused } = op === 'ADD' ? this.fusedOutput(node, shape) : { index: this.output(node.output![0]!, shape), fused: 'NONE' as const };
    this.w.operator({
      op,
      version: this.binaryVersion(op, a, c, this.values.get(node.output![0]!)!),
      inputs: [a.index, c.index],
      outputs: [index],
      options: fusedOptions(type, fused),
    });
  }

  /** int8 MUL is version 3 when its rescale (input scales' product over the output scale) is at least 1. */
  private binaryVersion(op: 'ADD' | 'MUL' | 'DIV', a: Value, c: Value, out: Value): number {
    if (op === 'MUL' && a.params && c.params && out.params && (a.params.scale * c.params.scale) / out.params.scale >= 1) return 3;
    return this.version(op, 1);
  }

  /** ONNX HardSigmoid(alpha 1/6, beta 1/2) = ReLU6(x + 3) / 6: ADD with fused ReLU6, then MUL. */
  private hardSigmoid(node: Node): void {
    const alpha = attr(node, 'alpha')?.f ?? 0.2;
    const beta = attr(node, 'beta')?.f ?? 0.5;
    if (Math.abs(alpha - 1 / 6) > 1e-7 || Math.abs(beta - 0.5) > 1e-7) throw new Error(`${node.name}: only HardSigmoid(1/6, 1/2) lowers`);
    const x = this.value(node.input![0]!);
    const three = this.scalarConstant('const.three', 3);
    const sixth = this.scalarConstant('const.one_sixth', 1 / 6);
    // int8: ReLU6(x + 3) is not an ONNX tensor; its range follows from x's
    const range = this.int8?.ranges.get(node.input![0]!);
    const relu6 = (v: number) => Math.min(6, Math.max(0, v + 3));
    const shifted = this.output(`${node.name}.add`, x.shape, range ? activationParams({ min: relu6(range.min), max: relu6(range.max) }) : undefined);
    this.w.operator({
      op: 'ADD',
      version: this.version('ADD', 1),
      inputs: [x.index, three.index],
      outputs: [shifted],
      options: fusedOptions(BuiltinOptions.AddOptions, 'RELU6'),
    });
    const out = this.output(node.output![0]!, x.shape);
    this.w.operator({
      op: 'MUL',
      version: this.binaryVersion('MUL', this.values.get(`${node.name}.add`)!, sixth, this.values.get(node.output![0]!)!),
      inputs: [shifted, sixth.index],
      outputs: [out],
      options: fusedOptions(BuiltinOptions.MulOptions, 'NONE'),
    });
  }

  private mean(node: Node): void {
    const x = this.value(node.input![0]!);
    const axes = this.w.constant('const.mean_axes', [2], 'int32', () => bytesOf(Int32Array.of(1, 2)));
    const shape = [1, 1, 1, x.shape[3]!];
    this.w.operator({
      op: 'MEAN',
      version: this.version('MEAN', 1),
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
    // int8: SPLIT_V copies bytes, so every part keeps the input's parameters
    const outputs = node.output!.map((name, j) => this.output(name, [...x.shape.slice(0, 3), sizes[j]!], x.params));
    this.w.operator({
      op: 'SPLIT_V',
      version: this.version('SPLIT_V', 1),
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
    // int8: the parts were written with the output's parameters (TFLite's int8 kernel does not rescale)
    this.w.operator({
      op: 'CONCATENATION',
      version: this.version('CONCATENATION', 1),
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
      outputs: [this.output(node.output![0]!, shape, x.params)],
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
    const { filterIndex, biasIndex } = this.int8
      ? this.quantizedWeights(weight.name!, bias.name!, x.params!, dims, 0, (w) => w)
      : {
          filterIndex: this.w.tensor(weight.name!, dims, 'float32', bytesOf(floatsOf(weight))),
          biasIndex: this.w.tensor(bias.name!, [dims[0]!], 'float32', bytesOf(floatsOf(bias))),
        };
    this.w.operator({
      op: 'FULLY_CONNECTED',
      version: this.version('FULLY_CONNECTED', 1),
      inputs: [x.index, filterIndex, biasIndex],
      outputs: [this.output(node.output![0]!, [x.shape[0]!, dims[0]!])],
      options: fusedOptions(BuiltinOptions.FullyConnectedOptions, 'NONE'),
    });
  }
}

function emptyTable(b: Builder): number {
  b.startObject(0);
  return b.endObject();
}
