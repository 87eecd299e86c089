import { describe, expect, it } from 'vitest';
import { describeVariant } from '../models/index.js';
import { DEFAULT_BOOSTED_TREES } from './boosted-trees.js';
import { channelLayout, fusionKeys, KERNEL_FEATURE_NAMES, kernelFeatures, layerContexts, layerWork } from './kernel-features.js';
import {
  featureKey,
  fitEndToEnd,
  fitPredictor,
  KernelPredictor,
  kernelPart,
  kernelsByLayer,
  layerRows,
  learnFusion,
  type KernelModelOptions,
  type MeasuredVariant,
} from './predictor.js';
import { accuracyOf, foldsByVariant, trainPredictor } from './validation.js';

const SMALL_MODEL: KernelModelOptions = { boosted: { ...DEFAULT_BOOSTED_TREES, trees: 20, depth: 3 }, exact: true, stackFolds: 0, context: true, layerShare: 0, blend: false };
/** ns per unit of work of each runtime op type on the constructed device */
const COST: Record<string, number> = { FusedConv: 0.05, Conv: 0.06, Add: 0.2, GlobalAveragePool: 0.3, Mul: 0.25, HardSigmoid: 0.4, Gemm: 0.04, Sigmoid: 0.5 };
const OVERHEAD = { perKernelNs: 3_000 };

/** What a runtime "ran" for a layer on the constructed device: a fused conv, SE as pool + two convs + gate + mul. */
function ranOps(op: string): string[] {
  if (op === 'conv' || op === 'dwconv') return ['FusedConv'];
  if (op === 'se') return ['GlobalAveragePool', 'FusedConv', 'Conv', 'HardSigmoid', 'Mul'];
  if (op === 'add') return ['Add'];
  if (op === 'pool') return ['GlobalAveragePool'];
  return ['Gemm'];
}

/** A measured variant whose kernel times and end-to-end median follow exactly from COST and OVERHEAD. */
function measured(name: string, extraKernels: Array<{ opType: string; medianNs: number }> = []): MeasuredVariant {
  const d = describeVariant(name);
  const kernels = d.layers.flatMap((layer) =>
    ranOps(layer.op).map((opType, i) => ({ nodeName: `${layer.name}.k${i}`, opType, layer: layer.name, medianNs: COST[opType]! * layerWork(layer) })),
  );
  const unattributed = extraKernels.map((k, i) => ({ nodeName: `${k.opType}_${i}`, opType: k.opType, layer: '', medianNs: k.medianNs }));
  const sum = kernels.reduce((a, k) => a + k.medianNs, 0);
  return {
    name: d.name,
    family: d.family,
    spec: d.spec,
    layers: d.layers,
    kernels: [...kernels, ...unattributed],
    medianNs: sum + OVERHEAD.perKernelNs * kernels.length,
  };
}

const TRAINING = [
  'mobilenetv3-small-1.0@128',
  'mobilenetv3-small-1.0@160',
  'mobilenetv3-small-1.0@192',
  'mobilenetv3-small-0.75@160',
  'mobilenetv3-small-1.0@144+act=relu',
  'mobilenetv3-small-1.0@176+se=none',
  'mobilenetv3-small-0.75@128+act=relu',
  'mobilenetv3-small-1.0@128+width=0.9',
].map((n) => measured(n));

describe('kernelFeatures', () => {
  it('describes a kernel by its layer configuration, one value per named feature', () => {
    const layer = describeVariant('mobilenetv3-small-1.0').layers.find((l) => l.op === 'dwconv' && l.stride === 2)!;
    const f = kernelFeatures(layer, { quantization: 'none', hswishImpl: 'fused', seGate: 'hardsigmoid' }, 0);
    const named = Object.fromEntries(KERNEL_FEATURE_NAMES.map((n, i) => [n, f[i]]));
    expect(f).toHaveLength(KERNEL_FEATURE_NAMES.length);
    expect(named).toMatchObject({
      log2Cin: Math.log2(layer.inputShape[1]!),
      log2Hin: Math.log2(layer.inputShape[2]!),
      log2Hout: Math.log2(layer.outputShape[2]!),
      kernel: layer.kernel,
      stride: 2,
      log2Groups: Math.log2(layer.inputShape[1]!),
      quantization: 1,
      ordinal: 0,
    });
  });

  it('gives each layer its neighbours and their channel layout (blocks of 16, of 8, or neither)', () => {
    const layers = describeVariant('mobilenetv3-small-1.0').layers;
    const contexts = layerContexts(layers);
    const second = layers[1]!;
    const f = kernelFeatures(second, { quantization: 'none', hswishImpl: 'fused', seGate: 'hardsigmoid' }, 0, '', contexts.get(second.name));
    const named = Object.fromEntries(KERNEL_FEATURE_NAMES.map((n, i) => [n, f[i]]));
    expect(contexts.get(layers[0]!.name)!.prev).toBeNull();
    expect(named).toMatchObject({ prevLayout: channelLayout(layers[0]!), nextLayout: channelLayout(layers[2]!), cinMod16: second.inputShape[1]! % 16 });
    const layer = (cin: number, cout: number) => ({ ...second, inputShape: [1, cin, 8, 8], outputShape: [1, cout, 8, 8] });
    expect([channelLayout(layer(32, 64)), channelLayout(layer(24, 64)), channelLayout(layer(3, 16)), channelLayout(null)]).toEqual([2, 1, 0, -1]);
  });

  it('keys the fusion table by the layer and its neighbours first, then by the layer alone', () => {
    const layers = describeVariant('mobilenetv3-small-1.0').layers;
    const spec = { quantization: 'none', hswishImpl: 'fused', seGate: 'hardsigmoid' } as const;
    const keys = fusionKeys(layers[1]!, spec, layerContexts(layers).get(layers[1]!.name));
    expect(keys).toHaveLength(4);
    expect(keys[0]!.startsWith(`${keys[1]!}|`)).toBe(true);
    expect(fusionKeys(layers[1]!, spec).slice(1)).toEqual(keys.slice(1));
  });

  it('recovers the squeeze width of an SE layer from its multiply-adds', () => {
    const se = describeVariant('mobilenetv3-small-1.0').layers.find((l) => l.op === 'se')!;
    const c = se.inputShape[1]!;
    const f = kernelFeatures(se, { quantization: 'none', hswishImpl: 'fused', seGate: 'hardsigmoid' }, 1);
    expect(f[KERNEL_FEATURE_NAMES.indexOf('log2Mid')]).toBeCloseTo(Math.log2(se.madds / (2 * c)), 9);
    expect(f[KERNEL_FEATURE_NAMES.indexOf('ordinal')]).toBe(1);
  });
});

describe('learnFusion', () => {
  it('takes each layer kind’s kernels from what the runtime ran, not from rules', () => {
    const fusion = learnFusion(TRAINING);
    const se = TRAINING[0]!.layers.find((l) => l.op === 'se')!;
    const seKernels = kernelsByLayer(TRAINING[0]!.kernels).get(se.name)!;
    const seKeys = Object.entries(fusion).filter(([key]) => key.startsWith('se|'));
    expect(seKeys.length).toBeGreaterThan(0);
    expect(new Set(seKeys.map(([, choices]) => choices[0]!.kernels.join(',')))).toEqual(new Set([seKernels.map((k) => `${k.opType}@${k.part}`).join(',')]));
    expect(seKernels.map((k) => k.opType).sort()).toEqual([...ranOps('se')].sort());
  });

  it('keeps every kernel list the runtime ran for a kind of layer with its share, and predicts the expected kernels', () => {
    // half of the variants run an extra reorder after every SE layer
    const withReorder = TRAINING.map((v, i) =>
      i % 2
        ? v
        : {
            ...v,
            kernels: [
              ...v.kernels,
              ...v.layers.filter((l) => l.op === 'se').map((l) => ({ nodeName: `ReorderOutput_${l.name}`, opType: 'ReorderOutput', layer: l.name, medianNs: 1_000 })),
            ],
          },
    );
    const fusion = learnFusion(withReorder);
    const shares = Object.entries(fusion)
      .filter(([key]) => key.startsWith('se|'))
      .map(([, choices]) => choices.map((c) => c.share).sort());
    expect(shares.every((s) => s.length === 2 && Math.abs(s[0]! + s[1]! - 1) < 1e-9)).toBe(true);
    const model = fitPredictor(withReorder, SMALL_MODEL);
    const p = new KernelPredictor(model).predict(describeVariant('mobilenetv3-small-1.0@160'));
    const se = p.layers.find((l) => l.layer.endsWith('.se'))!;
    const reorder = se.kernels.find((k) => k.opType === 'ReorderOutput')!;
    expect(reorder.predictedNs).toBeGreaterThan(300);
    expect(reorder.predictedNs).toBeLessThan(700);
    expect(p.kernelCount % 1).not.toBe(0);
  });

  it('tells the parts of a layer apart by the node names the runtime kept', () => {
    expect(kernelPart('blocks.3.dw.conv.1_nchwc', 'blocks.3.dw')).toBe('conv.1');
    expect(kernelPart('blocks.1.se.reduce.conv_token_7', 'blocks.1.se')).toBe('reduce.conv');
    expect(kernelPart('ReorderInput_token_25', 'blocks.3.dw')).toBe('');
  });
});

describe(KernelPredictor.name, () => {
  const sut = new KernelPredictor(fitPredictor(TRAINING, SMALL_MODEL));

  it('sums the predicted kernels of every layer and adds the learned overhead', () => {
    const p = sut.predict(describeVariant('mobilenetv3-small-1.0@160'));
    const layerSum = p.layers.reduce((a, l) => a + l.predictedNs, 0);
    const kernelCount = p.layers.reduce((a, l) => a + l.kernels.length, 0);
    const [wk, wl, perKernel, intercept] = sut.model.endToEnd;
    expect(p.kernelSumNs).toBeCloseTo(layerSum, 3);
    expect(p.layers.every((l) => Math.abs(l.predictedNs - l.kernels.reduce((a, k) => a + k.predictedNs, 0)) < 1e-6)).toBe(true);
    expect(p.medianNs).toBeCloseTo(wk * p.kernelSumNs + wl * p.layerSumNs + perKernel * kernelCount + intercept, 3);
    expect(p.overheadNs).toBeCloseTo(p.medianNs - p.kernelSumNs, 3);
    // answers it remembers are the answers it computed
    expect(sut.predict(describeVariant('mobilenetv3-small-1.0@160'))).toEqual(p);
  });

  it('recovers kernel times and overhead that follow the configuration exactly', () => {
    const truth = measured('mobilenetv3-small-1.0@176');
    const p = sut.predict(describeVariant('mobilenetv3-small-1.0@176'));
    expect(Math.abs(p.medianNs - truth.medianNs) / truth.medianNs).toBeLessThan(0.001);
    expect(sut.model.endToEnd[2]).toBeCloseTo(OVERHEAD.perKernelNs, 0);
    expect(Math.abs(p.layerSumNs - p.kernelSumNs) / p.kernelSumNs).toBeLessThan(0.001);
  });

  it('leaves unattributed kernels to the overhead model', () => {
    const withRuntimeNodes = TRAINING.map((v) => measured(v.name, [{ opType: 'ReorderOutput', medianNs: 5_000 }]));
    const model = fitPredictor(withRuntimeNodes, SMALL_MODEL);
    expect(Object.keys(model.kernels)).not.toContain('ReorderOutput');
  });

  it('says when a variant lies outside what it learned from', () => {
    const inside = sut.predict(describeVariant('mobilenetv3-small-1.0@160'));
    const larger = sut.predict(describeVariant('mobilenetv3-small-1.0@320'));
    const newKind = sut.predict(describeVariant('mobilenetv3-small-1.0@160+quant=int8'));
    expect(inside.outOfRange).toEqual([]);
    expect(larger.outOfRange.some((r) => r.includes('log2Hin'))).toBe(true);
    expect(newKind.outOfRange.some((r) => r.endsWith('no layer of this kind was measured'))).toBe(true);
  });
});

describe('layer-level rows', () => {
  it('learn each attributed layer’s total kernel time, one row per configuration', () => {
    const rows = layerRows([TRAINING[0]!]);
    const byLayer = kernelsByLayer(TRAINING[0]!.kernels);
    const se = TRAINING[0]!.layers.find((l) => l.op === 'se')!;
    const seNs = byLayer.get(se.name)!.reduce((a, k) => a + k.medianNs, 0);
    expect(rows.some((r) => r.opType === 'se|none' && Math.abs(r.target - Math.log(seNs / layerWork(se))) < 1e-9)).toBe(true);
    expect(rows.reduce((a, r) => a + r.count, 0)).toBe(byLayer.size);
  });
});

describe(fitEndToEnd.name, () => {
  const rows = Array.from({ length: 40 }, (_, i) => {
    const kernelSum = 1e6 * (1 + i);
    const layerSum = kernelSum * (1 + 0.2 * Math.sin(i));
    const count = 50 + ((7 * i) % 13) * 5;
    return { kernelSum, layerSum, count };
  });

  it('recovers the weights of an end-to-end time made of the kernel sum, a per-kernel cost and a constant', () => {
    const w = fitEndToEnd(rows.map((r) => ({ ...r, medianNs: 0.9 * r.kernelSum + 2_000 * r.count + 50_000 })));
    expect(w[0]).toBeCloseTo(0.9, 6);
    expect(w[1]).toBeCloseTo(0, 9);
    expect(w[2]).toBeCloseTo(2_000, 2);
    expect(w[3]).toBeCloseTo(50_000, 0);
  });

  it('takes the layer-level sum where it is the one that explains the times', () => {
    const w = fitEndToEnd(rows.map((r) => ({ ...r, medianNs: r.layerSum + 1_000 * r.count })));
    expect(w[0]).toBeCloseTo(0, 9);
    expect(w[1]).toBeCloseTo(1, 6);
  });

  it('mixes the two levels by a given share when it learns from measured sums (where both are the same)', () => {
    const w = fitEndToEnd(
      rows.map((r) => ({ ...r, layerSum: r.kernelSum, medianNs: 0.9 * r.kernelSum + 2_000 * r.count })),
      [0.5],
    );
    expect(w[0]).toBeCloseTo(0.45, 6);
    expect(w[1]).toBeCloseTo(0.45, 6);
  });

  it('falls back to the kernel sum plus the median per-kernel overhead with few variants', () => {
    expect(fitEndToEnd(rows.slice(0, 5).map((r) => ({ ...r, medianNs: r.kernelSum + 1_000 * r.count })))).toEqual([1, 0, 1_000, 0]);
  });
});

describe('validation held out by variant', () => {
  it('puts every variant in exactly one fold', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'a', 'c'];
    const folds = foldsByVariant(names, 3);
    expect(folds).toHaveLength(3);
    expect(folds.flat().sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  });

  it('scores predictions by the share within ±5% and ±10%, RMSPE and rank correlation', () => {
    const rows = [
      { measuredNs: 100, predictedNs: 104 },
      { measuredNs: 200, predictedNs: 216 },
      { measuredNs: 300, predictedNs: 190 },
      { measuredNs: 400, predictedNs: 400 },
    ];
    const a = accuracyOf(rows, 2);
    expect(a).toMatchObject({ heldOutVariants: 4, folds: 2, within5Pct: 50, within10Pct: 75, spearmanRho: 0.8 });
    expect(a.rmspePct).toBeCloseTo(100 * Math.sqrt((0.04 ** 2 + 0.08 ** 2 + (110 / 300) ** 2) / 4), 9);
  });

  it('predicts each held-out variant with a predictor trained without it and sets the interval from their errors', () => {
    const trained = trainPredictor(TRAINING, 4, SMALL_MODEL);
    expect(trained.heldOut.map((h) => h.variant).sort()).toEqual(TRAINING.map((v) => v.name).sort());
    expect(trained.accuracy).toMatchObject({ heldOutVariants: TRAINING.length, folds: 4 });
    expect(trained.model.interval.low).toBeLessThanOrEqual(0);
    expect(trained.model.interval.high).toBeGreaterThanOrEqual(0);
  });

  it('fits the end-to-end model to out-of-fold predicted sums when stacking', () => {
    const many = [128, 144, 160, 176, 192, 208, 224].flatMap((r) => [`mobilenetv3-small-1.0@${r}`, `mobilenetv3-small-0.75@${r}`]).map((n) => measured(n));
    const model = fitPredictor(many, { ...SMALL_MODEL, stackFolds: 3 });
    const p = new KernelPredictor(model).predict(describeVariant('mobilenetv3-small-1.0@240'));
    const truth = measured('mobilenetv3-small-1.0@240');
    expect(model.endToEnd[0] + model.endToEnd[1]).toBeGreaterThan(0.8);
    expect(Math.abs(p.medianNs - truth.medianNs) / truth.medianNs).toBeLessThan(0.05);
  });
});

describe(featureKey.name, () => {
  it('tells configurations apart by every feature and is the same for equal ones', () => {
    const f = [1, 2.5, Math.log2(96), 0, -1, 7];
    expect(featureKey([...f])).toBe(featureKey(f));
    const others = f.map((_, i) => featureKey(f.map((v, j) => (j === i ? v + 1 : v))));
    expect(new Set([featureKey(f), ...others]).size).toBe(f.length + 1);
    expect(featureKey([1, 2])).not.toBe(featureKey([2, 1]));
  });
});
