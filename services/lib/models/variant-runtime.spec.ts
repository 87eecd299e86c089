import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildVariant } from './index.js';

/** Loads a built variant in ONNX Runtime (one thread) and runs it once on a fixed input. */
async function runOnce(name: string): Promise<{ dims: readonly number[]; values: Float32Array }> {
  const built = buildVariant(name);
  const session = await ort.InferenceSession.create(Buffer.from(built.onnx), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const size = built.inputShape.reduce((a, b) => a * b, 1);
    const input = Float32Array.from({ length: size }, (_, i) => Math.sin(i));
    const output = await session.run({ [built.inputName]: new ort.Tensor('float32', input, built.inputShape) });
    const logits = output[built.outputName]!;
    return { dims: logits.dims, values: logits.data as Float32Array };
  } finally {
    await session.release();
  }
}

describe('variants in onnxruntime-node', () => {
  it.each([
    'mobilenetv3-large-1.0',
    'mobilenetv3-large-1.0+act=relu',
    'mobilenetv3-large-1.0+act=hswish',
    'mobilenetv3-large-1.0+act=hswish+hswish=decomposed',
    'mobilenetv3-large-1.0+hswish=decomposed',
    'mobilenetv3-large-1.0+act=@112+hswish=swish',
    'mobilenetv3-small-1.0@160+last=original',
    'mobilenetv1-1.0-224',
    'mobilenetv1-0.25-128',
    'mobilenetv2-1.0',
    'mobilenetv2-0.35+kernels=5+split=exponential',
    'mnasnet-a1',
    'mixnet-s',
    'mixnet-m+dilated',
    'mixnet-l',
    'efficientnet-b0',
    'efficientnet-b1',
    'mobilenetv2-1.0+quant=int8',
    'mobilenetv3-large-1.0+quant=int8-per-channel',
    'efficientnet-b0+se=none+act=relu6',
  ])('runs %s to finite logits [1,1000]', async (name) => {
    const sut = await runOnce(name);

    expect(sut.dims).toEqual([1, 1000]);
    expect(sut.values.every(Number.isFinite)).toBe(true);
    expect(new Set(sut.values).size).toBeGreaterThan(1);
  });
});
