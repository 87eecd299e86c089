import { z } from 'zod';
import { listParam, pagination } from './pagination.dto.js';

export const STUDY_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;

export const studyListQuery = z
  .object({
    ...pagination(),
    status: z.enum(STUDY_STATUSES).optional().describe('only studies in this status'),
    name: z.string().min(1).max(200).optional().describe('only studies with exactly this name'),
  })
  .strict();
export type StudyListQuery = z.output<typeof studyListQuery>;

const device = listParam.optional().describe('device names or ids (comma-separated or repeated); default: every device with results');
const include = z.enum(['flagged']).optional().describe('flagged: keep runs flagged as throttled or busy in the figures and verdicts (by default they are left out and counted)');

/** `include=flagged` */
export const includesFlagged = (q: { include?: 'flagged' }) => q.include === 'flagged';

export const comparisonQuery = z.object({ device, include }).strict();
export type ComparisonQuery = z.output<typeof comparisonQuery>;

export const ablationTableQuery = z.object({ device, include, format: z.enum(['json', 'csv']).default('json').describe('json, or csv (text/csv, one row per variant)') }).strict();
export type AblationTableQuery = z.output<typeof ablationTableQuery>;

export const layerDeltaQuery = z
  .object({
    variant: z.string().min(1).max(200).describe('label of the variant to explain'),
    baseline: z.string().min(1).max(200).optional().describe("label of the variant to compare against; default: the study's baseline"),
    device: z.string().min(1).max(200).optional().describe('device name or id; may be left out when both variants ran on exactly one common device'),
    include,
  })
  .strict();
export type LayerDeltaQuery = z.output<typeof layerDeltaQuery>;

export const rewardQuery = z
  .object({
    // coerced, a missing target is NaN: say what is expected rather than "received NaN"
    target: z.coerce
      .number({ error: 'expected the latency target T in milliseconds, e.g. target=75' })
      .positive({ error: 'expected a positive number of milliseconds' })
      .max(1e6, { error: 'at most 1000000 ms' })
      .describe('latency target T in milliseconds'),
    constraint: z.enum(['soft', 'hard']).default('soft').describe('soft: α = β = −0.07; hard: α = 0, β = −1 (MnasNet)'),
    alpha: z.coerce.number().min(-10).max(10).optional().describe('exponent within the target (overrides the constraint preset)'),
    beta: z.coerce.number().min(-10).max(10).optional().describe('exponent beyond the target (overrides the constraint preset)'),
    device,
  })
  .strict();
export type RewardQuery = z.output<typeof rewardQuery>;

export const paretoQuery = z.object({ device }).strict();
export type ParetoQuery = z.output<typeof paretoQuery>;
