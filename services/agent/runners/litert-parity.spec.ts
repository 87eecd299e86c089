import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTflite, buildVariant, listModels } from '../../lib/models/index.js';
import { tensorRng } from '../../lib/models/prng.js';
import { LITERT_LOAD_TIMEOUT_MS, loadLiteRtInNode } from './litert-node.js';

/**
 * LiteRT's output on the TFLite model against ONNX Runtime's on the ONNX model of the same variant
 * (same weights, same input, NCHW vs NHWC). Both compute in float32 with different kernels and
 * summation orders: the bound is relative to the largest |logit| of ONNX Runtime's output.
 * Measured: at most 2e-6 (docs/formats.md lists each model).
 */
export const FLOAT_PARITY_TOLERANCE = 1e-5;

/**
 * int8 TFLite against its float32 TFLite twin, both in LiteRT, on four held-out inputs
 * (docs/formats.md). The relative L2 error of the logits; and, since random-weight networks answer
 * most inputs alike (a file that ignored its input could pass the first), the error of how the
 * logits change between inputs: over every pair, |(q_j - q_k) - (f_j - f_k)| / |f_j - f_k|, which
 * is 1 for logits that do not move with the input. Measured at most 0.048 and 0.97 (EfficientNet-B5:
 * its logits on noise inputs barely depend on them).
 */
export const INT8_PARITY_RELATIVE_L2 = 0.1;
export const INT8_PARITY_DIFFERENCE_ERROR = 1;
const INT8_PARITY_INPUTS = 4;

/** Seeded, uniform in [-1, 1] (the calibration inputs' distribution); never a calibration input. */
function heldOutInput(k: number, r: number): Float32Array {
  const rng = tensorRng(0, `parity.${k}`);
  return new Float32Array(3 * r * r).map(() => 2 * rng() - 1);
}

function toNhwc(nchw: Float32Array, r: number): Float32Array {
  const nhwc = new Float32Array(nchw.length);
  for (let c = 0; c < 3; c++) for (let p = 0; p < r * r; p++) nhwc[p * 3 + c] = nchw[c * r * r + p]!;
  return nhwc;
}

/** The model's output for each input, one compiled model. */
async function runLiteRt(tflite: Uint8Array, inputs: Float32Array[], shape: number[]): Promise<Float32Array[]> {
  const litert = await loadLiteRtInNode();
  const model = await litert.loadAndCompile(tflite, { accelerator: 'wasm', cpuOptions: { numThreads: 1 } });
  const outputs: Float32Array[] = [];
  for (const nhwc of inputs) {
    const input = new litert.Tensor(nhwc, shape);
    const [output] = await model.run([input]);
    outputs.push(((await output!.data()) as Float32Array).slice());
    output!.delete();
    input.delete();
  }
  model.delete();
  return outputs;
}

async function compare(name: string): Promise<{ maxAbs: number; maxRef: number }> {
  const onnx = buildVariant(name);
  const tflite = buildTflite(name);
  const r = onnx.resolution;
  const nchw = new Float32Array(3 * r * r).map((_, i) => ((i * 7919) % 255) / 255 - 0.5);

  const session = await ort.InferenceSession.create(onnx.onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const expected = (await session.run({ [onnx.inputName]: new ort.Tensor('float32', nchw, onnx.inputShape) }))[onnx.outputName]!.data as Float32Array;
  await session.release();
  const [actual] = (await runLiteRt(tflite.tflite, [toNhwc(nchw, r)], tflite.inputShape)) as [Float32Array];

  expect(actual.length).toBe(expected.length);
  let maxAbs = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(actual[i]! - expected[i]!));
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
  }
  return { maxAbs, maxRef };
}

const l2 = (a: Float32Array, b?: Float32Array): number => Math.sqrt(a.reduce((sum, v, i) => sum + (v - (b?.[i] ?? 0)) ** 2, 0));
const minus = (a: Float32Array, b: Float32Array): Float32Array => a.map((v, i) => v - b[i]!);

async function compareInt8(name: string): Promise<{ relativeL2: number; differenceError: number }> {
  const int8 = buildTflite(name);
  const float = buildTflite({ ...int8.spec, quantization: 'none' });
  const r = int8.resolution;
  const inputs = Array.from({ length: INT8_PARITY_INPUTS }, (_, k) => toNhwc(heldOutInput(k, r), r));
  const f = await runLiteRt(float.tflite, inputs, float.inputShape);
  const q = await runLiteRt(int8.tflite, inputs, int8.inputShape);
  const sumOfSquares = (values: number[]) => values.reduce((sum, v) => sum + v * v, 0);
  const pairs = f.flatMap((_, j) => f.slice(j + 1).map((__, i) => [j, j + 1 + i] as const));
  return {
    relativeL2: Math.sqrt(sumOfSquares(f.map((fk, k) => l2(q[k]!, fk))) / sumOfSquares(f.map((fk) => l2(fk)))),
    differenceError: Math.sqrt(sumOfSquares(pairs.map(([j, k]) => l2(minus(q[j]!, q[k]!), minus(f[j]!, f[k]!)))) / sumOfSquares(pairs.map(([j, k]) => l2(f[j]!, f[k]!)))),
  };
}

// LiteRT compiles its whole Wasm module when it loads (STABLE_WASM_FLAGS): once per file, not inside a test's timeout
beforeAll(() => loadLiteRtInNode(), LITERT_LOAD_TIMEOUT_MS);

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

describe('int8 TFLite against its float32 TFLite twin, both in LiteRT', () => {
  // every family and the ops only some knobs emit (decomposed h-swish, dilated MixConv, per-tensor weights)
  it.each([
    'mobilenetv1-0.25@96+quant=int8-per-channel',
    'mobilenetv2-0.35@96+quant=int8-per-channel',
    'mobilenetv3-small-0.75@96+quant=int8-per-channel',
    'mnasnet-a1@96+width=0.5+quant=int8-per-channel',
    'mixnet-s@96+quant=int8-per-channel',
    'efficientnet-b0@96+width=0.5+quant=int8-per-channel',
    'mobilenetv3-small-0.75@96+hswish=decomposed+quant=int8',
    'mixnet-s@96+dilated+quant=int8',
  ])(
    '%s runs and its logits follow the float twin',
    async (name) => {
      const { relativeL2, differenceError } = await compareInt8(name);

      expect(relativeL2).toBeLessThanOrEqual(INT8_PARITY_RELATIVE_L2);
      expect(differenceError).toBeLessThan(INT8_PARITY_DIFFERENCE_ERROR);
    },
    60_000,
  );

  // every published model at 96x96, both weight schemes: TFLITE_PARITY_ALL=1 (see above)
  it.runIf(process.env['TFLITE_PARITY_ALL'] === '1').each(listModels().flatMap((m) => [`${m.name}@96+quant=int8`, `${m.name}@96+quant=int8-per-channel`]))(
    'published %s follows the float twin',
    async (name) => {
      const { relativeL2, differenceError } = await compareInt8(name);
      console.log(`${name}: relative L2 ${relativeL2.toExponential(2)}, difference error ${differenceError.toFixed(3)}`);

      expect(relativeL2).toBeLessThanOrEqual(INT8_PARITY_RELATIVE_L2);
      expect(differenceError).toBeLessThan(INT8_PARITY_DIFFERENCE_ERROR);
    },
    600_000,
  );
});
