import { describe, expect, it } from 'vitest';
import { buildTflite, buildVariant, type BuiltTfliteVariant, type BuiltVariant } from './index.js';
import { buildAll, ModelBuildError, ModelBuilder } from './model-builder.js';

describe(buildAll.name, () => {
  it('builds each request in its format, byte for byte what the builders give', () => {
    const answer = buildAll([
      { spec: 'mobilenetv3-small-0.75@96', format: 'onnx' },
      { spec: 'mobilenetv3-small-0.75@96+act=relu', format: 'tflite' },
    ]);
    expect(answer.ok).toBe(true);
    const [onnx, tflite] = (answer.ok ? answer.built : []) as [BuiltVariant, BuiltTfliteVariant];
    const expected = { onnx: buildVariant('mobilenetv3-small-0.75@96'), tflite: buildTflite('mobilenetv3-small-0.75@96+act=relu') };
    expect([onnx.sha256, tflite.sha256]).toEqual([expected.onnx.sha256, expected.tflite.sha256]);
    expect(Buffer.compare(onnx.onnx, expected.onnx.onnx)).toBe(0);
    expect(Buffer.compare(tflite.tflite, expected.tflite.tflite)).toBe(0);
    expect([onnx.name, tflite.name, tflite.madds]).toEqual([expected.onnx.name, expected.tflite.name, expected.tflite.madds]);
  });

  it('names the first request whose spec the builder refuses, as a spec error', () => {
    const answer = buildAll([
      { spec: 'mobilenetv3-small-0.75@96', format: 'onnx' },
      { spec: 'mobilenetv3-small-0.75@96+width=-1', format: 'onnx' },
    ]);
    expect(answer).toMatchObject({ ok: false, index: 1, specError: true });
  });
});

describe(ModelBuilder.name, () => {
  // from the TypeScript sources there is no compiled worker: the same builds in this thread (e2e runs the worker)
  it('gives the built models, or a ModelBuildError naming the request', async () => {
    const sut = new ModelBuilder();
    expect(await sut.build([])).toEqual([]);
    const [built] = await sut.build([{ spec: 'mobilenetv3-small-0.75@96', format: 'onnx' }]);
    expect(built!.sha256).toBe(buildVariant('mobilenetv3-small-0.75@96').sha256);
    const err = await sut.build([{ spec: 'nonet-3', format: 'onnx' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelBuildError);
    expect(err).toMatchObject({ index: 0, specError: true });
  });
});
