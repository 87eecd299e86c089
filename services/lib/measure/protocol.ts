import { z } from 'zod';

export const OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;

/** How a job is measured; every study spec may override the defaults. */
export const protocolSchema = z
  .object({
    warmupRuns: z.number().int().min(0).max(10_000).default(10),
    timedRuns: z.number().int().min(1).max(100_000).default(100),
    profiledRuns: z.number().int().min(0).max(10_000).default(20),
    graphOptimizationLevel: z.enum(OPTIMIZATION_LEVELS).default('all'),
  })
  .strict();

export type MeasurementProtocol = z.infer<typeof protocolSchema>;

export const DEFAULT_PROTOCOL: MeasurementProtocol = protocolSchema.parse({});
