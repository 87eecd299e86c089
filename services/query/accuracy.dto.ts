import { z } from 'zod';
import { pagination, uuidParam } from './pagination.dto.js';

const percent = z.number().min(0).max(100);

export const createAccuracyBody = z
  .object({
    model: z.string().min(1).max(300).optional().describe('canonical model or variant name, e.g. mobilenetv3-large-1.0 (aliases are resolved)'),
    variantId: uuidParam.optional().describe('one variant of one study (see GET /api/v1/studies/{id})'),
    top1: percent.describe('top-1 accuracy, percent'),
    top5: percent.optional().describe('top-5 accuracy, percent'),
    dataset: z.string().min(1).max(100).default('imagenet-1k').describe('evaluation data set'),
    source: z.string().min(1).max(1000).describe('where the figure comes from: paper, training run, URL'),
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.model === undefined) === (b.variantId === undefined)) {
      ctx.addIssue({ code: 'custom', path: [b.model === undefined ? 'model' : 'variantId'], message: 'give exactly one of model and variantId' });
    }
  });
export type CreateAccuracyBody = z.output<typeof createAccuracyBody>;

export const accuracyListQuery = z
  .object({
    ...pagination(),
    model: z.string().min(1).max(300).optional().describe('only entries for this model name'),
    variantId: uuidParam.optional().describe('only entries for this variant'),
  })
  .strict();
export type AccuracyListQuery = z.output<typeof accuracyListQuery>;
