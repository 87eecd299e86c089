import { describe, expect, it } from 'vitest';
import { buildTflite, buildVariant, describeVariant, inspectTflite } from '../index.js';
import type { LayerInfo } from '../index.js';

const owner = (layers: LayerInfo[], tensor: string): LayerInfo | undefined =>
  layers.filter((l) => tensor === l.name || tensor.startsWith(`${l.name}.`)).sort((a, b) => b.name.length - a.name.length)[0];

describe(buildTflite.name, () => {
  it('is byte-identical for the same spec and content-addressed', () => {
    const first = buildTflite('mobilenetv3-small-0.75@96');
    const second = buildTflite({ model: 'mobilenetv3-small-0.75', resolution: 96, seed: 0 });

    expect(Buffer.from(second.tflite).equals(Buffer.from(first.tflite))).toBe(true);
    expect(second.sha256).toBe(first.sha256);
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(first.sha256).not.toBe(buildTflite('mobilenetv3-small-0.75@96+seed=1').sha256);
  });

  // a changed hash means every stored .tflite of this builder is a different file: change it on purpose
  it('pins the bytes of a reference variant', () => {
    expect(buildTflite('mixnet-s@96').sha256).toBe('2e9fcbfa0a2a7469c81a9e5a8805414138e226d651a8705727ebbb140542f7bc');
  });

  it('is a TFLite schema-3 flatbuffer with NHWC input, logits and the variant in its metadata', () => {
    const sut = buildTflite('mobilenetv2-0.35@96');
    const model = inspectTflite(sut.tflite);

    expect(Buffer.from(sut.tflite.subarray(4, 8)).toString('latin1')).toBe('TFL3');
    expect(model.version).toBe(3);
    expect(model.inputs).toEqual(['input']);
    expect(model.outputs).toEqual(['logits']);
    expect(model.tensors.find((t) => t.name === 'input')!.shape).toEqual([1, 96, 96, 3]);
    expect(model.tensors.find((t) => t.name === 'logits')!.shape).toEqual([1, 1000]);
    expect(sut.inputShape).toEqual([1, 96, 96, 3]);
    expect(model.metadata['latfleet.variant']).toBe('mobilenetv2-0.35@96');
  });

  it.each(['mobilenetv3-small-0.75@96', 'mobilenetv2-0.35@96', 'mixnet-s@96', 'efficientnet-b0@96', 'mobilenetv3-large-1.0@96+hswish=decomposed'])(
    'keeps the MAdds, params and layer names of %s',
    (name) => {
      const sut = buildTflite(name);
      const model = inspectTflite(sut.tflite);
      const described = describeVariant(name);

      expect(sut.madds).toBe(described.madds);
      expect(sut.params).toBe(described.params);
      const weights = model.tensors.filter((t) => t.type === 'float32' && /\.(weight|bias)$/.test(t.name));
      expect(weights.reduce((n, t) => n + t.bytes / 4, 0)).toBe(described.params);
      // every operator output but the logits, and every named tensor, belongs to a builder layer
      const outputs = model.operators.flatMap((op) => op.outputs.filter((out) => out !== 'logits').map((out) => `${op.op} -> ${out}`));
      expect(outputs.length).toBeGreaterThan(10);
      expect(outputs.filter((o) => !owner(described.layers, o.split(' -> ')[1]!))).toEqual([]);
      const named = model.tensors.filter((t) => t.name !== 'input' && t.name !== 'logits' && !t.name.startsWith('const.'));
      expect(named.filter((t) => !owner(described.layers, t.name)).map((t) => t.name)).toEqual([]);
    },
  );

  it('fuses ReLU and ReLU6 into the convolutions and emits HARD_SWISH as its own op', () => {
    const ops = (name: string) => inspectTflite(buildTflite(name).tflite).operators.map((o) => o.op);

    const v3 = ops('mobilenetv3-small-0.75@96');
    expect(v3).not.toContain('RELU');
    expect(v3).not.toContain('RELU6');
    expect(v3).toContain('HARD_SWISH');
    const v2 = ops('mobilenetv2-0.35@96');
    expect(v2).not.toContain('RELU6');
    expect(v2.filter((o) => o === 'DEPTHWISE_CONV_2D')).toHaveLength(17);
    expect(v2).toContain('PAD');
    const decomposed = ops('mobilenetv3-small-0.75@96+hswish=decomposed');
    expect(decomposed).not.toContain('HARD_SWISH');
    expect(decomposed).toContain('DIV');
  });

  it('names each fused convolution output after its conv node', () => {
    const model = inspectTflite(buildTflite('mobilenetv2-0.35@96').tflite);
    const expand = model.operators.find((o) => o.outputs[0] === 'blocks.7.expand.conv')!;

    expect(expand.op).toBe('CONV_2D');
    expect(expand.inputs.slice(1)).toEqual(['blocks.7.expand.conv.weight', 'blocks.7.expand.conv.bias']);
  });

  it('leaves the ONNX model as it was', () => {
    const onnx = buildVariant('mobilenetv3-small-0.75@96');
    buildTflite('mobilenetv3-small-0.75@96');

    expect(buildVariant('mobilenetv3-small-0.75@96').sha256).toBe(onnx.sha256);
  });

  it('builds quantized variants as int8 TFLite (tflite-int8.spec.ts)', () => {
    const model = inspectTflite(buildTflite('mobilenetv2-0.35@96+quant=int8').tflite);

    expect(model.tensors.find((t) => t.name === 'blocks.7.expand.conv.weight')!.type).toBe('int8');
  });
});
