import { z } from 'zod';
import { OPTIMIZATION_LEVELS, pagination } from './pagination.dto.js';

export const modelListQuery = z
  .object({
    ...pagination(),
    family: z.string().min(1).max(50).optional().describe('only models of this family (mobilenetv3, efficientnet, …)'),
    measured: z.enum(['true', 'false']).optional().describe('true: only models with at least one stored run'),
  })
  .strict();
export type ModelListQuery = z.output<typeof modelListQuery>;

export const modelDevicesQuery = z
  .object({ optimization: z.enum(OPTIMIZATION_LEVELS).default('all').describe('graph optimization level of the runs to include') })
  .strict();
export type ModelDevicesQuery = z.output<typeof modelDevicesQuery>;
