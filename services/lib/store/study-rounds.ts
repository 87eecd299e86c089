import { randomOrder } from '../measure/run-loop.js';
import type { RoundDecisionReason } from '../measure/round-policy.js';
import type { DeviceSelector, JobProtocol } from './entities/job.entity.js';

/** Channel on which whoever queues jobs wakes the control processes (they LISTEN on it). */
export const JOBS_CHANNEL = 'latfleet_jobs';

/** The key of `studies.rounds` for a study whose jobs may run on any matching device. */
export const ANY_DEVICE = '*';

/** Per device group of a study: the rounds queued so far and, once no more will be, why. */
export interface RoundLog {
  rounds: number;
  /** what ended the group's rounds (decideNextRound); null while more may come */
  stopReason: RoundDecisionReason | null;
  /** the widest comparison's 95% CI half-width of Δ% when the decision was taken; null when none could be computed */
  worstHalfWidthPct: number | null;
  /** human-readable: "every comparison within ±0.62% after 4 rounds" */
  detail: string;
  at: string;
}

export interface NewRound {
  studyId: string;
  round: number;
  /** the study's variants in the study's order */
  variantIds: readonly string[];
  protocol: JobProtocol;
  priority: number;
  selector: DeviceSelector;
  /** the device that runs the round; null: any matching device (the whole round goes to one) */
  target: string | null;
}

type Queryable = { query(sql: string, params?: unknown[]): Promise<unknown> };

/**
 * Queues one round: a job per variant, each with its place in a random order and its model's format
 * (what a device must run to lease it). Jobs are created in that order (clock_timestamp), so that a
 * study's rounds are leased round after round. A round for one target device holds only the variants
 * in formats that device runs: the others could never be leased there.
 */
export async function insertRound(m: Queryable, r: NewRound, order: readonly number[] = randomOrder(r.variantIds.length)): Promise<void> {
  await m.query(
    `INSERT INTO jobs (study_id, variant_id, protocol, priority, selector, target_device_id, round, round_position, format, created_at)
     SELECT $1, v.variant_id, $3, $4, $5, $6, $7, v.position, m.format, clock_timestamp()
       FROM unnest($2::uuid[], $8::int[]) AS v(variant_id, position)
       JOIN variants va ON va.id = v.variant_id JOIN models m ON m.sha256 = va.model_sha256
      WHERE $6::uuid IS NULL OR m.format IN (SELECT unnest(d.formats) FROM devices d WHERE d.id = $6)
      ORDER BY v.position`,
    [r.studyId, order.map((i) => r.variantIds[i]), JSON.stringify(r.protocol), r.priority, JSON.stringify(r.selector), r.target, r.round, order.map((_, k) => k)],
  );
}
