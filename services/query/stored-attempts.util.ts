import { z } from 'zod';
import type { AttemptResources } from '../lib/measure/index.js';

/** One attempt of a run as its report tells it (`runs.report -> 'attempts'`): a throttled or busy attempt is retried. */
export interface RunAttempt {
  /** 0 for the first; null when the report does not say */
  attempt: number | null;
  /** quality flags of this attempt */
  flags: string[];
  startedAt: string | null;
  finishedAt: string | null;
}

const attempt = z.object({
  attempt: z.number().int().nonnegative().nullable().catch(null),
  quality: z.object({ flags: z.array(z.string()).catch([]) }).catch({ flags: [] }),
  startedAt: z.string().nullable().catch(null),
  finishedAt: z.string().nullable().catch(null),
});
const attempts = z.array(z.unknown()).catch([]);

/**
 * The report's attempts, every field falling back to null (or no flags) where the agent that sent
 * it did not report it: older reports must not fail the request.
 */
export function readStoredAttempts(report: unknown): RunAttempt[] {
  const list = attempts.parse(report !== null && typeof report === 'object' ? (report as Record<string, unknown>)['attempts'] : undefined);
  return list.map((a) => {
    const r = attempt.parse(a !== null && typeof a === 'object' ? a : {});
    return { attempt: r.attempt, flags: r.quality.flags, startedAt: r.startedAt, finishedAt: r.finishedAt };
  });
}

const finite = z.number().refine(Number.isFinite);
const resources = z.object({ loadFirstMs: finite, loadWarmMs: finite, peakResidentBytes: finite, peakResidentSource: z.enum(['vmhwm', 'process-lifetime']) });

/**
 * The report's model load times and peak memory (`runs.report -> 'resources'`) when every figure is
 * a finite number and the memory's source is one latfleet writes; null otherwise (runners that do
 * not measure them, and reports are the agent's JSON).
 */
export function readStoredResources(value: unknown): AttemptResources | null {
  const r = resources.safeParse(value);
  return r.success
    ? { loadFirstMs: r.data.loadFirstMs, loadWarmMs: r.data.loadWarmMs, peakResidentBytes: r.data.peakResidentBytes, peakResidentSource: r.data.peakResidentSource }
    : null;
}
