import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildTflite, buildVariant, listModels } from '../../lib/models/index.js';
import { loadLiteRtInNode } from './litert-node.js';

/**
 * LiteRT's output on the TFLite model against ONNX Runtime's on the ONNX model of the same variant
 * (same weights, same input, NCHW vs NHWC). Both compute in float32 with different kernels and
 * summation orders: the bound is relative to the largest |logit| of ONNX Runtime's output.
 * Measured: at most 2e-6 (docs/formats.md lists each model).
 */
export const FLOAT_PARITY_TOLERANCE = 1e-5;

async function compare(name: string): Promise<{ maxAbs: number; maxRef: number }> {
  const onnx = buildVariant(name);
  const tflite = buildTflite(name);
  const r = onnx.resolution;
  const nchw = new Float32Array(3 * r * r).map((_, i) => ((i * 7919) % 255) / 255 - 0.5);
  const nhwc = new Float32Array(nchw.length);
  for (let c = 0; c < 3; c++) for (let p = 0; p < r * r; p++) nhwc[p * 3 + c] = nchw[c * r * r + p]!;

  const session = await ort.InferenceSession.create(onnx.onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const expected = (await session.run({ [onnx.inputName]: new ort.Tensor('float32', nchw, onnx.inputShape) }))[onnx.outputName]!.data as Float32Array;
  await session.release();

  const litert = await loadLiteRtInNode();
  const model = await litert.loadAndCompile(tflite.tflite, { accelerator: 'wasm', cpuOptions: { numThreads: 1 } });
  const input = new litert.Tensor(nhwc, tflite.inputShape);
  const [output] = await model.run([input]);
  const actual = (await output!.data()) as Float32Array;
  output!.delete();
  input.delete();
  model.delete();

  expect(actual.length).toBe(expected.length);
  let maxAbs = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(actual[i]! - expected[i]!));
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
  }
  return { maxAbs, maxRef };
}

describe('TFLite (LiteRT) against ONNX (ONNX Runtime), float32', () => {
  it.each(['mobilenetv3-small-0.75@96', 'mobilenetv2-0.35@96', 'mixnet-s@96', 'efficientnet-b0@96', 'mobilenetv3-small-0.75@96+hswish=decomposed', 'mixnet-s@96+dilated'])(
    '%s gives the same logits',
    async (name) => {
      const { maxAbs, maxRef } = await compare(name);

      expect(maxRef).toBeGreaterThan(0);
      expect(maxAbs / maxRef).toBeLessThanOrEqual(FLOAT_PARITY_TOLERANCE);
    },
    30_000,
  );

  // every published model at 96x96; minutes on two cores: TFLITE_PARITY_ALL=1 npx vitest run --project unit services/agent/runners/litert-parity.spec.ts
  it.runIf(process.env['TFLITE_PARITY_ALL'] === '1').each(listModels().map((m) => `${m.name}@96`))(
    'published %s gives the same logits',
    async (name) => {
      const { maxAbs, maxRef } = await compare(name);
      console.log(`${name}: max abs ${maxAbs.toExponential(2)}, max |logit| ${maxRef.toExponential(2)}, relative ${(maxAbs / maxRef).toExponential(2)}`);

      expect(maxAbs / maxRef).toBeLessThanOrEqual(FLOAT_PARITY_TOLERANCE);
    },
    300_000,
  );
});
