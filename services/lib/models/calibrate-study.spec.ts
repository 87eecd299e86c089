import { describe, expect, it } from 'vitest';
import { builtinStudy, describeVariant, listBuiltinStudies, parseStudySpec } from './index.js';
import { calibrationVariants, DEFAULT_CALIBRATE, estimatedSeconds } from './calibrate-study.js';

describe('calibrate study', () => {
  const sut = calibrationVariants(DEFAULT_CALIBRATE);

  it('draws variants of all six families within the time budget and the study size bound', () => {
    expect(new Set(sut.map((v) => v.family))).toEqual(new Set(['mobilenetv1', 'mobilenetv2', 'mobilenetv3', 'mnasnet', 'mixnet', 'efficientnet']));
    expect(sut.reduce((a, v) => a + estimatedSeconds(v.madds), 0)).toBeLessThanOrEqual(DEFAULT_CALIBRATE.budgetSeconds);
    expect(sut.reduce((a, v) => a + (describeVariant(v.name).params * 4) / 1048576, 0)).toBeLessThanOrEqual(DEFAULT_CALIBRATE.maxModelMb);
    expect(new Set(sut.map((v) => v.name)).size).toBe(sut.length);
  });

  it('sizes the sample to the budget', () => {
    const small = calibrationVariants({ ...DEFAULT_CALIBRATE, budgetSeconds: 60 });
    expect(small.length).toBeLessThan(sut.length);
    expect(small.reduce((a, v) => a + estimatedSeconds(v.madds), 0)).toBeLessThanOrEqual(60);
  });

  it('is the built-in study `calibrate`; calibrate-N draws another sample without the excluded names', () => {
    const study = parseStudySpec(builtinStudy('calibrate'));
    const second = builtinStudy('calibrate-2');
    const unseen = calibrationVariants({ ...DEFAULT_CALIBRATE, seed: 2, exclude: new Set(sut.map((v) => v.name)) });
    expect(listBuiltinStudies().map((s) => s.name)).toContain('calibrate');
    expect(study.variants.map((v) => v.name)).toEqual(sut.map((v) => v.name));
    expect(study.protocol).toMatchObject({ replicates: 2, maxReplicates: 2, targetHalfWidthPct: 0, maxRetries: 0 });
    expect(second.variants).not.toEqual(builtinStudy('calibrate').variants);
    expect(unseen.filter((v) => sut.some((s) => s.name === v.name))).toEqual([]);
  });

  it('is also `calibrate-tflite`: the same draw as TFLite, its time estimated at LiteRT speed without a profiled phase', () => {
    const tflite = builtinStudy('calibrate-tflite');
    const parsed = parseStudySpec(tflite);
    expect(tflite.variants).toEqual(builtinStudy('calibrate').variants);
    expect(parsed.variants.every((v) => v.format === 'tflite')).toBe(true);
    expect(parsed.baseline).toBe(tflite.variants![0]);
    expect(builtinStudy('calibrate-tflite-2').variants).toEqual(builtinStudy('calibrate-2').variants);
    const madds = 200e6;
    expect(estimatedSeconds(madds, 'tflite')).toBeGreaterThan(estimatedSeconds(madds, 'onnx'));
  });
});
