import { describe, expect, it } from 'vitest';
import type { LayerInfo } from './index.js';
import { buildVariant, describeVariant } from './index.js';
import { inspectModel } from './onnx-graph.js';

/** What per-layer attribution does with a profile event: the longest layer name that is the node name or a dotted prefix of it. */
function owningLayer(layers: LayerInfo[], node: string): LayerInfo | undefined {
  return layers.filter((l) => node === l.name || node.startsWith(`${l.name}.`)).sort((a, b) => b.name.length - a.name.length)[0];
}

describe(buildVariant.name, () => {
  it('is byte-identical for the same spec', () => {
    const first = buildVariant('mobilenetv3-small-1.0');
    const second = buildVariant({ model: 'mobilenetv3-small', seed: 0 });

    expect(second.sha256).toBe(first.sha256);
    expect(Buffer.from(second.onnx).equals(Buffer.from(first.onnx))).toBe(true);
  });

  it('changes the weights with the seed', () => {
    const sut = buildVariant('mobilenetv3-small-1.0+seed=1');

    expect(sut.sha256).not.toBe(buildVariant('mobilenetv3-small-1.0').sha256);
    expect(sut.params).toBe(describeVariant('mobilenetv3-small-1.0').params);
  });

  it.each(['mobilenetv3-large-1.0', 'mobilenetv3-large-1.0+act=hswish+hswish=decomposed', 'mobilenetv3-small-1.0+last=original'])(
    'names every node of %s after the layer that owns it',
    (name) => {
      const sut = buildVariant(name);
      const graph = inspectModel(sut.onnx);

      for (const node of graph.nodes) {
        const layer = owningLayer(sut.layers, node.name);
        expect(layer, node.name).toBeDefined();
        expect(layer!.nodes, node.name).toContain(node.name);
        expect(node.outputs[0] === node.name || node.outputs[0] === sut.outputName || node.opType === 'Split', node.name).toBe(true);
      }
      expect(sut.layers.flatMap((l) => l.nodes).sort()).toEqual(graph.nodes.map((n) => n.name).sort());
    },
  );

  it('declares input and logits with their shapes', () => {
    const sut = buildVariant('mobilenetv3-small-1.0@160');
    const graph = inspectModel(sut.onnx);

    expect(graph.inputs).toEqual(['input']);
    expect(graph.outputs).toEqual(['logits']);
    expect(graph.opset).toBe(17);
    expect(graph.metadata['latfleet.variant']).toBe('mobilenetv3-small-1.0@160');
    expect(sut.inputShape).toEqual([1, 3, 160, 160]);
    expect(sut.outputShape).toEqual([1, 1000]);
  });

  it('stores weights as little-endian float32 raw data', () => {
    const sut = inspectModel(buildVariant('mobilenetv3-small-1.0').onnx);
    const stem = sut.initializers.find((t) => t.name === 'stem.conv.weight')!;

    expect(stem).toEqual({ name: 'stem.conv.weight', dataType: 1, dims: [16, 3, 3, 3], bytes: 16 * 3 * 3 * 3 * 4 });
  });
});

describe(describeVariant.name, () => {
  it.each([
    ['mobilenetv3-large-1.0', 219e6, 5.4e6],
    ['mobilenetv3-small-1.0', 56e6, 2.5e6],
  ])('counts %s within 2%% of the paper', (name, madds, params) => {
    const sut = describeVariant(name);

    expect(Math.abs(sut.madds / madds - 1)).toBeLessThan(0.02);
    expect(Math.abs(sut.params / params - 1)).toBeLessThan(0.02);
    expect(sut.published).toMatchObject({ madds, params });
  });

  it('agrees with the built graph', () => {
    const name = 'mobilenetv3-large-1.0+act=relu';

    expect(describeVariant(name)).toEqual(omitBuildOutputs(buildVariant(name)));
  });

  it('attributes layers to blocks, roles and ops', () => {
    const sut = describeVariant('mobilenetv3-large-1.0');
    const byName = new Map(sut.layers.map((l) => [l.name, l]));

    expect(byName.get('stem')).toMatchObject({ block: 'stem', role: 'stem', op: 'conv', kernel: 3, stride: 2, activation: 'hswish' });
    expect(byName.get('blocks.0.dw')).toMatchObject({ block: 'blocks.0', role: 'depthwise', op: 'dwconv', activation: 'relu' });
    expect(byName.get('blocks.3.se')).toMatchObject({
      role: 'se',
      op: 'se',
      nodes: ['blocks.3.se.pool', 'blocks.3.se.reduce.conv', 'blocks.3.se.reduce.act', 'blocks.3.se.expand.conv', 'blocks.3.se.gate', 'blocks.3.se.mul'],
    });
    expect(byName.get('blocks.7.expand')).toMatchObject({ nodes: ['blocks.7.expand.conv', 'blocks.7.expand.act'], outputShape: [1, 200, 14, 14] });
    expect(byName.get('blocks.7.add')).toMatchObject({ role: 'residual', op: 'add', nodes: ['blocks.7.add'] });
    expect(byName.get('head.fc1')).toMatchObject({ nodes: ['head.fc1.conv', 'head.fc1.act'], inputShape: [1, 960, 1, 1] });
    expect(byName.get('classifier')).toMatchObject({ op: 'fc', outputShape: [1, 1000], madds: 1280 * 1000 });
    expect(sut.layers.filter((l) => l.op === 'se')).toHaveLength(8);
  });

  it.each([
    ['relu', ['relu'], 'relu'],
    ['hswish', ['hswish'], 'hswish'],
    ['@112', ['relu', 'hswish'], 'relu'],
  ])('places activation preset %s', (activation, blockActivations, stem) => {
    const sut = describeVariant({ model: 'mobilenetv3-large-1.0', activation });
    const convs = sut.layers.filter((l) => l.block.startsWith('blocks.') && (l.role === 'expand' || l.role === 'depthwise'));

    expect([...new Set(convs.map((l) => l.activation))]).toEqual(blockActivations);
    expect(sut.layers[0]!.activation).toBe(stem);
  });

  it('costs about 30M MAdds more with the original last stage', () => {
    const efficient = describeVariant('mobilenetv3-large-1.0').madds;

    const sut = describeVariant({ model: 'mobilenetv3-large-1.0', lastStage: 'original' }).madds - efficient;

    expect(sut).toBeGreaterThan(25e6);
    expect(sut).toBeLessThan(40e6);
  });
});

function omitBuildOutputs(built: ReturnType<typeof buildVariant>): Omit<typeof built, 'onnx' | 'sha256'> {
  const { onnx: _onnx, sha256: _sha, ...description } = built;
  return description;
}
