import { splitChannels } from './channels.js';
import type { LayerInfo, LayerOp, LayerRole } from './layer-info.js';
import type { Activation, BlockPlan, ChannelSplit, Gate, NetworkPlan, SimpleStep } from './network-plan.js';
import type { OnnxGraph } from './onnx-graph.js';
import { tensorRng, uniformFloats, uniformInts } from './prng.js';
import type { HswishImpl, Quantization } from './spec-types.js';

export interface EmitOptions {
  seed: number;
  hswishImpl: HswishImpl;
  quantization: Quantization;
}

interface Tensor {
  name: string;
  c: number;
  h: number;
  w: number;
}

interface ConvLayerOptions {
  name: string;
  block: string;
  role: LayerRole;
  out: number;
  kernels: number[];
  dilations?: number[];
  stride: number;
  depthwise: boolean;
  /** pointwise only: channel groups (MixNet's grouped 1x1) */
  groups?: number;
  split?: ChannelSplit;
  activation: Activation | null;
  /** init gain; defaults to what keeps the activation's output variance */
  gain?: number;
}

const BIAS_LIMIT = 0.01;
const ACTIVATION_SCALE = 0.05;
const ACTIVATION_ZERO_POINT = 128;

/**
 * Residual branches start small (as zero-init / Fixup residuals do), so that dozens of residual adds
 * (EfficientNet-B7 has 48) do not grow activations geometrically.
 */
const RESIDUAL_BRANCH_GAIN = 0.1;

/** He-style init: keep activations O(1) through the nonlinearity (E[act(x)^2] is about 1/2 for ReLU, 1/3 for h-swish and swish at unit variance). */
const gainFor = (activation: Activation | null): number => (activation === null ? 1 : activation === 'relu' || activation === 'relu6' ? 2 : 3);

const shape = (t: Tensor): number[] => [1, t.c, t.h, t.w];

/** Emits logical layers (with their metadata) onto an OnnxGraph. */
export class NetworkBuilder {
  readonly layers: LayerInfo[] = [];

  constructor(
    private readonly graph: OnnxGraph,
    private readonly options: EmitOptions,
  ) {}

  build(plan: NetworkPlan, inputName: string, outputName: string): void {
    const input = this.graph.input(inputName, [1, 3, plan.resolution, plan.resolution]);
    let x: Tensor = { name: input, c: 3, h: plan.resolution, w: plan.resolution };
    for (const step of plan.stem) x = this.step(x, step, 'stem', outputName);
    plan.blocks.forEach((block, i) => {
      x = this.block(x, block, `blocks.${i}`);
    });
    for (const step of plan.head) x = this.step(x, step, 'head', outputName);
    this.graph.output(outputName, [1, x.c]);
  }

  private step(x: Tensor, step: SimpleStep, block: string, outputName: string): Tensor {
    switch (step.kind) {
      case 'conv':
        return this.convLayer(x, {
          name: step.name,
          block,
          role: step.role,
          out: step.depthwise ? x.c : step.out,
          kernels: [step.kernel],
          stride: step.stride,
          depthwise: step.depthwise,
          activation: step.activation,
        });
      case 'pool':
        return this.pool(x, step.name, block);
      case 'classifier':
        return this.classifier(x, step.name, block, step.classes, outputName);
    }
  }

  block(x: Tensor, plan: BlockPlan, block: string): Tensor {
    if (x.c !== plan.in) throw new Error(`${block}: plan expects ${plan.in} input channels, got ${x.c}`);
    let h = x;
    if (plan.expand) {
      h = this.convLayer(h, {
        name: `${block}.expand`,
        block,
        role: 'expand',
        out: plan.expanded,
        kernels: [1],
        stride: 1,
        depthwise: false,
        groups: plan.expandGroups,
        activation: plan.activation,
      });
    }
    h = this.convLayer(h, {
      name: `${block}.dw`,
      block,
      role: 'depthwise',
      out: h.c,
      kernels: plan.kernels,
      dilations: plan.dilations,
      stride: plan.stride,
      depthwise: true,
      split: plan.channelSplit,
      activation: plan.activation,
    });
    if (plan.se) {
      const seActivation = plan.se.activation === 'block' ? plan.activation : plan.se.activation;
      h = this.squeezeExcite(h, `${block}.se`, block, plan.se.channels, seActivation, plan.se.gate);
    }
    h = this.convLayer(h, {
      name: `${block}.${plan.projectRole === 'pointwise' ? 'pw' : 'project'}`,
      block,
      role: plan.projectRole,
      out: plan.out,
      kernels: [1],
      stride: 1,
      depthwise: false,
      groups: plan.projectGroups,
      activation: plan.projectActivation,
      ...(plan.residual ? { gain: RESIDUAL_BRANCH_GAIN } : {}),
    });
    if (plan.residual) h = this.add(h, x, `${block}.add`, block);
    return h;
  }

  convLayer(x: Tensor, o: ConvLayerOptions): Tensor {
    const dilations = o.dilations ?? o.kernels.map(() => 1);
    const groups = o.depthwise ? o.kernels.length : (o.groups ?? 1);
    const mode = o.split ?? 'equal';
    const inParts = splitChannels(x.c, groups, mode);
    const outParts = o.depthwise ? inParts : splitChannels(o.out, groups, mode);
    const kernels = o.depthwise ? o.kernels : inParts.map(() => o.kernels[0]!);
    const partDilations = o.depthwise ? dilations : inParts.map(() => 1);
    const effective = kernels.map((k, i) => partDilations[i]! * (k - 1) + 1);
    const h = Math.floor((x.h - 1) / o.stride) + 1;
    const w = Math.floor((x.w - 1) / o.stride) + 1;
    const nodes: string[] = [];
    let madds = 0;
    let params = 0;
    const conv = (input: string, nodeName: string, cin: number, cout: number, k: number, d: number, convGroups: number): string => {
      const fanIn = (cin / convGroups) * k * k;
      madds += h * w * cout * fanIn;
      params += cout * fanIn + cout;
      return this.conv(input, nodeName, nodes, { cin, cout, k, d, stride: o.stride, groups: convGroups, gain: o.gain ?? gainFor(o.activation) });
    };

    const equalGrouping = !o.depthwise && inParts.every((p) => p === inParts[0]) && outParts.every((p) => p === outParts[0]);
    let y: string;
    if (o.depthwise && kernels.length === 1) {
      y = conv(x.name, `${o.name}.conv`, x.c, x.c, kernels[0]!, partDilations[0]!, x.c);
    } else if (!o.depthwise && (groups === 1 || equalGrouping)) {
      y = conv(x.name, `${o.name}.conv`, x.c, o.out, kernels[0]!, 1, groups);
    } else {
      const sizes = this.graph.constant(`${o.name}.split_sizes`, 'int64', [groups], () => BigInt64Array.from(inParts.map(BigInt)));
      const splitName = `${o.name}.split`;
      const partNames = inParts.map((_, j) => `${splitName}.${j}`);
      this.graph.node('Split', splitName, [x.name, sizes], { axis: 1 }, partNames);
      nodes.push(splitName);
      const convOutputs = inParts.map((cin, j) => conv(partNames[j]!, `${o.name}.conv.${j}`, cin, outParts[j]!, kernels[j]!, partDilations[j]!, o.depthwise ? cin : 1));
      y = this.graph.node('Concat', `${o.name}.concat`, convOutputs, { axis: 1 });
      nodes.push(y);
    }
    if (o.activation) y = this.activation(y, o.name, o.activation, nodes);

    const outC = o.depthwise ? x.c : o.out;
    this.layers.push({
      name: o.name,
      block: o.block,
      role: o.role,
      op: (o.depthwise ? 'dwconv' : 'conv') as LayerOp,
      kernel: Math.max(...effective),
      stride: o.stride,
      ...(kernels.length > 1 && o.depthwise ? { kernels } : {}),
      ...(partDilations.some((d) => d !== 1) ? { dilations: partDilations } : {}),
      ...(!o.depthwise && groups > 1 ? { groups } : {}),
      activation: o.activation,
      inputShape: shape(x),
      outputShape: [1, outC, h, w],
      madds,
      params,
      nodes,
    });
    return { name: y, c: outC, h, w };
  }

  squeezeExcite(x: Tensor, name: string, block: string, channels: number, activation: Activation, gate: Gate): Tensor {
    const nodes: string[] = [];
    const pooled = this.graph.node('GlobalAveragePool', `${name}.pool`, [x.name]);
    nodes.push(pooled);
    const reduced = this.conv(pooled, `${name}.reduce.conv`, nodes, { cin: x.c, cout: channels, k: 1, d: 1, stride: 1, groups: 1, gain: 2 });
    const act = this.activation(reduced, `${name}.reduce`, activation, nodes);
    const expanded = this.conv(act, `${name}.expand.conv`, nodes, { cin: channels, cout: x.c, k: 1, d: 1, stride: 1, groups: 1, gain: 1 });
    const gated = gate === 'sigmoid' ? this.emit('Sigmoid', `${name}.gate`, [expanded], nodes) : this.hardSigmoid(expanded, `${name}.gate`, nodes);
    const out = this.graph.node('Mul', `${name}.mul`, [x.name, gated]);
    nodes.push(out);
    this.layers.push({
      name,
      block,
      role: 'se',
      op: 'se',
      kernel: 1,
      stride: 1,
      activation: activation,
      inputShape: shape(x),
      outputShape: shape(x),
      madds: 2 * x.c * channels,
      params: 2 * x.c * channels + channels + x.c,
      nodes,
    });
    return { ...x, name: out };
  }

  add(a: Tensor, b: Tensor, name: string, block: string): Tensor {
    const out = this.graph.node('Add', name, [a.name, b.name]);
    this.layers.push({
      name,
      block,
      role: 'residual',
      op: 'add',
      kernel: 0,
      stride: 1,
      activation: null,
      inputShape: shape(a),
      outputShape: shape(a),
      madds: 0,
      params: 0,
      nodes: [out],
    });
    return { ...a, name: out };
  }

  pool(x: Tensor, name: string, block: string): Tensor {
    const out = this.graph.node('GlobalAveragePool', name, [x.name]);
    this.layers.push({
      name,
      block,
      role: 'pool',
      op: 'pool',
      kernel: x.h,
      stride: 1,
      activation: null,
      inputShape: shape(x),
      outputShape: [1, x.c, 1, 1],
      madds: 0,
      params: 0,
      nodes: [out],
    });
    return { name: out, c: x.c, h: 1, w: 1 };
  }

  classifier(x: Tensor, name: string, block: string, classes: number, outputName: string): Tensor {
    const flat = this.graph.node('Flatten', `${name}.flatten`, [x.name], { axis: 1 });
    const { seed } = this.options;
    const weight = this.graph.initializer(`${name}.weight`, 'float', [classes, x.c], () => uniformFloats(classes * x.c, Math.sqrt(3 / x.c), tensorRng(seed, `${name}.weight`)));
    const bias = this.graph.initializer(`${name}.bias`, 'float', [classes], () => uniformFloats(classes, BIAS_LIMIT, tensorRng(seed, `${name}.bias`)));
    const fc = `${name}.fc`;
    this.graph.node('Gemm', fc, [flat, weight, bias], { transB: 1 }, outputName);
    this.layers.push({
      name,
      block,
      role: 'classifier',
      op: 'fc',
      kernel: 1,
      stride: 1,
      activation: null,
      inputShape: shape(x),
      outputShape: [1, classes],
      madds: x.c * classes,
      params: x.c * classes + classes,
      nodes: [flat, fc],
    });
    return { name: outputName, c: classes, h: 1, w: 1 };
  }

  /** Output tensor `${prefix}.act`; decomposed forms put their helper nodes under the same prefix. */
  private activation(x: string, prefix: string, activation: Activation, nodes: string[]): string {
    const name = `${prefix}.act`;
    const swish = (): string => this.emit('Mul', name, [x, this.emit('Sigmoid', `${name}.sigmoid`, [x], nodes)], nodes);
    switch (activation) {
      case 'relu':
        return this.emit('Relu', name, [x], nodes);
      case 'relu6':
        return this.emit('Clip', name, [x, this.scalar('zero', 0), this.scalar('six', 6)], nodes);
      case 'swish':
        return swish();
      case 'hswish':
        if (this.options.hswishImpl === 'fused') return this.emit('HardSwish', name, [x], nodes);
        if (this.options.hswishImpl === 'swish') return swish();
        {
          const product = this.emit('Mul', `${name}.mul`, [x, this.shiftedRelu6(x, name, nodes)], nodes);
          return this.emit('Div', name, [product, this.scalar('six', 6)], nodes);
        }
    }
  }

  /**
   * ReLU6(x + 3) / 6. Decomposed h-swish decomposes the gate too, so that the paper's non-optimized
   * variant has no fused hard op; otherwise one HardSigmoid node.
   */
  private hardSigmoid(x: string, name: string, nodes: string[]): string {
    if (this.options.hswishImpl !== 'decomposed') {
      return this.emit('HardSigmoid', name, [x], nodes, { alpha: { float: 1 / 6 }, beta: { float: 0.5 } });
    }
    return this.emit('Div', name, [this.shiftedRelu6(x, name, nodes), this.scalar('six', 6)], nodes);
  }

  /** Clip(x + 3, 0, 6) as `${name}.add`, `${name}.clip`. */
  private shiftedRelu6(x: string, name: string, nodes: string[]): string {
    const shifted = this.emit('Add', `${name}.add`, [x, this.scalar('three', 3)], nodes);
    return this.emit('Clip', `${name}.clip`, [shifted, this.scalar('zero', 0), this.scalar('six', 6)], nodes);
  }

  private emit(op: string, nodeName: string, inputs: string[], nodes: string[], attrs = {}): string {
    const out = this.graph.node(op, nodeName, inputs, attrs);
    nodes.push(out);
    return out;
  }

  private scalar(label: string, value: number): string {
    return this.graph.constant(`const.${label}`, 'float', [], () => Float32Array.of(value));
  }

  /** One Conv node (bias = folded batch norm), with QDQ around it when quantized. */
  private conv(input: string, name: string, nodes: string[], c: { cin: number; cout: number; k: number; d: number; stride: number; groups: number; gain: number }): string {
    const { seed, quantization } = this.options;
    const wDims = [c.cout, c.cin / c.groups, c.k, c.k];
    const wCount = wDims.reduce((a, b) => a * b, 1);
    const limit = Math.sqrt((3 * c.gain) / ((c.cin / c.groups) * c.k * c.k));
    const pad = (c.d * (c.k - 1)) / 2;
    const attrs = {
      kernel_shape: [c.k, c.k],
      strides: [c.stride, c.stride],
      pads: [pad, pad, pad, pad],
      dilations: [c.d, c.d],
      group: c.groups,
    };
    if (quantization === 'none') {
      const weight = this.graph.initializer(`${name}.weight`, 'float', wDims, () => uniformFloats(wCount, limit, tensorRng(seed, `${name}.weight`)));
      const bias = this.graph.initializer(`${name}.bias`, 'float', [c.cout], () => uniformFloats(c.cout, BIAS_LIMIT, tensorRng(seed, `${name}.bias`)));
      nodes.push(this.graph.node('Conv', name, [input, weight, bias], attrs));
      return name;
    }

    const perChannel = quantization === 'int8-per-channel';
    const emit = (op: string, nodeName: string, inputs: string[], attributes = {}): string => this.emit(op, nodeName, inputs, nodes, attributes);
    const aScale = this.graph.constant('const.act_scale', 'float', [], () => Float32Array.of(ACTIVATION_SCALE));
    const aZero = this.graph.constant('const.act_zero_point', 'uint8', [], () => Uint8Array.of(ACTIVATION_ZERO_POINT));
    const quantized = emit('QuantizeLinear', `${name}.in.q`, [input, aScale, aZero]);
    const dequantized = emit('DequantizeLinear', `${name}.in.dq`, [quantized, aScale, aZero]);

    const rng = tensorRng(seed, `${name}.weight`);
    const scaleDims = perChannel ? [c.cout] : [];
    const wScales = perChannel ? Float32Array.from({ length: c.cout }, () => (limit / 127) * (0.5 + rng())) : Float32Array.of(limit / 127);
    const weightQ = this.graph.initializer(`${name}.weight_q`, 'int8', wDims, () => uniformInts(wCount, -127, 127, rng, Int8Array));
    const weightScale = this.graph.initializer(`${name}.weight_scale`, 'float', scaleDims, () => wScales);
    const weightZero = this.graph.initializer(`${name}.weight_zero_point`, 'int8', scaleDims, () => new Int8Array(perChannel ? c.cout : 1));
    const axis = perChannel ? { axis: 0 } : {};
    const weight = emit('DequantizeLinear', `${name}.weight.dq`, [weightQ, weightScale, weightZero], axis);

    const bScales = wScales.map((s) => s * ACTIVATION_SCALE);
    const biasQ = this.graph.initializer(`${name}.bias_q`, 'int32', [c.cout], () => {
      const brng = tensorRng(seed, `${name}.bias`);
      return Int32Array.from({ length: c.cout }, (_, i) => Math.round(((2 * brng() - 1) * BIAS_LIMIT) / bScales[perChannel ? i : 0]!));
    });
    const biasScale = this.graph.initializer(`${name}.bias_scale`, 'float', scaleDims, () => bScales);
    const biasZero = this.graph.initializer(`${name}.bias_zero_point`, 'int32', scaleDims, () => new Int32Array(perChannel ? c.cout : 1));
    const bias = emit('DequantizeLinear', `${name}.bias.dq`, [biasQ, biasScale, biasZero], axis);

    const out = emit('Conv', name, [dequantized, weight, bias], attrs);
    const outQ = emit('QuantizeLinear', `${name}.out.q`, [out, aScale, aZero]);
    return emit('DequantizeLinear', `${name}.out.dq`, [outQ, aScale, aZero]);
  }
}

export function buildNetwork(graph: OnnxGraph, plan: NetworkPlan, options: EmitOptions, io = { input: 'input', output: 'logits' }): LayerInfo[] {
  const builder = new NetworkBuilder(graph, options);
  builder.build(plan, io.input, io.output);
  return builder.layers;
}
