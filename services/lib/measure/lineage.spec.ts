import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import pkg from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { buildVariant } from '../models/index.js';
import { breakdownBy, byLayer } from './aggregation.js';
import { attributeTimings, buildLineage, tensorLayersOfModel } from './lineage.js';
import { FOREIGN_ONNX_LAYERS, foreignOnnx } from '../../../test/support/foreign-onnx.js';
import { parseOrtProfile, type NodeTiming } from './ort-profile.js';
import { OPTIMIZATION_LEVELS, type OptimizationLevel } from './protocol.js';

const { onnx } = pkg;

type NodeSpec = { name?: string; op: string; inputs: string[]; outputs: string[]; perm?: number[] };

function modelBytes(nodes: NodeSpec[], initializers: string[] = []): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    graph: {
      name: 'g',
      node: nodes.map((n) => ({
        name: n.name ?? '',
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: n.perm ? [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: n.perm }] : [],
      })),
      initializer: initializers.map((name) => ({ name, dataType: 1, dims: [1] })),
    },
  }).finish();
}

const LAYERS = ['stem', 'blocks.0.dw', 'blocks.0.se', 'blocks.0.project', 'head'];

describe(buildLineage.name, () => {
  it('follows names through the runtime’s suffixes and tensors through unnamed and inserted nodes', () => {
    const sut = buildLineage(
      modelBytes(
        [
          { name: 'stem.conv_nchwc', op: 'Conv', inputs: ['input', 'w0'], outputs: ['reorder_token_1'] },
          { op: 'HardSigmoid', inputs: ['reorder_token_1'], outputs: ['_token_2'] },
          { op: 'Mul', inputs: ['reorder_token_1', '_token_2'], outputs: ['_token_3'] },
          { name: 'blocks.0.dw.act_nchwc_token_9', op: 'Conv', inputs: ['_token_3', 'w1'], outputs: ['reorder_token_4'] },
          { name: 'ReorderOutput_token_7', op: 'ReorderOutput', inputs: ['reorder_token_4'], outputs: ['blocks.0.dw.act'] },
          { name: 'ReorderInput', op: 'ReorderInput', inputs: ['blocks.0.dw.act'], outputs: ['reorder_token_5'] },
          { name: 'blocks.0.se.reduce_nchwc', op: 'Conv', inputs: ['reorder_token_5', 'w2'], outputs: ['reorder_token_6'] },
          { name: 'Transpose', op: 'Transpose', perm: [0, 2, 3, 1], inputs: ['reorder_token_6'], outputs: ['t_out0'] },
          { name: 'blocks.0.project.conv', op: 'NhwcConv', inputs: ['t_out0', 'w3'], outputs: ['p_out'] },
          { name: 'Transpose', op: 'Transpose', perm: [0, 3, 1, 2], inputs: ['p_out'], outputs: ['t_out1'] },
          { name: 'Mystery', op: 'Identity', inputs: ['w3'], outputs: ['lonely'] },
        ],
        ['w0', 'w1', 'w2', 'w3'],
      ),
      LAYERS,
    );

    expect(sut.nodes.map((n) => [n.opType, n.layer, n.via])).toEqual([
      ['Conv', 'stem', 'name'],
      ['HardSigmoid', 'stem', 'producer'],
      ['Mul', 'stem', 'producer'],
      ['Conv', 'blocks.0.dw', 'name'],
      ['ReorderOutput', 'blocks.0.dw', 'output'],
      ['ReorderInput', 'blocks.0.se', 'consumer'],
      ['Conv', 'blocks.0.se', 'name'],
      ['Transpose', 'blocks.0.project', 'consumer'],
      ['NhwcConv', 'blocks.0.project', 'name'],
      ['Transpose', 'blocks.0.project', 'producer'],
      ['Identity', '', 'none'],
    ]);
    expect(sut.byName.get('stem.conv_nchwc')).toBe('stem');
    expect(sut.byName.has('Transpose')).toBe(false);
  });

  it('resolves chains of inserted nodes', () => {
    const sut = buildLineage(
      modelBytes([
        { name: 'head.conv', op: 'Conv', inputs: ['x'], outputs: ['a'] },
        { op: 'ReorderOutput', inputs: ['a'], outputs: ['b'] },
        { op: 'Transpose', inputs: ['b'], outputs: ['c'], perm: [0, 3, 1, 2] },
      ]),
      LAYERS,
    );

    expect(sut.nodes.map((n) => n.layer)).toEqual(['head', 'head', 'head']);
  });
});

describe(attributeTimings.name, () => {
  const lineage = buildLineage(
    modelBytes([
      { name: 'stem.conv', op: 'Conv', inputs: ['input'], outputs: ['s'] },
      { op: 'HardSigmoid', inputs: ['s'], outputs: ['h'] },
      { op: 'Mul', inputs: ['s', 'h'], outputs: ['m'] },
      { name: 'blocks.0.dw.conv', op: 'Conv', inputs: ['m'], outputs: ['d'] },
      { op: 'HardSigmoid', inputs: ['d'], outputs: ['h2'] },
      { op: 'Mul', inputs: ['d', 'h2'], outputs: ['m2'] },
    ]),
    LAYERS,
  );
  const timing = (iteration: number, nodeName: string, opType: string): NodeTiming => ({ iteration, nodeName, opType, provider: 'CPUExecutionProvider', durationNs: 10 });

  it('matches unnamed kernels to graph nodes in execution order, run by run', () => {
    const run = (i: number) => [
      timing(i, 'stem.conv', 'Conv'),
      timing(i, 'HardSigmoid_40', 'HardSigmoid'),
      timing(i, 'Mul_41', 'Mul'),
      timing(i, 'blocks.0.dw.conv', 'Conv'),
      timing(i, 'HardSigmoid_42', 'HardSigmoid'),
      timing(i, 'Mul_43', 'Mul'),
    ];

    const sut = attributeTimings([...run(0), ...run(1)], lineage);

    expect(sut.map((t) => t.layer)).toEqual([...Array(2)].flatMap(() => ['stem', 'stem', 'stem', 'blocks.0.dw', 'blocks.0.dw', 'blocks.0.dw']));
  });

  it('falls back to the name for kernels the graph does not have, and to "" for strangers', () => {
    const sut = attributeTimings([timing(0, 'blocks.0.se.gate_nchwc', 'Conv'), timing(0, 'ReorderOutput_3', 'ReorderOutput'), timing(0, 'stem.conv', 'Conv')], lineage);

    expect(sut.map((t) => t.layer)).toEqual(['blocks.0.se', '', 'stem']);
  });
});

/** One session at `level` with profiling and the optimized-graph dump; `runs` profiled runs. */
async function profileAt(model: Uint8Array, inputShape: number[], level: OptimizationLevel, dir: string, runs = 1) {
  const sub = mkdtempSync(join(dir, `${level}-`));
  const optimized = join(sub, 'optimized.onnx');
  const session = await ort.InferenceSession.create(Buffer.from(model), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: level,
    enableProfiling: true,
    profileFilePrefix: join(sub, 'profile'),
    optimizedModelFilePath: optimized,
    logSeverityLevel: 3,
    extra: { session: { optimized_model_external_initializers_file_name: 'optimized.weights', optimized_model_external_initializers_min_size_in_bytes: '1024' } },
  });
  const data = Float32Array.from({ length: inputShape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i));
  for (let i = 0; i < runs; i++) await session.run({ input: new ort.Tensor('float32', data, inputShape) });
  session.endProfiling();
  await session.release();
  const profile = readdirSync(sub).find((f) => f.endsWith('.json'))!;
  return { optimized: readFileSync(optimized), profile: parseOrtProfile(readFileSync(join(sub, profile), 'utf8')) };
}

describe('lineage of ONNX Runtime’s optimized graphs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latfleet-lineage-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe.each(['mobilenetv3-large-1.0', 'mobilenetv3-large-1.0+quant=int8-per-channel'])('%s', (variant) => {
    const built = buildVariant(variant);
    const layerNames = built.layers.map((l) => l.name);

    it.each(OPTIMIZATION_LEVELS)('at level %s matches every kernel to a graph node and attributes ≥ 0.99 of kernel time', async (level) => {
      const { optimized, profile } = await profileAt(built.onnx, built.inputShape, level, dir);
      const lineage = buildLineage(optimized, layerNames);

      const sut = attributeTimings(profile.nodes, lineage);
      const breakdown = breakdownBy(sut, byLayer);

      if (process.env['LATFLEET_LINEAGE_DEBUG']) {
        console.log(
          variant,
          level,
          lineage.nodes
            .filter((n) => n.via !== 'name')
            .map((n) => `${n.name || '∅'}:${n.opType}→${n.layer || '∅'} (${n.via})`)
            .join('\n'),
        );
      }
      // the profile runs the optimized graph's nodes in the order the graph lists them
      expect(profile.nodes.map((t) => t.opType)).toEqual(lineage.nodes.map((n) => n.opType));
      expect(profile.nodes.map((t, i) => (lineage.nodes[i]!.name ? t.nodeName : ''))).toEqual(lineage.nodes.map((n) => n.name));
      expect(1 - breakdown.unattributedShare).toBeGreaterThanOrEqual(0.99);
      // every ns of the run is the session's or some node's, kernel or executor overhead
      const accounted = profile.sessionOverheadNs[0]! + sut.reduce((sum, t) => sum + t.durationNs + t.overheadNs!, 0);
      expect(Math.abs(accounted - profile.runDurationsNs[0]!)).toBeLessThanOrEqual(sut.length);
      const attributedLayers = new Set(sut.map((t) => t.layer).filter(Boolean));
      expect(attributedLayers.size / layerNames.length).toBeGreaterThan(level === 'all' ? 0.7 : 0.95);
    });
  });
});

describe(tensorLayersOfModel.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'latfleet-lineage-imported-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const model = foreignOnnx();
  const layerNames = FOREIGN_ONNX_LAYERS.map(([name]) => name);

  it('gives an activation or normalization that follows a convolution alone the convolution’s layer', () => {
    const sut = tensorLayersOfModel(model, layerNames);

    expect(Object.fromEntries(sut)).toEqual({
      '/features/features.0/Conv_output_0': '/features/features.0/Conv',
      '/features/features.1/BatchNormalization_output_0': '/features/features.0/Conv',
      '/features/features.2/Relu_output_0': '/features/features.0/Conv',
      '/features/features.3/Conv_output_0': '/features/features.3/Conv',
      clip_out: '/features/features.3/Conv',
      '/features/features.5/MaxPool_output_0': '/features/features.5/MaxPool',
      '/classifier/Reshape_output_0': '/classifier/Reshape',
      logits: '/classifier/Gemm',
    });
  });

  it.each(OPTIMIZATION_LEVELS)('at level %s attributes every node ONNX Runtime runs of a model latfleet did not build, fused convolutions to their own layer', async (level) => {
    const optimized = join(dir, `${level}.onnx`);
    const session = await ort.InferenceSession.create(Buffer.from(model), {
      intraOpNumThreads: 1,
      graphOptimizationLevel: level,
      optimizedModelFilePath: optimized,
      logSeverityLevel: 3,
    });
    await session.release();

    const sut = buildLineage(readFileSync(optimized), layerNames, tensorLayersOfModel(model, layerNames));

    expect(sut.nodes.filter((n) => n.layer === '')).toEqual([]);
    expect(sut.nodes.filter((n) => n.opType === 'Conv' || n.opType === 'FusedConv').map((n) => n.layer)).toEqual(['/features/features.0/Conv', '/features/features.3/Conv']);
  });
});
