import { ONE_MODEL_PER_FAMILY, type StudySpecInput } from './study-input.js';
import { splitmix32 } from './prng.js';
import type { VariantSpec } from './spec-types.js';
import { describeVariant } from './variant-description.js';

/** Knobs the papers ablate, with the values a calibration draws from (the first is the model's own). */
const KNOBS = {
  resolution: [0, 128, 144, 160, 176, 192, 208, 224, 240, 256],
  width: [1, 0.5, 0.75, 0.9, 1.1, 1.25],
  depth: [1, 0.75, 1.25],
  activation: ['paper', 'relu', 'hswish', 'swish', 'relu6', '@16', '@112'],
  hswishImpl: ['fused', 'decomposed'],
  se: ['paper', 'none', 'all'],
  seGate: ['hardsigmoid', 'sigmoid'],
  kernels: [0, 1, 2, 3, 4],
  dilated: [false, true],
  lastStage: ['efficient', 'original'],
  quantization: ['none', 'none', 'none', 'int8', 'int8-per-channel'],
} as const;

/**
 * Protocol of a calibration run: two replicates per variant in two rounds minutes apart (the
 * predictor learns from their median, and their spread is the measurement noise a prediction
 * cannot beat), fewer timed and profiled runs than a verdict needs (a predictor learns from many
 * variants, not from a tight CI on one), and no retry of a flagged run: on a shared host a retry
 * costs fleet time and is flagged again; flagged runs stay visible and a predictor may be trained
 * with or without them.
 */
export const CALIBRATE_PROTOCOL = {
  warmupRuns: 5,
  warmupMinSeconds: 0.2,
  timedRuns: 30,
  profiledRuns: 10,
  replicates: 2,
  maxReplicates: 2,
  targetHalfWidthPct: 0,
  interleave: 'sequential',
  maxRetries: 0,
} as const;

/** The formats a calibration measures its variants in: ONNX (ONNX Runtime, profiled per kernel) or TFLite (LiteRT and TFLite's benchmark tool, end to end). */
export type CalibrateFormat = 'onnx' | 'tflite';

/**
 * Conservative seconds per multiply-add on one x86 core: ONNX Runtime native 0.06 ns; LiteRT's
 * single-threaded Wasm build about 3.7 times that (test/bench/RESULTS.md, "int8 TFLite against float32").
 */
const SECONDS_PER_MADD: Record<CalibrateFormat, number> = { onnx: 6e-11, tflite: 1.2e-10 };

/**
 * Seconds a variant costs the fleet: session and model set-up plus its runs at SECONDS_PER_MADD.
 * TFLite runs have no profiled phase (LiteRT exposes no per-op profiler).
 */
export function estimatedSeconds(madds: number, format: CalibrateFormat = 'onnx'): number {
  const rate = SECONDS_PER_MADD[format];
  const runs = CALIBRATE_PROTOCOL.timedRuns + (format === 'onnx' ? CALIBRATE_PROTOCOL.profiledRuns : 0);
  const once = 1.0 + Math.max(CALIBRATE_PROTOCOL.warmupMinSeconds, CALIBRATE_PROTOCOL.warmupRuns * madds * rate) + runs * madds * rate;
  return CALIBRATE_PROTOCOL.replicates * once;
}

export interface CalibrateOptions {
  /** fleet seconds the study may take on one device (estimated from MAdds before anything runs) */
  budgetSeconds: number;
  seed: number;
  /** at most this many variants (a study holds at most 256) */
  maxVariants: number;
  /** models of the study together at most this many MiB (parameters × 4 bytes: what the query service checks, 2048 by default) */
  maxModelMb: number;
  /** names never drawn (e.g. the variants a predictor was trained on, to draw unseen ones) */
  exclude?: ReadonlySet<string>;
  /** the format the variants are measured in (what the time budget is estimated for) */
  format: CalibrateFormat;
}

export const DEFAULT_CALIBRATE: CalibrateOptions = { budgetSeconds: 20 * 60, seed: 1, maxVariants: 256, maxModelMb: 2000, format: 'onnx' };

/**
 * Variants drawn across the families and their knobs, in turn over the base models, each knob
 * drawn at random (about a third of the draws keep a knob at the model's own value), until the
 * estimated fleet time reaches the budget or the models their size bound. Deterministic for a seed.
 */
export function calibrationVariants(options: CalibrateOptions): Array<{ name: string; madds: number; family: string }> {
  const rng = splitmix32(options.seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(rng() * values.length)]!;
  const keep = () => rng() < 0.35;
  const out: Array<{ name: string; madds: number; family: string }> = [];
  const seen = new Set(options.exclude ?? []);
  let seconds = 0;
  let mb = 0;
  for (let draw = 0; out.length < options.maxVariants && draw < options.maxVariants * 20; draw++) {
    const model = ONE_MODEL_PER_FAMILY[draw % ONE_MODEL_PER_FAMILY.length]!;
    const spec: VariantSpec = { model };
    const resolution = pick(KNOBS.resolution);
    if (resolution && !keep()) spec.resolution = resolution;
    if (!keep()) spec.width = pick(KNOBS.width);
    if (!keep()) spec.depth = pick(KNOBS.depth);
    if (!keep()) spec.activation = pick(KNOBS.activation);
    if (!keep()) spec.hswishImpl = pick(KNOBS.hswishImpl);
    if (!keep()) spec.se = pick(KNOBS.se);
    if (!keep()) spec.seGate = pick(KNOBS.seGate);
    const kernels = pick(KNOBS.kernels);
    if (kernels && !keep()) spec.kernels = kernels;
    if (spec.kernels && spec.kernels > 1 && !keep()) spec.dilated = pick(KNOBS.dilated);
    if (model.startsWith('mobilenetv3') && !keep()) spec.lastStage = pick(KNOBS.lastStage);
    spec.quantization = pick(KNOBS.quantization);
    let described;
    try {
      described = describeVariant(spec);
    } catch {
      continue;
    }
    if (seen.has(described.name)) continue;
    const cost = estimatedSeconds(described.madds, options.format);
    const size = (described.params * 4) / 1048576;
    if (seconds + cost > options.budgetSeconds || mb + size > options.maxModelMb) break;
    seen.add(described.name);
    seconds += cost;
    mb += size;
    out.push({ name: described.name, madds: described.madds, family: described.family });
  }
  return out;
}

/** A calibration-protocol study of these variants, all in one format (the base's `format`). */
export function calibrationSpec(name: string, description: string, variants: readonly string[], format: CalibrateFormat): StudySpecInput {
  return {
    name,
    description,
    ...(format === 'onnx' ? {} : { base: { format } }),
    variants: [...variants],
    baseline: variants[0]!,
    protocol: { ...CALIBRATE_PROTOCOL },
  };
}

/** The built-in `calibrate` (ONNX) and `calibrate-tflite` studies: the training set of a latency predictor for a device. */
export function calibrateStudy(options: CalibrateOptions = DEFAULT_CALIBRATE, name = 'calibrate'): StudySpecInput {
  const variants = calibrationVariants(options).map((v) => v.name);
  const as = options.format === 'onnx' ? '' : ' as TFLite';
  return calibrationSpec(
    name,
    `Training set of the latency predictors: ${variants.length} variants drawn across the six families and their knobs (width, depth, resolution, kernels, activation placement, SE, last stage, int8)${as}, about ${Math.round(options.budgetSeconds / 60)} min of fleet time on one CPU core`,
    variants,
    options.format,
  );
}
