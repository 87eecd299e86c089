import { describe, expect, it } from 'vitest';
import { buildTflite, buildVariant, describeVariant, inspectTflite } from '../index.js';
import type { LayerInfo, TfliteSummary } from '../index.js';

type Tensor = TfliteSummary['tensors'][number];

const owner = (layers: LayerInfo[], tensor: string): LayerInfo | undefined =>
  layers.filter((l) => tensor === l.name || tensor.startsWith(`${l.name}.`)).sort((a, b) => b.name.length - a.name.length)[0];

// int8 builds calibrate through the float graph (a second or two each on two cores): build each once
const builds = new Map<string, ReturnType<typeof buildTflite>>();
const built = (name: string) => builds.get(name) ?? builds.set(name, buildTflite(name)).get(name)!;
const inspect = (name: string): TfliteSummary => inspectTflite(built(name).tflite);

const int8s = (t: Tensor): Int8Array => new Int8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
const float32s = (t: Tensor): Float32Array => new Float32Array(t.data.slice().buffer);
const int32s = (t: Tensor): Int32Array => new Int32Array(t.data.slice().buffer);

describe(`${buildTflite.name} (int8)`, () => {
  it('is byte-identical for the same spec, content-addressed, and differs by weight scheme', () => {
    const first = built('mobilenetv3-small-0.75@96+quant=int8-per-channel');
    const second = buildTflite({ model: 'mobilenetv3-small-0.75', resolution: 96, quantization: 'int8-per-channel', seed: 0 });

    expect(Buffer.from(second.tflite).equals(Buffer.from(first.tflite))).toBe(true);
    expect(second.sha256).toBe(first.sha256);
    expect(built('mobilenetv3-small-0.75@96+quant=int8').sha256).not.toBe(first.sha256);
    expect(built('mobilenetv3-small-0.75@96').sha256).not.toBe(first.sha256);
  }, 30_000);

  // a changed hash means every stored int8 .tflite of this builder is a different file: change it on purpose
  it('pins the bytes of a reference variant', () => {
    expect(built('mixnet-s@96+quant=int8-per-channel').sha256).toBe('3ab6bc73a72989c0981863b210a3125d03a88ec1bb62a1cc86e215fa8d656bfd');
  }, 30_000);

  it.each(['mobilenetv3-small-0.75@96+quant=int8-per-channel', 'mixnet-s@96+quant=int8', 'efficientnet-b0@96+width=0.5+quant=int8-per-channel'])(
    'keeps the MAdds, params and layer names of %s',
    (name) => {
      const sut = built(name);
      const model = inspect(name);
      const described = describeVariant(name);

      expect(sut.name).toBe(described.name);
      expect([sut.madds, sut.params]).toEqual([described.madds, described.params]);
      expect([sut.madds, sut.params]).toEqual([buildVariant(name).madds, buildVariant(name).params]);
      const weights = model.tensors.filter((t) => /\.(weight|bias)$/.test(t.name));
      expect(new Set(weights.map((t) => t.type))).toEqual(new Set(['int8', 'int32']));
      expect(weights.reduce((n, t) => n + t.bytes / (t.type === 'int8' ? 1 : 4), 0)).toBe(described.params);
      const named = model.tensors.filter((t) => !['input', 'input.int8', 'logits', 'logits.int8'].includes(t.name) && !t.name.startsWith('const.'));
      expect(named.filter((t) => !owner(described.layers, t.name)).map((t) => t.name)).toEqual([]);
    },
    30_000,
  );

  it('takes float input and gives float logits: QUANTIZE first, DEQUANTIZE last, int8 in between', () => {
    const model = inspect('mobilenetv2-0.35@96+quant=int8-per-channel');
    const byName = new Map(model.tensors.map((t) => [t.name, t]));

    expect(model.inputs).toEqual(['input']);
    expect(model.outputs).toEqual(['logits']);
    expect([byName.get('input')!.type, byName.get('logits')!.type]).toEqual(['float32', 'float32']);
    expect(model.operators[0]).toMatchObject({ op: 'QUANTIZE', inputs: ['input'], outputs: ['input.int8'] });
    expect(model.operators.at(-1)).toMatchObject({ op: 'DEQUANTIZE', inputs: ['logits.int8'], outputs: ['logits'] });
    const activations = model.operators.slice(1, -1).flatMap((o) => o.outputs.map((out) => byName.get(out)!));
    expect(activations.filter((t) => t.type !== 'int8').map((t) => t.name)).toEqual([]);
    for (const t of activations) {
      expect(t.quantization!.scale).toHaveLength(1);
      expect(t.quantization!.zeroPoint[0]).toBeGreaterThanOrEqual(-128);
      expect(t.quantization!.zeroPoint[0]).toBeLessThanOrEqual(127);
    }
  });

  it('reads back per-channel int8 weights and int32 biases at input scale × weight scale', () => {
    const model = inspect('mobilenetv2-0.35@96+quant=int8-per-channel');
    const byName = new Map(model.tensors.map((t) => [t.name, t]));
    const expand = model.operators.find((o) => o.outputs[0] === 'blocks.7.expand.conv')!;
    const dw = model.operators.find((o) => o.outputs[0] === 'blocks.7.dw.conv')!;

    for (const [op, dimension] of [
      [expand, 0],
      [dw, 3],
    ] as const) {
      const [input, weight, bias] = op.inputs.map((n) => byName.get(n)!);
      const channels = weight!.shape[dimension]!;
      expect(weight!.type).toBe('int8');
      expect(weight!.quantization).toMatchObject({ quantizedDimension: dimension, zeroPoint: new Array(channels).fill(0) });
      expect(weight!.quantization!.scale).toHaveLength(channels);
      expect(Math.max(...int8s(weight!).map(Math.abs))).toBe(127);
      expect(bias!.type).toBe('int32');
      expect(bias!.quantization!.scale).toHaveLength(channels);
      // TFLite's kernels refuse a bias scale more than 1e-6 (relative) away from the product
      bias!.quantization!.scale.forEach((s, c) => expect(Math.abs(s / (input!.quantization!.scale[0]! * weight!.quantization!.scale[c]!) - 1)).toBeLessThan(1e-6));
    }
    expect(expand.op).toBe('CONV_2D');
    expect(expand.version).toBe(3);
    expect(dw.version).toBe(3);
    const fc = model.operators.find((o) => o.op === 'FULLY_CONNECTED')!;
    expect(fc.version).toBe(4);
    expect(byName.get(fc.inputs[1]!)!.quantization!.scale).toHaveLength(1000);
  });

  it('quantizes per tensor for int8, per channel for int8-per-channel', () => {
    const weight = (name: string) => inspect(name).tensors.find((t) => t.name === 'blocks.7.expand.conv.weight')!;

    expect(weight('mobilenetv2-0.35@96+quant=int8').quantization!.scale).toHaveLength(1);
    expect(weight('mobilenetv2-0.35@96+quant=int8-per-channel').quantization!.scale.length).toBeGreaterThan(1);
  }, 30_000);

  it('holds the float twin weights and biases, quantized', () => {
    const float = new Map(inspect('mobilenetv3-small-0.75@96').tensors.map((t) => [t.name, t]));
    const int8 = inspect('mobilenetv3-small-0.75@96+quant=int8-per-channel');
    const conv = int8.operators.find((o) => o.op === 'CONV_2D' && o.outputs[0] === 'blocks.4.expand.conv')!;
    const [input, weight, bias] = conv.inputs.map((n) => int8.tensors.find((t) => t.name === n)!);
    const perChannel = weight!.shape.slice(1).reduce((a, b) => a * b, 1);

    const w = float32s(float.get(weight!.name)!);
    const q = int8s(weight!);
    for (let i = 0; i < w.length; i++) {
      const s = weight!.quantization!.scale[Math.floor(i / perChannel)]!;
      expect(Math.abs(q[i]! * s - w[i]!)).toBeLessThanOrEqual(s / 2 + 1e-12);
    }
    const b = float32s(float.get(bias!.name)!);
    int32s(bias!).forEach((v, c) => expect(Math.abs(v * bias!.quantization!.scale[c]! - b[c]!)).toBeLessThanOrEqual(bias!.quantization!.scale[c]! / 2 + 1e-12));
    expect(input!.type).toBe('int8');
  });

  it("meets the int8 kernels' constraints: LOGISTIC 1/256 and -128, same parameters across CONCATENATION, SPLIT_V, PAD and RESHAPE", () => {
    const check = (name: string) => {
      const model = inspect(name);
      const q = (n: string) => model.tensors.find((t) => t.name === n)!.quantization!;
      const ops = (op: string) => model.operators.filter((o) => o.op === op);
      for (const o of ops('LOGISTIC')) expect(q(o.outputs[0]!)).toMatchObject({ scale: [1 / 256], zeroPoint: [-128] });
      for (const o of ops('CONCATENATION')) for (const i of o.inputs) expect(q(i)).toEqual(q(o.outputs[0]!));
      for (const o of ops('SPLIT_V')) for (const out of o.outputs) expect(q(out)).toEqual(q(o.inputs[0]!));
      for (const o of [...ops('PAD'), ...ops('RESHAPE')]) expect(q(o.outputs[0]!)).toEqual(q(o.inputs[0]!));
      return model.operators.map((o) => o.op);
    };

    const mixnet = check('mixnet-s@96+quant=int8-per-channel');
    expect(mixnet).toEqual(expect.arrayContaining(['LOGISTIC', 'CONCATENATION', 'SPLIT_V', 'RESHAPE', 'MEAN', 'MUL', 'ADD']));
    const v2 = check('mobilenetv2-0.35@96+quant=int8');
    expect(v2).toContain('PAD');
    const v3 = check('mobilenetv3-small-0.75@96+quant=int8-per-channel');
    expect(v3).toContain('HARD_SWISH');
    // int8 TFLite has no DIV kernel: the decomposed h-swish divides by 6 as MUL by 1/6
    const decomposed = check('mobilenetv3-small-0.75@96+hswish=decomposed+quant=int8');
    expect(decomposed).not.toContain('DIV');
    expect(decomposed).not.toContain('HARD_SWISH');
  }, 60_000);

  it('records the variant and how it was quantized in its metadata', () => {
    const model = inspect('mobilenetv2-0.35@96+quant=int8');

    expect(model.metadata['latfleet.variant']).toBe('mobilenetv2-0.35@96+quant=int8');
    expect(JSON.parse(model.metadata['latfleet.spec']!)).toMatchObject({ quantization: 'int8' });
    expect(JSON.parse(model.metadata['latfleet.quantization']!)).toMatchObject({ weights: 'per-tensor', calibration: { samples: 4, seed: 0 } });
  });
});
