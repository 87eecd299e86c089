import type { onnx as OnnxTypes } from 'onnx-proto';
import { tensorRng } from '../prng.js';
import { FloatReference } from './float-reference.js';

/**
 * TFLite's full-integer int8 scheme (post-training quantization with a representative dataset):
 * activations int8 per tensor, asymmetric, from calibrated [min, max] widened to hold 0; weights
 * int8 symmetric in [-127, 127] (zero point 0), per output channel or per tensor; biases int32 with
 * scale input scale × weight scale and zero point 0.
 */

export interface Range {
  min: number;
  max: number;
}

export interface QuantParams {
  /** float32 values, as the file stores them */
  scale: number;
  zeroPoint: number;
}

/** TFLite's int8 LOGISTIC kernel requires this output quantization (it covers [0, 1) exactly). */
export const LOGISTIC_OUTPUT: QuantParams = { scale: 1 / 256, zeroPoint: -128 };

/** Representative inputs: seeded, uniform in [-1, 1] per value (a normalized image's range), never the parity tests' input. */
export const CALIBRATION_SAMPLES = 4;
export const CALIBRATION_INPUT_LIMIT = 1;

const INT8_MIN = -128;
const INT8_MAX = 127;
const WEIGHT_MAX = 127;
const INT32_LIMIT = 2 ** 31 - 1;

const roundHalfAway = (v: number): number => Math.sign(v) * Math.round(Math.abs(v));

/** Asymmetric int8 from a range, widened to include 0 (as TFLite's quantizer nudges it), zero point an integer in [-128, 127]. */
export function activationParams(range: Range): QuantParams {
  const min = Math.min(range.min, 0);
  const max = Math.max(range.max, 0);
  if (max === min) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((max - min) / (INT8_MAX - INT8_MIN));
  const zeroPoint = Math.min(INT8_MAX, Math.max(INT8_MIN, roundHalfAway(INT8_MIN - min / scale)));
  return { scale, zeroPoint };
}

/** A float constant (the scalars 3, 1/6, ...) as one int8 value of a per-tensor asymmetric range [min(0, c), max(0, c)]. */
export function quantizeScalar(value: number): { q: number; params: QuantParams } {
  const params = activationParams({ min: value, max: value });
  return { q: clampInt8(roundHalfAway(value / params.scale) + params.zeroPoint), params };
}

export function quantizeValue(value: number, p: QuantParams): number {
  return clampInt8(roundHalfAway(value / p.scale) + p.zeroPoint);
}

const clampInt8 = (v: number): number => Math.min(INT8_MAX, Math.max(INT8_MIN, v));

/**
 * Symmetric int8 weights: `channels` scales (max |w| / 127 over each output channel, the outer
 * ONNX dimension) or one over the whole tensor. Values stay in ONNX order.
 */
export function quantizeWeights(values: Float32Array, channels: number, perChannel: boolean): { data: Int8Array; scales: number[] } {
  const perOut = values.length / channels;
  const maxAbs = (from: number, to: number): number => {
    let m = 0;
    for (let i = from; i < to; i++) m = Math.max(m, Math.abs(values[i]!));
    return m;
  };
  const scaleOf = (m: number): number => (m > 0 ? Math.fround(m / WEIGHT_MAX) : 1);
  const scales = perChannel ? Array.from({ length: channels }, (_, o) => scaleOf(maxAbs(o * perOut, (o + 1) * perOut))) : [scaleOf(maxAbs(0, values.length))];
  const data = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const s = scales[perChannel ? Math.floor(i / perOut) : 0]!;
    data[i] = Math.min(WEIGHT_MAX, Math.max(-WEIGHT_MAX, roundHalfAway(values[i]! / s)));
  }
  return { data, scales };
}

/** int32 biases at scale input scale × weight scale (per channel when the weights are), zero point 0. */
export function quantizeBias(values: Float32Array, inputScale: number, weightScales: number[]): { data: Int32Array; scales: number[] } {
  const scales = weightScales.map((s) => Math.fround(inputScale * s));
  const data = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const q = roundHalfAway(values[i]! / scales[weightScales.length === 1 ? 0 : i]!);
    data[i] = Math.min(INT32_LIMIT, Math.max(-INT32_LIMIT, q));
  }
  return { data, scales };
}

/** Calibration input `k` of a variant: NCHW, seeded by the variant's seed. */
export function calibrationInput(seed: number, k: number, shape: number[]): Float32Array {
  const rng = tensorRng(seed, `calibration.${k}`);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng() - 1) * CALIBRATION_INPUT_LIMIT;
  return out;
}

/** Every tensor's [min, max] over the calibration inputs, through the float graph (float-reference.ts). */
export function calibrate(model: OnnxTypes.IModelProto, seed: number, samples = CALIBRATION_SAMPLES): Map<string, Range> {
  const reference = new FloatReference(model);
  const ranges = new Map<string, Range>();
  for (let k = 0; k < samples; k++) {
    reference.run(calibrationInput(seed, k, reference.inputShape), (name, t) => {
      let min = Infinity;
      let max = -Infinity;
      for (const v of t.data) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const r = ranges.get(name);
      ranges.set(name, r ? { min: Math.min(r.min, min), max: Math.max(r.max, max) } : { min, max });
    });
  }
  return ranges;
}
