import { z } from 'zod';
import { OPTIMIZATION_LEVELS, pagination } from './pagination.dto.js';
import { FORMAT_NAME } from '../lib/models/index.js';

export const modelListQuery = z
  .object({
    ...pagination(),
    family: z.string().min(1).max(50).optional().describe('only models of this family (mobilenetv3, efficientnet, …)'),
    measured: z.enum(['true', 'false']).optional().describe('true: only models with at least one stored run'),
  })
  .strict();
export type ModelListQuery = z.output<typeof modelListQuery>;

export const modelImportQuery = z
  .object({
    name: z.string().min(1).max(100).describe('the name studies give the model by (`variants: [{ model: <name> }]`); 1-100 letters, digits, `._-`'),
    inputShape: z
      .string()
      .regex(/^\d{1,6}(,\d{1,6}){0,7}$/, { error: 'expected comma-separated positive integers, e.g. 1,3,224,224' })
      .transform((s) => s.split(',').map(Number))
      .refine((dims) => dims.every((d) => d > 0), { error: 'every dimension must be positive' })
      .optional()
      .describe("the input's static shape, e.g. `1,3,224,224`; needed when the file leaves a dimension open (a dynamic batch)"),
  })
  .strict();
export type ModelImportQuery = z.output<typeof modelImportQuery>;

export const artifactQuery = z
  .object({
    format: z
      .string()
      .regex(FORMAT_NAME, { error: 'expected a format name: lowercase letters, digits, ._- (e.g. rknn)' })
      .describe('the vendor format the file is in, as the board agents that run it announce it (e.g. `rknn`)'),
  })
  .strict();
export type ArtifactQuery = z.output<typeof artifactQuery>;

export const modelDevicesQuery = z.object({ optimization: z.enum(OPTIMIZATION_LEVELS).default('all').describe('graph optimization level of the runs to include') }).strict();
export type ModelDevicesQuery = z.output<typeof modelDevicesQuery>;
