import ort from 'onnxruntime-node';
import pkg from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { buildVariant } from '../index.js';
import { FloatReference } from './float-reference.js';
import { calibrate, calibrationInput } from './int8-quantization.js';

const { onnx } = pkg;

describe(FloatReference.name, () => {
  it.each(['mobilenetv2-0.35@96', 'mobilenetv3-small-0.75@96+hswish=decomposed', 'mixnet-s@64+dilated', 'efficientnet-b0@64+width=0.5'])(
    'computes the logits ONNX Runtime computes for %s',
    async (name) => {
      const variant = buildVariant(name);
      const input = calibrationInput(7, 0, variant.inputShape);
      const sut = new FloatReference(onnx.ModelProto.decode(variant.onnx));

      const actual = sut.run(input).data;
      const session = await ort.InferenceSession.create(variant.onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 });
      const expected = (await session.run({ input: new ort.Tensor('float32', input, variant.inputShape) }))['logits']!.data as Float32Array;
      await session.release();

      const maxRef = Math.max(...expected.map(Math.abs));
      expect(Math.max(...actual.map((v, i) => Math.abs(v - expected[i]!))) / maxRef).toBeLessThan(1e-5);
    },
    30_000,
  );
});

describe(calibrate.name, () => {
  it('gives every tensor of the float graph a range, the same on every call', () => {
    const model = onnx.ModelProto.decode(buildVariant('mobilenetv3-small-0.75@64').onnx);

    const sut = calibrate(model, 0, 2);

    const tensors = [...model.graph!.node!.flatMap((n) => n.output ?? []), 'input'];
    expect([...sut.keys()].sort()).toEqual([...new Set(tensors)].sort());
    expect(sut.get('input')!.min).toBeGreaterThanOrEqual(-1);
    expect(sut.get('input')!.max).toBeLessThanOrEqual(1);
    expect(calibrate(model, 0, 2)).toEqual(sut);
    expect(calibrate(model, 1, 2)).not.toEqual(sut);
  });
});
