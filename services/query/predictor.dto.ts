import { z } from 'zod';
import { MODEL_FORMATS } from '../lib/models/index.js';
import { PREDICTOR_KINDS } from '../lib/predict/index.js';
import { OPTIMIZATION_LEVELS, uuidParam } from './pagination.dto.js';

const deviceRef = z.string().min(1).max(200);

export const trainPredictorBody = z
  .object({
    device: deviceRef.describe('device name or id whose stored runs the predictor learns from'),
    runtime: z.string().min(1).max(200).optional().describe("runs' environment.runtimeVersion (default: that of the device's latest profiled run)"),
    optimization: z.enum(OPTIMIZATION_LEVELS).optional().describe("runs' graph optimization level (default: that of the device's latest profiled run)"),
    studies: z.array(uuidParam).min(1).max(100).optional().describe('learn only from these studies (default: every profiled run of builder variants on the device)'),
    includeFlagged: z.boolean().default(false).describe('also learn from runs the quality checks flagged'),
    folds: z.number().int().min(2).max(20).default(5).describe('cross-validation folds, held out by variant'),
    format: z.enum(MODEL_FORMATS).optional().describe("the model format whose runs it learns from (default: that of the device's latest run)"),
    model: z
      .enum(PREDICTOR_KINDS)
      .optional()
      .describe(
        'kernels: per runtime kernel, from profiled runs; layer-sum: per-layer rates from end-to-end medians (default: kernels when the runs are profiled, else layer-sum)',
      ),
  })
  .strict();
export type TrainPredictorBody = z.output<typeof trainPredictorBody>;

export const predictorListQuery = z
  .object({
    device: deviceRef.optional().describe('only this device (name or id)'),
  })
  .strict();
export type PredictorListQuery = z.output<typeof predictorListQuery>;

/** At most this many variants in one prediction request (times the devices asked for). */
export const MAX_PREDICTED_VARIANTS = 5_000;

export const predictionBody = z
  .object({
    variants: z
      .array(z.string().min(1).max(500))
      .min(1)
      .max(MAX_PREDICTED_VARIANTS)
      .describe('variant names, e.g. mobilenetv3-large-1.0@160+act=relu (see GET /api/v1/models and `latfleet models describe`)'),
    devices: z.array(deviceRef).min(1).max(100).optional().describe('device names or ids (default: every device with a predictor)'),
    layers: z.boolean().default(true).describe('include the per-layer breakdown'),
    format: z.enum(MODEL_FORMATS).optional().describe("each device's latest predictor of this model format (default: each device's latest predictor)"),
    level: z
      .enum(['live', 'trained'])
      .default('live')
      .describe(
        "live: at the device's speed now, the median measured/predicted ratio of its newest runs since the predictor was trained (once there are 5; predictor.live); trained: at the speed it had during calibration",
      ),
  })
  .strict();
export type PredictionBody = z.output<typeof predictionBody>;

/** The MnasNet reward of candidates from predicted latency (a search's inner loop, before any is measured). */
export const predictedRewardBody = z
  .object({
    variants: z
      .array(
        z.union([z.string().min(1).max(500), z.object({ name: z.string().min(1).max(500), top1: z.number().min(0).max(100).optional().describe('ImageNet top-1, %') }).strict()]),
      )
      .min(1)
      .max(MAX_PREDICTED_VARIANTS)
      .describe('variant names, or {name, top1}; without top1 the latest stored accuracy of the name is used'),
    device: deviceRef.describe('device name or id whose latest predictor predicts'),
    targetMs: z.number().positive().max(1e6).describe('latency target T in milliseconds'),
    constraint: z.enum(['soft', 'hard']).default('soft').describe('soft: α = β = −0.07; hard: α = 0, β = −1 (MnasNet)'),
    alpha: z.number().min(-10).max(10).optional().describe('exponent within the target (overrides the constraint preset)'),
    beta: z.number().min(-10).max(10).optional().describe('exponent beyond the target (overrides the constraint preset)'),
    format: z.enum(MODEL_FORMATS).optional().describe("the device's latest predictor of this model format (default: its latest predictor)"),
  })
  .strict();
export type PredictedRewardBody = z.output<typeof predictedRewardBody>;
