import * as ort from 'onnxruntime-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FOREIGN_ONNX_LAYERS, foreignOnnx } from '../../../../test/support/foreign-onnx.js';
import { ModelSpecError } from '../model-spec.error.js';
import { buildTflite, buildVariant } from '../index.js';
import { importModel } from './index.js';

function importError(bytes: Uint8Array, options: { name: string; inputShape?: number[] } = { name: 'net' }): ModelSpecError {
  try {
    importModel(bytes, options);
  } catch (error) {
    if (error instanceof ModelSpecError) return error;
    throw error;
  }
  throw new Error('expected the file to be refused');
}

describe(importModel.name, () => {
  it('reads an ONNX file another framework exported: its input, a layer per node named as ONNX Runtime names it, MAdds and params per layer', async () => {
    const bytes = foreignOnnx();

    const sut = importModel(bytes, { name: 'tiny-torch' });

    expect(sut).toMatchObject({ name: 'tiny-torch', family: 'imported', format: 'onnx', inputName: 'pixel_values', inputShape: [1, 3, 32, 32], resolution: 32 });
    expect(sut.layers.map((l) => [l.name, l.op, l.outputShape, l.madds, l.params])).toEqual(FOREIGN_ONNX_LAYERS);
    expect(sut.madds).toBe(55_296 + 18_432 + 5_120);
    expect(sut.params).toBe(224 + 16 + 72 + 5_130);
    // the file is one ONNX Runtime runs as it is
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ pixel_values: new ort.Tensor('float32', new Float32Array(3 * 32 * 32).fill(0.5), [1, 3, 32, 32]) });
    expect(out['logits']!.dims).toEqual([1, 10]);
    await session.release();
  });

  it('counts what the builder counts for a latfleet variant, ONNX and TFLite alike', () => {
    const onnx = buildVariant('mobilenetv3-small-0.75@96');
    const tflite = buildTflite('mobilenetv3-small-0.75@96');

    const fromOnnx = importModel(onnx.onnx, { name: 'v3-small' });
    const fromTflite = importModel(tflite.tflite, { name: 'v3-small' });

    expect([fromOnnx.madds, fromOnnx.params]).toEqual([onnx.madds, onnx.params]);
    expect([fromTflite.format, fromTflite.inputShape, fromTflite.resolution]).toEqual(['tflite', [1, 96, 96, 3], 96]);
    expect([fromTflite.madds, fromTflite.params]).toEqual([tflite.madds, tflite.params]);
  });

  it('counts the int8 weights and int32 biases of a full-integer TFLite file as the builder does', () => {
    const float = buildVariant('mobilenetv3-small-0.75@96');
    const int8 = buildTflite('mobilenetv3-small-0.75@96+quant=int8-per-channel');

    const sut = importModel(int8.tflite, { name: 'v3-small-int8' });

    expect([sut.madds, sut.params]).toEqual([int8.madds, int8.params]);
    expect(sut.params).toBe(float.params);
  });

  it('refuses a dynamic input shape unless the upload gives one, and checks the one given against the file', () => {
    const dynamic = foreignOnnx({ batch: 'batch_size' });

    expect(importError(dynamic).message).toBe("inputShape: input 'pixel_values' has a dynamic shape [batch_size, 3, 32, 32]; give a static one (inputShape, e.g. 1,3,32,32)");
    expect(importModel(dynamic, { name: 'net', inputShape: [1, 3, 32, 32] }).layers.at(-1)!.outputShape).toEqual([1, 10]);
    expect(importError(dynamic, { name: 'net', inputShape: [1, 3, 64, 64] }).message).toBe(
      "inputShape: [1, 3, 64, 64] differs from input 'pixel_values' [batch_size, 3, 32, 32] at dimension 2",
    );
  });

  it('refuses a corrupt file, an empty one and a truncated TFLite file, naming the problem', () => {
    const onnx = foreignOnnx();
    const garbage = new Uint8Array(onnx.subarray(0, 300));

    expect(importError(garbage).field).toBe('file');
    expect(importError(garbage).message).toMatch(/^file: not a valid ONNX model/);
    expect(importError(new TextEncoder().encode('hello, this is not a model')).message).toMatch(/^file: not a valid ONNX model/);
    expect(importError(new Uint8Array()).message).toBe('file: empty');
    const tflite = buildTflite('mobilenetv3-small-0.75@96').tflite;
    expect(importError(tflite.subarray(0, 64)).message).toMatch(/^file: not a valid TFLite model/);
  });

  it('refuses an operator it cannot infer shapes for, naming the node', () => {
    expect(importError(foreignOnnx({ poolOpType: 'Unknown' })).message).toBe(
      "file: cannot infer the output shape of node '/features/features.5/MaxPool' (Unknown): its operator is not one latfleet can infer shapes for, and the file gives no static shape for it",
    );
  });

  it('answers any damaged file with a model or a ModelSpecError on the file, never another error', () => {
    const bytes = foreignOnnx();
    const damaged = fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((edits) => {
      const copy = new Uint8Array(bytes);
      for (const [at, value] of edits) copy[at] = value;
      return copy;
    });

    fc.assert(
      fc.property(damaged, (file) => {
        const outcome = (() => {
          try {
            importModel(file, { name: 'net' });
            return 'read';
          } catch (error) {
            return error instanceof ModelSpecError && ['file', 'inputShape'].includes(error.field) ? 'refused' : error;
          }
        })();
        expect(['read', 'refused']).toContain(outcome);
      }),
      { numRuns: 300, seed: 13 },
    );
  });

  it('answers a damaged TFLite file (its tables, at the front) with a model or a refusal', () => {
    const bytes = buildTflite('mobilenetv3-small-0.75@96').tflite;
    const damaged = fc.array(fc.tuple(fc.integer({ min: 8, max: 16_383 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((edits) => {
      const copy = new Uint8Array(bytes);
      for (const [at, value] of edits) copy[at] = value;
      return copy;
    });

    fc.assert(
      fc.property(damaged, (file) => {
        const outcome = (() => {
          try {
            importModel(file, { name: 'net' });
            return 'read';
          } catch (error) {
            return error instanceof ModelSpecError && ['file', 'inputShape'].includes(error.field) ? 'refused' : error;
          }
        })();
        expect(['read', 'refused']).toContain(outcome);
      }),
      { numRuns: 100, seed: 7 },
    );
  });

  it('refuses sizes no stored model can hold before they reach the database', () => {
    expect(importError(foreignOnnx({ batch: 'n' }), { name: 'net', inputShape: [2 ** 31, 3, 32, 32] }).message).toBe(
      'file: a tensor dimension is above 2147483647: not a network latfleet can measure',
    );
  });

  it('refuses a name a study could not tell from a sha256 or that is not a plain name', () => {
    expect(importError(foreignOnnx(), { name: 'ab'.repeat(32) }).field).toBe('name');
    expect(importError(foreignOnnx(), { name: '../etc' }).field).toBe('name');
  });
});
