import { z } from 'zod';
import { pagination, uuidParam } from './pagination.dto.js';

export const runListQuery = z
  .object({
    ...pagination(),
    study: uuidParam.optional().describe('study id'),
    variant: z.string().min(1).max(200).optional().describe('variant label (within the study)'),
    device: z.string().min(1).max(200).optional().describe('device name or id'),
  })
  .strict();
export type RunListQuery = z.output<typeof runListQuery>;

export const runLatenciesQuery = z.object({ format: z.enum(['json', 'csv']).default('json').describe('json, or csv (text/csv: iteration,latency_ns)') }).strict();
export type RunLatenciesQuery = z.output<typeof runLatenciesQuery>;
