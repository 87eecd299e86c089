import { z } from 'zod';
import { FIGURE_NAMES } from './figure-specs.js';
import { GROUPINGS } from './layer-delta.service.js';
import { listParam, OPTIMIZATION_LEVELS, uuidParam } from './pagination.dto.js';

export const figureName = z.enum(FIGURE_NAMES);

/** One query for every figure: each figure reads the parameters of the answer it is drawn from (see figure.service.ts) and leaves the others alone. */
export const figureQuery = z
  .object({
    device: listParam.optional().describe('latency, delta, pareto-*: device names or ids; layer-delta, history: one device (default: the only one with results)'),
    include: z.enum(['flagged']).optional().describe('latency, delta, layer-delta: keep flagged runs in the figures and verdicts'),
    run: uuidParam.optional().describe("layers, blocks: the run (default: the baseline's first run on the first device)"),
    variant: z.string().min(1).max(200).optional().describe('layer-delta: the variant to explain (default: the first that is not the baseline)'),
    baseline: z.string().min(1).max(200).optional().describe("layer-delta: the variant to compare against (default: the study's baseline)"),
    by: z.enum(GROUPINGS).default('layer').describe('layer-delta: block, op, role, runtimeOp or layer'),
    model: z.string().min(1).max(300).optional().describe("history: model name or sha256 (default: the baseline's model)"),
    optimization: z.enum(OPTIMIZATION_LEVELS).default('all').describe('history: graph optimization level of the runs'),
  })
  .strict();
export type FigureQuery = z.output<typeof figureQuery>;
