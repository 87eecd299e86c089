import type { onnx as OnnxTypes } from 'onnx-proto';
import { elementCount } from '../layer-info.js';
import { attr, floatsOf, int, int64sOf, ints } from './onnx-values.js';

/**
 * The builder's float ONNX graph (NCHW, its op subset) evaluated in plain JavaScript, for int8
 * calibration. Not ONNX Runtime: its kernels differ between CPUs (AVX2, AVX-512, NEON sum in
 * different orders), and a last-bit difference in one tensor's range would change the int8
 * file's bytes. Here every operation is IEEE double arithmetic in a fixed order, stored as
 * float32, so the ranges, and the file, are the same on every host.
 */

type Node = OnnxTypes.INodeProto;
type Initializer = OnnxTypes.ITensorProto;

export interface FloatTensor {
  /** [1, C, H, W] or [1, N] */
  shape: number[];
  data: Float32Array;
}

/** Called once per computed tensor (the graph input too), in graph order. */
export type TensorVisitor = (name: string, tensor: FloatTensor) => void;

export class FloatReference {
  private readonly initializers = new Map<string, Initializer>();
  /** how many nodes read each tensor: a tensor is dropped after its last reader */
  private readonly readers = new Map<string, number>();
  private readonly graph: OnnxTypes.IGraphProto;
  private readonly weights = new Map<string, Float32Array>();

  constructor(model: OnnxTypes.IModelProto) {
    this.graph = model.graph!;
    for (const t of this.graph.initializer ?? []) this.initializers.set(t.name!, t);
    for (const n of this.graph.node ?? []) for (const i of n.input ?? []) this.readers.set(i, (this.readers.get(i) ?? 0) + 1);
  }

  get inputShape(): number[] {
    return this.graph.input![0]!.type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue));
  }

  /** Runs the graph on one NCHW input; returns the (first) graph output. */
  run(input: Float32Array, visit: TensorVisitor = () => {}): FloatTensor {
    const live = new Map<string, FloatTensor>();
    const remaining = new Map(this.readers);
    const inputName = this.graph.input![0]!.name!;
    const first = { shape: this.inputShape, data: input };
    if (input.length !== elementCount(first.shape)) throw new Error(`input: ${input.length} values for shape [${first.shape.join(',')}]`);
    live.set(inputName, first);
    visit(inputName, first);
    const outputName = this.graph.output![0]!.name!;
    const read = (name: string): FloatTensor => {
      const t = live.get(name) ?? this.constant(name);
      return t;
    };
    for (const node of this.graph.node ?? []) {
      const outputs = this.evaluate(node, read);
      node.output!.forEach((name, j) => {
        const t = outputs[j]!;
        live.set(name, t);
        visit(name, t);
      });
      for (const i of node.input ?? []) {
        const left = (remaining.get(i) ?? 1) - 1;
        remaining.set(i, left);
        if (left === 0 && i !== outputName) live.delete(i);
      }
    }
    return live.get(outputName)!;
  }

  private constant(name: string): FloatTensor {
    const t = this.initializers.get(name);
    if (!t) throw new Error(`tensor ${name} is neither computed nor an initializer`);
    return { shape: (t.dims ?? []).map(Number), data: this.floats(name) };
  }

  private floats(name: string): Float32Array {
    let data = this.weights.get(name);
    if (!data) {
      const t = this.initializers.get(name)!;
      if (t.dataType !== 1) throw new Error(`initializer ${name}: not float32 (the reference evaluates the float graph)`);
      data = floatsOf(t);
      this.weights.set(name, data);
    }
    return data;
  }

  private evaluate(node: Node, read: (name: string) => FloatTensor): FloatTensor[] {
    const inputs = node.input ?? [];
    const x = () => read(inputs[0]!);
    switch (node.opType) {
      case 'Conv':
        return [this.conv(node, x())];
      case 'Relu':
        return [map(x(), (v) => (v > 0 ? v : 0))];
      case 'Clip': {
        const low = read(inputs[1]!).data[0]!;
        const high = read(inputs[2]!).data[0]!;
        return [map(x(), (v) => (v < low ? low : v > high ? high : v))];
      }
      case 'Sigmoid':
        return [map(x(), (v) => 1 / (1 + Math.exp(-v)))];
      case 'HardSwish':
        return [map(x(), (v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6)];
      case 'HardSigmoid': {
        const alpha = attr(node, 'alpha')?.f ?? 0.2;
        const beta = attr(node, 'beta')?.f ?? 0.5;
        return [map(x(), (v) => Math.min(Math.max(alpha * v + beta, 0), 1))];
      }
      case 'Add':
        return [broadcast(x(), read(inputs[1]!), (a, b) => a + b)];
      case 'Mul':
        return [broadcast(x(), read(inputs[1]!), (a, b) => a * b)];
      case 'Div':
        return [broadcast(x(), read(inputs[1]!), (a, b) => a / b)];
      case 'GlobalAveragePool':
        return [globalAveragePool(x())];
      case 'Split':
        return split(node, x(), int64sOf(this.initializers.get(inputs[1]!)!));
      case 'Concat':
        return [concat(node, inputs.map(read))];
      case 'Flatten': {
        const t = x();
        return [{ shape: [1, elementCount(t.shape)], data: t.data }];
      }
      case 'Gemm':
        return [this.gemm(node, x())];
      default:
        throw new Error(`${node.name}: ONNX ${node.opType} has no float reference`);
    }
  }

  private conv(node: Node, x: FloatTensor): FloatTensor {
    const weight = this.initializers.get(node.input![1]!)!;
    const [cout, cinPerGroup, kh, kw] = (weight.dims ?? []).map(Number) as [number, number, number, number];
    const w = this.floats(node.input![1]!);
    const bias = this.floats(node.input![2]!);
    const [, cin, h, wd] = x.shape as [number, number, number, number];
    const groups = int(node, 'group', 1);
    const [stride] = ints(node, 'strides', [1, 1]) as [number];
    const [dilation] = ints(node, 'dilations', [1, 1]) as [number];
    const [pad] = ints(node, 'pads', [0, 0, 0, 0]) as [number];
    const oh = Math.floor((h + 2 * pad - dilation * (kh - 1) - 1) / stride) + 1;
    const ow = Math.floor((wd + 2 * pad - dilation * (kw - 1) - 1) / stride) + 1;
    const coutPerGroup = cout / groups;
    if (cin !== cinPerGroup * groups) throw new Error(`${node.name}: ${cin} input channels for ${groups} groups of ${cinPerGroup}`);
    const out = new Float32Array(cout * oh * ow);
    const input = x.data;
    if (kh === 1 && kw === 1 && stride === 1 && pad === 0) {
      pointwise(input, w, bias, out, cinPerGroup, coutPerGroup, groups, h * wd);
      return { shape: [1, cout, oh, ow], data: out };
    }
    const acc = new Float64Array(oh * ow);
    for (let o = 0; o < cout; o++) {
      acc.fill(bias[o]!);
      const g = Math.floor(o / coutPerGroup);
      for (let i = 0; i < cinPerGroup; i++) {
        const plane = (g * cinPerGroup + i) * h * wd;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const wv = w[((o * cinPerGroup + i) * kh + ky) * kw + kx]!;
            const dy = ky * dilation - pad;
            const dx = kx * dilation - pad;
            // output columns whose input column lies inside the image
            const xFrom = Math.max(0, Math.ceil(-dx / stride));
            const xTo = Math.min(ow, Math.floor((wd - 1 - dx) / stride) + 1);
            for (let oy = 0; oy < oh; oy++) {
              const iy = oy * stride + dy;
              if (iy < 0 || iy >= h) continue;
              const row = plane + iy * wd + dx;
              const outRow = oy * ow;
              for (let ox = xFrom; ox < xTo; ox++) acc[outRow + ox]! += wv * input[row + ox * stride]!;
            }
          }
        }
      }
      out.set(acc, o * oh * ow);
    }
    return { shape: [1, cout, oh, ow], data: out };
  }

  private gemm(node: Node, x: FloatTensor): FloatTensor {
    if (int(node, 'transB', 0) !== 1) throw new Error(`${node.name}: only Gemm with transB = 1`);
    const [n, k] = (this.initializers.get(node.input![1]!)!.dims ?? []).map(Number) as [number, number];
    const w = this.floats(node.input![1]!);
    const bias = this.floats(node.input![2]!);
    const out = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      let sum = bias[j]!;
      for (let i = 0; i < k; i++) sum += w[j * k + i]! * x.data[i]!;
      out[j] = sum;
    }
    return { shape: [1, n], data: out };
  }
}

/**
 * 1x1 convolution as a product with the input transposed to pixel-major order: each output value's
 * sum stays in a register (bias first, then the input channels in order, as the general loop adds them).
 */
function pointwise(input: Float32Array, w: Float32Array, bias: Float32Array, out: Float32Array, cinPerGroup: number, coutPerGroup: number, groups: number, plane: number): void {
  const pixels = new Float32Array(plane * cinPerGroup);
  for (let g = 0; g < groups; g++) {
    for (let i = 0; i < cinPerGroup; i++) {
      const from = (g * cinPerGroup + i) * plane;
      for (let p = 0; p < plane; p++) pixels[p * cinPerGroup + i] = input[from + p]!;
    }
    const end = (g + 1) * coutPerGroup;
    let o = g * coutPerGroup;
    for (; o + 4 <= end; o += 4) {
      const r0 = o * cinPerGroup;
      const r1 = r0 + cinPerGroup;
      const r2 = r1 + cinPerGroup;
      const r3 = r2 + cinPerGroup;
      const o0 = o * plane;
      const o1 = o0 + plane;
      const o2 = o1 + plane;
      const o3 = o2 + plane;
      // two pixels at a time (each weight read once for both); an odd last pixel repeats the one before
      for (let p = 0; p < plane; p += 2) {
        const q = p + 1 < plane ? p + 1 : p;
        const a = p * cinPerGroup;
        const c = q * cinPerGroup;
        let s0 = bias[o]!;
        let s1 = bias[o + 1]!;
        let s2 = bias[o + 2]!;
        let s3 = bias[o + 3]!;
        let t0 = s0;
        let t1 = s1;
        let t2 = s2;
        let t3 = s3;
        for (let i = 0; i < cinPerGroup; i++) {
          const v = pixels[a + i]!;
          const u = pixels[c + i]!;
          const w0 = w[r0 + i]!;
          const w1 = w[r1 + i]!;
          const w2 = w[r2 + i]!;
          const w3 = w[r3 + i]!;
          s0 += w0 * v;
          s1 += w1 * v;
          s2 += w2 * v;
          s3 += w3 * v;
          t0 += w0 * u;
          t1 += w1 * u;
          t2 += w2 * u;
          t3 += w3 * u;
        }
        out[o0 + p] = s0;
        out[o1 + p] = s1;
        out[o2 + p] = s2;
        out[o3 + p] = s3;
        out[o0 + q] = t0;
        out[o1 + q] = t1;
        out[o2 + q] = t2;
        out[o3 + q] = t3;
      }
    }
    for (; o < end; o++) {
      const row = o * cinPerGroup;
      for (let p = 0; p < plane; p++) {
        const at = p * cinPerGroup;
        let sum = bias[o]!;
        for (let i = 0; i < cinPerGroup; i++) sum += w[row + i]! * pixels[at + i]!;
        out[o * plane + p] = sum;
      }
    }
  }
}

function map(x: FloatTensor, f: (v: number) => number): FloatTensor {
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]!);
  return { shape: x.shape, data: out };
}

/** Same shapes, a scalar, or [1, C, 1, 1] against [1, C, H, W] (SE's gate), either way round. */
function broadcast(a: FloatTensor, b: FloatTensor, f: (a: number, b: number) => number): FloatTensor {
  const big = elementCount(a.shape) >= elementCount(b.shape) ? a : b;
  const small = big === a ? b : a;
  const n = elementCount(big.shape);
  const m = elementCount(small.shape);
  if (m !== 1 && m !== n && !(m === big.shape[1] && small.shape.length === 4)) throw new Error(`cannot broadcast [${small.shape.join(',')}] to [${big.shape.join(',')}]`);
  const out = new Float32Array(n);
  const x = big.data;
  if (m === n) {
    for (let i = 0; i < n; i++) out[i] = f(a.data[i]!, b.data[i]!);
    return { shape: big.shape, data: out };
  }
  const plane = n / m;
  // one loop per small value, so that no index is divided per element
  for (let j = 0; j < m; j++) {
    const from = j * plane;
    const to = from + plane;
    const y = small.data[j]!;
    if (big === a) for (let i = from; i < to; i++) out[i] = f(x[i]!, y);
    else for (let i = from; i < to; i++) out[i] = f(y, x[i]!);
  }
  return { shape: big.shape, data: out };
}

function globalAveragePool(x: FloatTensor): FloatTensor {
  const [, c, h, w] = x.shape as [number, number, number, number];
  const out = new Float32Array(c);
  const plane = h * w;
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let p = 0; p < plane; p++) sum += x.data[ch * plane + p]!;
    out[ch] = sum / plane;
  }
  return { shape: [1, c, 1, 1], data: out };
}

function split(node: Node, x: FloatTensor, sizes: number[]): FloatTensor[] {
  if (int(node, 'axis', 0) !== 1) throw new Error(`${node.name}: only channel splits`);
  const [, , h, w] = x.shape as [number, number, number, number];
  let from = 0;
  return sizes.map((c) => {
    const part = { shape: [1, c, h, w], data: x.data.slice(from * h * w, (from + c) * h * w) };
    from += c;
    return part;
  });
}

function concat(node: Node, parts: FloatTensor[]): FloatTensor {
  if (int(node, 'axis', 0) !== 1) throw new Error(`${node.name}: only channel concatenation`);
  const [, , h, w] = parts[0]!.shape as [number, number, number, number];
  const c = parts.reduce((sum, p) => sum + p.shape[1]!, 0);
  const out = new Float32Array(c * h * w);
  let at = 0;
  for (const p of parts) {
    out.set(p.data, at);
    at += p.data.length;
  }
  return { shape: [1, c, h, w], data: out };
}
