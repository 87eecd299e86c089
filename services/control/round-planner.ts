import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { betweenStudySdAt, compareReplicates, decideNextRound, resolveProtocol, type ComparisonPrecision } from '../lib/measure/index.js';
import { ANY_DEVICE, deviceReproducibility, insertRound, JOBS_CHANNEL, type DeviceSelector, type JobProtocol, type RoundLog } from '../lib/store/index.js';

interface GroupState {
  open: number;
  rounds: number;
  elapsedSeconds: number;
  protocol: JobProtocol;
  priority: number;
  selector: DeviceSelector;
  status: string;
}

/**
 * Adaptive stopping: when the last open job of a study's device group (its target device, or any
 * device) finishes, decides from the clean runs stored so far whether another round is needed
 * (`decideNextRound`) and queues it, in the same transaction as the run that finished the group,
 * so that the study never looks completed in between. Records the decision in `studies.rounds`.
 */
@Injectable()
export class RoundPlanner {
  private readonly logger = new Logger(RoundPlanner.name);

  async afterJob(m: EntityManager, studyId: string, jobId: string): Promise<void> {
    // one decision at a time per study (two devices may finish rounds at once)
    await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [studyId]);
    const [job]: Array<{ target: string | null }> = await m.query(`SELECT target_device_id AS target FROM jobs WHERE id = $1`, [jobId]);
    if (!job) return;
    const [g]: GroupState[] = await m.query(
      `SELECT count(*) FILTER (WHERE j.state IN ('queued', 'leased'))::int AS open, (max(j.round) + 1)::int AS rounds,
              coalesce(extract(epoch FROM now() - min(a.leased_at)), 0)::float8 AS "elapsedSeconds",
              (array_agg(j.protocol))[1] AS protocol, max(j.priority)::int AS priority, (array_agg(j.selector))[1] AS selector,
              (SELECT status FROM studies WHERE id = $1) AS status
         FROM jobs j LEFT JOIN job_attempts a ON a.job_id = j.id
        WHERE j.study_id = $1 AND j.target_device_id IS NOT DISTINCT FROM $2`,
      [studyId, job.target],
    );
    if (!g || g.open > 0 || g.status === 'cancelled') return;
    const protocol = resolveProtocol(g.protocol);
    const runs: RunMedian[] = await m.query(
      `SELECT r.variant_id AS "variantId", r.device_id AS "deviceId", r.round, r.median_ns AS "medianNs", v.is_baseline AS baseline, r.flagged
         FROM runs r JOIN jobs j ON j.id = r.job_id JOIN variants v ON v.id = r.variant_id
        WHERE r.study_id = $1 AND j.target_device_id IS NOT DISTINCT FROM $2 AND r.median_ns > 0`,
      [studyId, job.target],
    );
    const devices = await deviceReproducibility(m, [...new Set(runs.map((r) => r.deviceId))], protocol.betweenStudyPct, protocol.betweenStudyRelativePct);
    const betweenSd = new Map([...devices].map(([id, r]) => [id, { sd: r.betweenStudyPct / 100, relative: r.relativePct / 100 }]));
    const decision = decideNextRound({ protocol, rounds: g.rounds, elapsedSeconds: g.elapsedSeconds, comparisons: precisions(runs, betweenSd) });
    const group = job.target ?? ANY_DEVICE;
    const log: RoundLog = {
      rounds: g.rounds + (decision.next ? 1 : 0),
      stopReason: decision.stopReason,
      worstHalfWidthPct: decision.worstHalfWidthPct === null ? null : Math.round(decision.worstHalfWidthPct * 1e3) / 1e3,
      detail: decision.detail,
      at: new Date().toISOString(),
    };
    await m.query(`UPDATE studies SET rounds = jsonb_set(rounds, ARRAY[$2::text], $3::jsonb) WHERE id = $1`, [studyId, group, JSON.stringify(log)]);
    if (!decision.next) return;
    const variants: Array<{ id: string }> = await m.query(`SELECT id FROM variants WHERE study_id = $1 ORDER BY position`, [studyId]);
    await insertRound(m, { studyId, round: g.rounds, variantIds: variants.map((v) => v.id), protocol: g.protocol, priority: g.priority, selector: g.selector, target: job.target });
    await m.query(`SELECT pg_notify($1, $2)`, [JOBS_CHANNEL, studyId]);
    this.logger.log(`study ${studyId} (${group}): ${decision.detail}`);
  }
}

/** The 97.5% normal quantile: the t quantile's limit as rounds grow. */
const Z975 = 1.959963984540054;

type RunMedian = { variantId: string; deviceId: string; round: number | null; medianNs: string | number; baseline: boolean; flagged: boolean };

/**
 * Per variant and device that ran anything, against the baseline on that device, from the clean
 * runs: the comparison's precision as a reader sees it — the larger of the CI half-width of Δ% in
 * percentage points and the minimum detectable effect (the ratio interval's half-width relative to
 * the baseline, `mdePct`), so that a study stopped at the target prints both within it (null:
 * undecided, which asks for another round — also when a side has no clean run yet) — and the floor
 * the device's between-study component puts under the same reading.
 */
export function precisions(runs: readonly RunMedian[], betweenSd: ReadonlyMap<string, { sd: number; relative: number }>): ComparisonPrecision[] {
  const byDevice = new Map<string, Map<string, RunMedian[]>>();
  for (const r of runs) {
    const variants = byDevice.get(r.deviceId) ?? new Map<string, RunMedian[]>();
    variants.set(r.variantId, [...(variants.get(r.variantId) ?? []), r]);
    byDevice.set(r.deviceId, variants);
  }
  const clean = (rs: RunMedian[]) => rs.filter((r) => !r.flagged).map((r) => ({ round: r.round, value: Number(r.medianNs) }));
  const out: ComparisonPrecision[] = [];
  for (const [deviceId, variants] of byDevice) {
    const between = betweenSd.get(deviceId) ?? { sd: 0, relative: 0 };
    const base = [...variants.values()].find((rs) => rs[0]!.baseline) ?? [];
    for (const rs of variants.values()) {
      if (rs === base) continue;
      const b = clean(base);
      const c = clean(rs);
      const cmp = b.length && c.length ? compareReplicates({ base: b, cand: c }, { betweenStudySd: between.sd, betweenStudyRelative: between.relative }) : null;
      if (!cmp?.ratioCi) {
        out.push({ halfWidthPct: null, floorPct: 0 });
        continue;
      }
      // what infinitely many rounds would leave: the between-study term alone (at this ratio), at the normal quantile
      const tau = betweenStudySdAt(Math.log(cmp.ratio), between.sd, between.relative);
      out.push({
        halfWidthPct: Math.max((cmp.ratioCi.high - cmp.ratioCi.low) / 2, cmp.minimumDetectable!) * 100,
        floorPct: Math.max(cmp.ratio * Math.sinh(Z975 * tau), Math.expm1(Z975 * tau)) * 100,
      });
    }
  }
  return out;
}
