import { describe, expect, it } from 'vitest';
import { describeVariant, elementCount, type LayerInfo } from '../models/index.js';
import { LayerSumPredictor, predictorOf, type LayerSumPredictorModel } from './latency-predictor.js';
import { fitLayerSum, layerParts, layerSumRow, nonNegativeRidge, predictLayerSum } from './layer-sum.js';
import { blendedNs, fitPredictor, KernelPredictor, type MeasuredVariant, type PredictorModel } from './predictor.js';
import { bestBlendWeight, trainPredictor, type HeldOutPrediction } from './validation.js';

const F32 = { quantization: 'none', hswishImpl: 'fused', seGate: 'hardsigmoid' } as const;
const layer = (over: Partial<LayerInfo>): LayerInfo => ({
  name: 'blocks.1.dw',
  block: 'blocks.1',
  role: 'depthwise',
  op: 'dwconv',
  kernel: 5,
  stride: 1,
  activation: 'hswish',
  inputShape: [1, 32, 28, 28],
  outputShape: [1, 32, 28, 28],
  madds: 32 * 28 * 28 * 25,
  params: 32 * 25,
  nodes: [],
  ...over,
});

describe(layerParts.name, () => {
  it('splits a layer into its operation by class, channel bucket, stride and data type, and the activation the runtime runs as ops of its own', () => {
    const dw = layer({});
    expect(layerParts(dw, F32)).toEqual([
      ['dw-k5-c64:f32', dw.madds, 2 * 32 * 28 * 28],
      ['act-hswish-fused:f32', 0, 32 * 28 * 28],
    ]);
    expect(layerParts(dw, { ...F32, quantization: 'int8-per-channel', hswishImpl: 'decomposed' }).map((p) => p[0])).toEqual(['dw-k5-c64:int8', 'act-hswish-decomposed:int8']);
    expect(layerParts(layer({ dilations: [1, 2], kernel: 5, stride: 2 }), F32)[0]![0]).toBe('dw-k5-dilated-c64-s2:f32');
    expect(layerParts(layer({ op: 'conv', kernel: 1, activation: 'relu', inputShape: [1, 16, 28, 28], outputShape: [1, 96, 28, 28] }), F32).map((p) => p[0])).toEqual([
      'conv-1x1-c24:f32',
      'act-relu:f32',
    ]);
    expect(layerParts(layer({ op: 'conv', kernel: 1, groups: 2, activation: null, inputShape: [1, 480, 7, 7], outputShape: [1, 480, 7, 7] }), F32).map((p) => p[0])).toEqual([
      'conv-1x1-grouped-cmax:f32',
    ]);
  });

  it('gives a MixConv layer one depthwise part per kernel size (multiply-adds by kernel area) and one for splitting and joining its groups', () => {
    const mix = layer({ kernels: [3, 5, 7], kernel: 7 });
    const elems = 2 * 32 * 28 * 28;
    const parts = layerParts(mix, F32);
    expect(parts.map((p) => p[0])).toEqual(['dw-k3-c64:f32', 'dw-k5-c64:f32', 'dw-k7-c64:f32', 'dw-mix:f32', 'act-hswish-fused:f32']);
    expect(parts[0]![1]).toBeCloseTo((mix.madds * 9) / 83, 6);
    expect(parts[2]![1]).toBeCloseTo((mix.madds * 49) / 83, 6);
    expect(parts.slice(0, 3).reduce((a, p) => a + p[1], 0)).toBeCloseTo(mix.madds, 6);
    expect(parts.slice(0, 3).map((p) => p[2])).toEqual([elems / 3, elems / 3, elems / 3]);
    expect(parts[3]).toEqual(['dw-mix:f32', 0, elems]);
  });

  it('gives an SE layer its gate, over the elements it scales, and no activation part', () => {
    const se = layer({ op: 'se', role: 'se', kernel: 1, activation: 'relu', outputShape: [1, 32, 28, 28], madds: 2 * 32 * 8 });
    expect(layerParts(se, { ...F32, seGate: 'sigmoid' })).toEqual([
      ['se:f32', se.madds, 2 * 32 * 28 * 28],
      ['se-gate-sigmoid:f32', 0, 32 * 28 * 28],
    ]);
  });
});

describe(layerSumRow.name, () => {
  it("sums each part's work over a variant's layers: multiply-adds, elements, layers, and a constant", () => {
    const d = describeVariant('mobilenetv2-1.0@128');
    const row = layerSumRow(d.layers, d.spec);
    const pointwise = d.layers.filter((l) => l.op === 'conv' && l.kernel === 1);
    const summed = (per: string) => [...row].filter(([k]) => k.startsWith('conv-1x1-') && k.endsWith(`:f32|${per}`)).reduce((a, [, v]) => a + v, 0);
    expect(row.get('const')).toBe(1);
    expect(summed('layer')).toBe(pointwise.length);
    expect(summed('madds')).toBe(pointwise.reduce((a, l) => a + l.madds, 0));
    expect(summed('elems')).toBe(pointwise.reduce((a, l) => a + elementCount(l.inputShape) + elementCount(l.outputShape), 0));
    expect([...row.keys()].some((k) => k.startsWith('dw-k3-'))).toBe(true);
  });
});

describe(nonNegativeRidge.name, () => {
  it('recovers non-negative rates from exact sums and holds a rate the data would make negative at 0', () => {
    const rows = Array.from({ length: 40 }, (_, i) => [1, 1 + (i % 7), 2 + ((i * 3) % 11), 1 + ((i * 5) % 13)]);
    const truth = [50, 3, 0.5, 2];
    const exact = nonNegativeRidge(
      rows,
      rows.map((r) => r.reduce((a, v, j) => a + v * truth[j]!, 0)),
      0,
    );
    exact.forEach((w, j) => expect(w).toBeCloseTo(truth[j]!, 3));
    // the last column lowers the time: no non-negative rate explains it, so it stays at 0 and the others absorb what they can
    const negative = nonNegativeRidge(
      rows,
      rows.map((r) => 100 + 3 * r[1]! - 0.5 * r[3]!),
      0,
    );
    expect(negative[3]).toBe(0);
    expect(negative.every((w) => w >= 0)).toBe(true);
  });
});

/** A device whose time is exactly a sum of per-part rates: what the model can represent, so it must recover it. */
const RATE: Record<string, [number, number, number]> = {};
function rateOf(part: string): [number, number, number] {
  // deterministic per part: ns per multiply-add, per element, per layer
  let h = 0;
  for (const c of part) h = (h * 31 + c.charCodeAt(0)) % 1000;
  return (RATE[part] ??= [0.02 + (h % 7) * 0.01, 0.1 + (h % 5) * 0.05, 2_000 + (h % 3) * 1_000]);
}
function device(name: string): MeasuredVariant {
  const d = describeVariant(name);
  const ns = d.layers.reduce(
    (a, l) => a + layerParts(l, d.spec).reduce((b, [part, madds, elems]) => b + rateOf(part)[0] * madds + rateOf(part)[1] * elems + rateOf(part)[2], 0),
    0,
  );
  return { name: d.name, family: d.family, spec: d.spec, layers: d.layers, kernels: [], medianNs: 150_000 + ns };
}
const TRAINING = [
  'mobilenetv2-1.0@128',
  'mobilenetv2-1.0@160',
  'mobilenetv2-0.75@192',
  'mobilenetv2-1.0@224+width=1.25',
  'mobilenetv2-0.5@224',
  'mobilenetv2-1.0@176+depth=1.25',
  'mobilenetv2-1.0@144+depth=0.75+width=0.9',
  'mobilenetv2-1.0@208+act=relu',
  'mobilenetv2-1.0@240+act=relu+width=1.1',
  'mobilenetv2-0.75@128+act=relu',
  'mobilenetv2-1.0@256+depth=0.75',
  'mobilenetv2-0.5@160+act=relu',
  'mobilenetv2-1.0@192+width=0.75+depth=1.25',
  'mobilenetv2-1.0@224',
].map(device);

describe(fitLayerSum.name, () => {
  const model = fitLayerSum(TRAINING, 0);

  it("learns a device's per-part rates from end-to-end medians alone and predicts a variant it never saw", () => {
    const unseen = device('mobilenetv2-1.0@200+width=0.9+act=relu');
    const d = describeVariant('mobilenetv2-1.0@200+width=0.9+act=relu');
    const p = predictLayerSum(model, d.layers, d.spec);
    expect(Math.abs(p.medianNs - unseen.medianNs) / unseen.medianNs).toBeLessThan(0.01);
    expect(p.outOfRange).toEqual([]);
    expect(p.layers).toHaveLength(d.layers.length);
    expect(p.medianNs).toBeCloseTo(p.constantNs + p.layers.reduce((a, l) => a + l.predictedNs, 0), 3);
  });

  it('names the parts it never learned a rate for and work beyond its training range', () => {
    const int8 = describeVariant('mobilenetv2-1.0@160+quant=int8');
    expect(predictLayerSum(model, int8.layers, int8.spec).outOfRange.some((r) => /: no conv-1x1-\S+:int8 layer was measured$/.test(r))).toBe(true);
    const big = describeVariant('mobilenetv2-1.0@320+width=1.5');
    expect(predictLayerSum(model, big.layers, big.spec).outOfRange.some((r) => /^conv-1x1-\S+:f32: work per variant .* outside/.test(r))).toBe(true);
  });
});

describe(LayerSumPredictor.name, () => {
  it('is what a layer-sum predictor trains to: validated by variant, each layer broken into its parts, the rest its constant', () => {
    const trained = trainPredictor(TRAINING, 5, undefined, 'layer-sum');
    expect(trained.model).toMatchObject({ kind: 'layer-sum' });
    expect(trained.accuracy!.heldOutVariants).toBe(TRAINING.length);
    // exact wherever a fold's training variants had every part of the held-out one (a few folds hold the only variants with some part)
    expect(trained.accuracy!.within5Pct).toBeGreaterThanOrEqual(85);
    const predictor = predictorOf(trained.model);
    expect(predictor).toBeInstanceOf(LayerSumPredictor);
    const d = describeVariant('mobilenetv2-1.0@168+width=0.8');
    const p = predictor.predict(d);
    expect(p.kernelSumNs).toBeCloseTo(
      p.layers.reduce((a, l) => a + l.predictedNs, 0),
      3,
    );
    expect(p.layers[0]!.kernels.map((k) => k.opType)).toEqual(layerParts(d.layers[0]!, d.spec).map(([part]) => part));
    expect(p.overheadNs).toBeCloseTo((trained.model as LayerSumPredictorModel).layerSum.rates[(trained.model as LayerSumPredictorModel).layerSum.columns.indexOf('const')]!, 3);
    expect(p.intervalLowNs).toBeLessThanOrEqual(p.medianNs);
    expect(p.intervalHighNs).toBeGreaterThanOrEqual(p.medianNs);
  });
});

describe('a kernel predictor blended with a layer-sum one', () => {
  const held = (measuredNs: number, predictedNs: number): HeldOutPrediction => ({ variant: 'v', family: 'f', measuredNs, predictedNs, errorPct: 0 });
  // the constructed device with one kernel per layer (0.9 of its share of the end-to-end time): what a kernel predictor learns from
  const variants = TRAINING.map((v) => ({
    ...v,
    kernels: v.layers.map((l) => ({ nodeName: `${l.name}.k`, opType: 'Conv', layer: l.name, medianNs: (0.9 * v.medianNs) / v.layers.length })),
  }));
  const options = {
    boosted: { trees: 5, depth: 2, learningRate: 0.1, minLeafWeight: 1, lambda: 1, bins: 16, subsample: 1, seed: 1 },
    exact: true,
    stackFolds: 0,
    context: true,
    layerShare: 0,
  };

  it('takes the weight whose held-out answers err least: none when the kernels are right, half way when the two err in opposite directions', () => {
    const measured = [100, 200, 300, 400];
    const exact = measured.map((m) => held(m, m));
    const high = measured.map((m) => held(m, m * 1.1));
    const low = measured.map((m) => held(m, m / 1.1));
    expect(bestBlendWeight(exact, high)).toBe(0);
    expect(bestBlendWeight(high, low)).toBe(0.5);
    expect(bestBlendWeight(high, exact)).toBe(1);
    expect(blendedNs(100, 400, 0.5)).toBeCloseTo(200, 9);
    expect(blendedNs(100, 400, 0)).toBe(100);
  });

  it("answers kernels^(1 − w) · layer-sum^w, the per-layer breakdown still the kernels'", () => {
    const model = fitPredictor(variants, { ...options, blend: false });
    const layerSum = fitLayerSum(variants, 0);
    const d = describeVariant('mobilenetv2-1.0@168+width=0.8');
    const alone = new KernelPredictor(model).predict(d);
    const blended = new KernelPredictor({ ...model, blend: { weight: 0.25, layerSum } }).predict(d);
    expect(blended.medianNs).toBeCloseTo(Math.exp(0.75 * Math.log(alone.medianNs) + 0.25 * Math.log(predictLayerSum(layerSum, d.layers, d.spec).medianNs)), 3);
    expect(blended.kernelSumNs).toBe(alone.kernelSumNs);
  });

  it('is chosen and stored by training when the options ask for it', () => {
    const trained = trainPredictor(variants, 5, { ...options, blend: true });
    const without = trainPredictor(variants, 5, { ...options, blend: false });
    const model = trained.model as PredictorModel;
    expect(model.blend!.layerSum.columns).toContain('const');
    // the device is exactly a layer sum here, so cross-validation leans on it
    expect(model.blend!.weight).toBeGreaterThan(0);
    expect(trained.accuracy!.rmspePct).toBeLessThan(without.accuracy!.rmspePct);
    expect((without.model as PredictorModel).blend).toBeUndefined();
  });
});
