import { z } from 'zod';
import type { AttributedGroup, AttributionSummary } from '../lib/measure/index.js';

/**
 * `runs.report -> 'attribution'` as the query service reads it. The report is the agent's account,
 * stored as sent: runs from agents older than a field lack it, so every field falls back to null
 * rather than failing the request.
 */
type Nullable<T> = { [K in keyof T]: T[K] | null };

export type StoredAttribution = Nullable<
  Pick<
    AttributionSummary,
    | 'source'
    | 'layerSumToProfiledMedian'
    | 'layerSumToProfileRunMedian'
    | 'layerSumToTimedMedian'
    | 'layerSumWithOverheadToProfiledMedian'
    | 'layerSumWithOverheadToProfileRunMedian'
    | 'layerSumWithOverheadToTimedMedian'
    | 'profileRunMedianNs'
    | 'byLayer'
    | 'byBlock'
    | 'byOpType'
  >
>;

const ns = z.number().nonnegative();
const group: z.ZodType<AttributedGroup> = z.object({
  key: z.string(),
  kernelMedianNs: ns,
  overheadMedianNs: ns,
  totalMedianNs: ns,
  share: ns,
  totalShare: ns,
  nodes: z.number().int().nonnegative(),
});
const orNull = <T extends z.ZodType>(s: T) => s.nullable().catch(null);
const table = orNull(z.array(group));

const storedAttribution = z.object({
  source: orNull(z.enum(['lineage', 'names'])),
  layerSumToProfiledMedian: orNull(ns),
  layerSumToProfileRunMedian: orNull(ns),
  layerSumToTimedMedian: orNull(ns),
  layerSumWithOverheadToProfiledMedian: orNull(ns),
  layerSumWithOverheadToProfileRunMedian: orNull(ns),
  layerSumWithOverheadToTimedMedian: orNull(ns),
  profileRunMedianNs: orNull(ns),
  byLayer: table,
  byBlock: table,
  byOpType: table,
});

/** Reads what a stored report holds of the attribution; absent or malformed parts are null. */
export function readStoredAttribution(json: unknown): StoredAttribution {
  return storedAttribution.parse(typeof json === 'object' && json !== null && !Array.isArray(json) ? json : {});
}
