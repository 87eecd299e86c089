import type { MeasurementProtocol } from './protocol.js';

export type RoundDecisionReason = 'target' | 'floor' | 'max-replicates' | 'budget' | 'fixed' | 'no-comparison';

export interface RoundDecision {
  /** queue one more round */
  next: boolean;
  /** why no further round is queued; null when one is */
  stopReason: RoundDecisionReason | null;
  /** the widest comparison's CI half-width of Δ% (percentage points); null when no comparison has one yet */
  worstHalfWidthPct: number | null;
  detail: string;
}

export interface RoundState {
  protocol: Pick<MeasurementProtocol, 'replicates' | 'maxReplicates' | 'targetHalfWidthPct' | 'budgetSeconds'>;
  /** rounds queued so far for the device group, all of them finished */
  rounds: number;
  /** since the group's first lease */
  elapsedSeconds: number;
  /** per comparison (variant vs baseline on a device) */
  comparisons: ReadonlyArray<ComparisonPrecision>;
}

export interface ComparisonPrecision {
  /**
   * the comparison's precision as printed: the larger of the 95% CI half-width of Δ% (percentage
   * points) and its minimum detectable effect (percent of the baseline); null: undecided (too few clean rounds)
   */
  halfWidthPct: number | null;
  /** the half-width the between-study component alone leaves however many rounds run (1.96 τ, percentage points) */
  floorPct: number;
}

const fmt = (x: number) => `±${x.toFixed(2)}%`;

/**
 * Adaptive stopping: after the first `replicates` rounds, keep adding rounds until every
 * comparison's CI half-width reaches the target, up to `maxReplicates` rounds or the time budget.
 * A comparison within √2 of its between-study floor (the half-width infinitely many rounds would
 * leave: 1.96 τ) asks for no more rounds ("floor"): a repeat of the study would still move by the
 * floor, whatever this one adds.
 */
export function decideNextRound(s: RoundState): RoundDecision {
  const p = s.protocol;
  const widths = s.comparisons.map((c) => c.halfWidthPct ?? Number.POSITIVE_INFINITY);
  const worst = widths.length ? Math.max(...widths) : null;
  const worstHalfWidthPct = worst !== null && Number.isFinite(worst) ? worst : null;
  const stop = (stopReason: RoundDecisionReason, detail: string): RoundDecision => ({ next: false, stopReason, worstHalfWidthPct, detail });
  const undecided = widths.filter((w) => !Number.isFinite(w)).length;
  const state = worstHalfWidthPct !== null && undecided === 0 ? `widest comparison ${fmt(worstHalfWidthPct)}` : `${undecided} of ${widths.length} comparisons undecided`;
  if (s.rounds < p.replicates) return { next: true, stopReason: null, worstHalfWidthPct, detail: `${s.rounds} of ${p.replicates} rounds` };
  if (p.targetHalfWidthPct <= 0) return stop('fixed', `${s.rounds} rounds, as the protocol asks (no precision target); ${state}`);
  if (widths.length === 0) return stop('no-comparison', `${s.rounds} rounds; nothing to compare (one variant, or the baseline has no clean run)`);
  if (worst! <= p.targetHalfWidthPct) return stop('target', `every comparison within ${fmt(worst!)} (target ${fmt(p.targetHalfWidthPct)}) after ${s.rounds} rounds`);
  const open = s.comparisons.filter((c, i) => widths[i]! > p.targetHalfWidthPct);
  if (open.every((c) => c.halfWidthPct !== null && c.halfWidthPct <= Math.SQRT2 * c.floorPct)) {
    const floor = Math.max(...open.map((c) => c.floorPct));
    return stop(
      'floor',
      `every comparison within ${fmt(worst!)} after ${s.rounds} rounds; those above the target ${fmt(p.targetHalfWidthPct)} are at their between-study floor (up to ${fmt(floor)}): more rounds cannot narrow them`,
    );
  }
  if (s.rounds >= p.maxReplicates) return stop('max-replicates', `${s.rounds} rounds (maxReplicates); ${state}, target ${fmt(p.targetHalfWidthPct)}`);
  if (p.budgetSeconds > 0 && s.elapsedSeconds >= p.budgetSeconds) {
    return stop('budget', `time budget of ${p.budgetSeconds} s spent after ${s.rounds} rounds; ${state}, target ${fmt(p.targetHalfWidthPct)}`);
  }
  return { next: true, stopReason: null, worstHalfWidthPct, detail: `${state} after ${s.rounds} rounds, target ${fmt(p.targetHalfWidthPct)}: one more round` };
}
