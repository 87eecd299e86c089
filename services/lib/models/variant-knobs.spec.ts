import { describe, expect, it } from 'vitest';
import { buildVariant, describeVariant, ModelSpecError, parseVariantSpec, variantName } from './index.js';
import { inspectModel } from './onnx-graph.js';

const layer = (name: string, layerName: string) => describeVariant(name).layers.find((l) => l.name === layerName)!;
const opTypes = (name: string) => inspectModel(buildVariant(name).onnx).nodes.map((n) => n.opType);

describe('variant knobs', () => {
  it('mixes kernels 3..11 in every depthwise conv (MixConv) with split and concat', () => {
    const sut = layer('mobilenetv2-1.0+kernels=3', 'blocks.1.dw');

    expect(sut).toMatchObject({ kernels: [3, 5, 7], kernel: 7, op: 'dwconv' });
    expect(sut.nodes).toEqual(['blocks.1.dw.split', 'blocks.1.dw.conv.0', 'blocks.1.dw.conv.1', 'blocks.1.dw.conv.2', 'blocks.1.dw.concat', 'blocks.1.dw.act']);
  });

  it('gives large kernels fewer channels with the exponential split', () => {
    const equal = layer('mobilenetv2-1.0+kernels=3', 'blocks.1.dw');

    const sut = layer('mobilenetv2-1.0+kernels=3+split=exponential', 'blocks.1.dw');

    expect(sut.madds).toBeLessThan(equal.madds);
    expect(sut.outputShape).toEqual(equal.outputShape);
  });

  it('replaces large kernels by dilated 3x3 with the same receptive field', () => {
    const sut = layer('mixnet-s+dilated', 'blocks.11.dw');

    expect(sut).toMatchObject({ kernels: [3, 3, 3, 3], dilations: [1, 2, 3, 4], kernel: 9, stride: 1 });
    expect(sut.madds).toBeLessThan(layer('mixnet-s', 'blocks.11.dw').madds);
  });

  it('keeps real large kernels where the stride is 2, as the reference MDConv does', () => {
    const sut = layer('mixnet-s+dilated', 'blocks.3.dw');

    expect(sut).toMatchObject({ kernels: [3, 5, 7], kernel: 7, stride: 2 });
    expect(sut.dilations).toBeUndefined();
  });

  it('keeps MixNet grouped pointwise convs as one grouped Conv when the split is even', () => {
    const sut = layer('mixnet-s', 'blocks.1.expand');

    expect(sut).toMatchObject({ groups: 2, nodes: ['blocks.1.expand.conv', 'blocks.1.expand.act'] });
  });

  it.each([
    ['mobilenetv3-large-1.0+se=none', 0],
    ['mobilenetv3-large-1.0', 8],
    ['mobilenetv3-large-1.0+se=all', 15],
    ['mobilenetv2-1.0+se=all', 17],
  ])('places SE in %s: %d modules', (name, count) => {
    expect(describeVariant(name).layers.filter((l) => l.op === 'se')).toHaveLength(count);
  });

  it('sizes SE from the expansion (MobileNetV3) or the block input (MnasNet)', () => {
    expect(layer('mobilenetv3-large-1.0', 'blocks.3.se').params).toBe(72 * 24 * 2 + 24 + 72);
    expect(layer('mobilenetv3-large-1.0+seWidth=input', 'blocks.3.se').params).toBe(72 * 6 * 2 + 6 + 72);
  });

  it('gates SE with a sigmoid or a hard sigmoid', () => {
    expect(opTypes('mobilenetv3-small-1.0')).toContain('HardSigmoid');
    expect(opTypes('mobilenetv3-small-1.0+seGate=sigmoid')).not.toContain('HardSigmoid');
  });

  it.each([
    ['fused', ['HardSwish'], ['Div']],
    ['decomposed', ['Add', 'Clip', 'Mul', 'Div'], ['HardSwish']],
    ['swish', ['Sigmoid', 'Mul'], ['HardSwish']],
  ])('emits h-swish %s as %j', (impl, present, absent) => {
    const sut = opTypes(`mobilenetv3-small-1.0+hswish=${impl}`);

    for (const op of present) expect(sut).toContain(op);
    for (const op of absent) expect(sut).not.toContain(op);
  });

  it.each([
    ['fused', ['HardSwish', 'HardSigmoid'], []],
    ['decomposed', ['Add', 'Clip', 'Mul', 'Div'], ['HardSwish', 'HardSigmoid']],
  ])('gates SE of h-swish %s with %j, no %j', (impl, present, absent) => {
    const name = `mobilenetv3-large-1.0+hswish=${impl}`;
    const sut = inspectModel(buildVariant(name).onnx).nodes;
    const gate = sut.filter((n) => n.name.startsWith('blocks.3.se.gate')).map((n) => n.opType);

    for (const op of present) expect(sut.map((n) => n.opType)).toContain(op);
    for (const op of absent) expect(sut.map((n) => n.opType)).not.toContain(op);
    expect(gate).toEqual(impl === 'fused' ? ['HardSigmoid'] : ['Add', 'Clip', 'Div']);
    expect(describeVariant(name)).toMatchObject({ madds: describeVariant('mobilenetv3-large-1.0').madds, params: describeVariant('mobilenetv3-large-1.0').params });
  });

  it('adds about 10M MAdds with a 32-filter MobileNetV3 stem', () => {
    const sut = describeVariant('mobilenetv3-large-1.0+stem=32').madds - describeVariant('mobilenetv3-large-1.0').madds;

    expect(sut).toBeGreaterThan(8e6);
    expect(sut).toBeLessThan(12e6);
  });

  it('scales depth by ceil(repeats * depth)', () => {
    expect(describeVariant('mobilenetv2-1.0+depth=2').layers.filter((l) => l.role === 'project')).toHaveLength(34);
  });

  it.each([
    ['mobilenetv3-large-1.0', 15],
    ['mobilenetv3-large-1.0+depth=1.2', 24],
    ['mobilenetv3-large-1.0+depth=0.5', 11],
    ['mobilenetv3-large-1.0+depth=2', 30],
    ['mobilenetv3-small-1.0', 11],
    ['mobilenetv3-small-1.0+depth=1.2', 18],
    ['mobilenetv3-small-1.0+depth=0.5', 8],
  ])('scales MobileNetV3 repeats per stage of equal blocks: %s has %d blocks', (name, count) => {
    const sut = new Set(
      describeVariant(name)
        .layers.filter((l) => l.block.startsWith('blocks.'))
        .map((l) => l.block),
    );

    expect(sut.size).toBe(count);
  });

  it("repeats a MobileNetV3 stage with stride 1 and the stage's expansion ratio", () => {
    const sut = describeVariant('mobilenetv3-large-1.0+depth=1.2').layers.filter((l) => l.role === 'depthwise');

    expect(sut.map((l) => [l.stride, l.inputShape[1]])).toEqual([
      [1, 16],
      [1, 16],
      [2, 64],
      [1, 96],
      [1, 72],
      [1, 72],
      [2, 72],
      [1, 120],
      [1, 120],
      [1, 120],
      [2, 240],
      [1, 480],
      [1, 200],
      [1, 200],
      [1, 184],
      [1, 184],
      [1, 184],
      [1, 480],
      [1, 672],
      [1, 672],
      [2, 672],
      [1, 960],
      [1, 960],
      [1, 960],
    ]);
  });

  it('gives MobileNetV3 at depth 0.5 a smaller network under its own name', () => {
    const sut = describeVariant('mobilenetv3-large-1.0+depth=0.5');

    expect(sut.name).toBe('mobilenetv3-large-1.0+depth=0.5');
    expect(sut.madds).toBeLessThan(describeVariant('mobilenetv3-large-1.0').madds);
    expect(buildVariant(sut.name).sha256).not.toBe(buildVariant('mobilenetv3-large-1.0').sha256);
  });

  it('wraps every conv in QDQ with int8 weights, per tensor or per channel', () => {
    const perTensor = inspectModel(buildVariant('mobilenetv3-small-1.0+quant=int8').onnx);
    const perChannel = inspectModel(buildVariant('mobilenetv3-small-1.0+quant=int8-per-channel').onnx);
    const conv = (nodes: typeof perTensor.nodes) => nodes.filter((n) => n.opType === 'Conv');

    expect(conv(perTensor.nodes).every((n) => n.inputs[0]!.endsWith('.in.dq'))).toBe(true);
    expect(perTensor.initializers.find((t) => t.name === 'stem.conv.weight_q')).toMatchObject({ dataType: 3, dims: [16, 3, 3, 3] });
    expect(perTensor.initializers.find((t) => t.name === 'stem.conv.weight_scale')!.dims).toEqual([]);
    expect(perChannel.initializers.find((t) => t.name === 'stem.conv.weight_scale')!.dims).toEqual([16]);
    expect(describeVariant('mobilenetv3-small-1.0+quant=int8').madds).toBe(describeVariant('mobilenetv3-small-1.0').madds);
  });
});

describe('variant canonical names', () => {
  it.each([
    ['mobilenetv1-1.0-224@160', 'mobilenetv1-1.0-160'],
    ['mobilenetv1', 'mobilenetv1-1.0-224'],
    [{ model: 'mobilenetv1-0.5-128', width: 1 }, 'mobilenetv1-1.0-128'],
    ['efficientnet-b0@240+depth=1.1', 'efficientnet-b1'],
    ['efficientnet-b1+width=1.2', 'efficientnet-b1+width=1.2'],
    ['mixnet-m+width=1.3', 'mixnet-l'],
    ['mobilenetv2-1.0+width=0.35', 'mobilenetv2-0.35'],
    ['efficientnet-b0+compound=1', 'efficientnet-b2@258'],
    ['efficientnet-b0+compound=2', 'efficientnet-b0@296+width=1.21+depth=1.44'],
    ['mixnet-s@192+dilated+kernels=2', 'mixnet-s@192+kernels=2+dilated'],
    ['mobilenetv2-1.0+stem=32', 'mobilenetv2-1.0'],
  ])('%j is %s', (input, expected) => {
    expect(variantName(input)).toBe(expected);
  });

  it.each([
    [{ model: 'mobilenetv2-1.0', lastStage: 'original' }, 'lastStage'],
    [{ model: 'mobilenetv3-large-1.0', compound: 1 }, 'compound'],
    [{ model: 'efficientnet-b0', compound: 1, width: 1.2 }, 'compound'],
    [{ model: 'efficientnet-b0', kernels: 6 }, 'kernels'],
    [{ model: 'efficientnet-b0', quantization: 'int4' }, 'quantization'],
    [{ model: 'mobilenetv1-0.25-224', kernels: 5, channelSplit: 'exponential' }, 'kernels'],
  ])('rejects %j naming %s', (input, field) => {
    expect(() => parseVariantSpec(input)).toThrow(ModelSpecError);
    try {
      parseVariantSpec(input);
    } catch (error) {
      expect((error as ModelSpecError).field).toBe(field);
    }
  });
});
