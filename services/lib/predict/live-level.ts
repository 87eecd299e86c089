import { median } from '../measure/stats.js';

/**
 * A predictor learns a device at the speed it had during calibration. A VM's host, a phone's
 * governor or a runtime upgrade moves that level afterwards (test/bench/RESULTS.md, "Latency
 * predictors": the held-out variants, measured minutes after the calibration, ran 5.7% slower at
 * the median than predicted). The runs the device measures after the predictor was trained show
 * both how far its predictions are off now (drift, a reason to recalibrate) and the level to
 * predict at: the median ratio of measured to predicted over the newest runs.
 */

/** The newest runs (measured after the predictor was trained) the live level and error read. */
export const LIVE_LEVEL_RUNS = 20;
/** Predictions follow the live level once this many runs since training show it. */
export const MIN_LIVE_LEVEL_RUNS = 5;

/** A run measured after the predictor was trained: its timed median and what the predictor predicts for its model. */
export interface LiveRun {
  measuredNs: number;
  predictedNs: number;
}

/** How the device's latest predictor does on runs it never saw, measured since it was trained. */
export interface LiveLevel {
  /** runs since training read (the newest, at most LIVE_LEVEL_RUNS) */
  runs: number;
  /** measured / predicted, median over those runs (1 without any) */
  factor: number;
  /** whether predictions are scaled by `factor` (at least MIN_LIVE_LEVEL_RUNS runs) */
  applied: boolean;
  /** the trained predictor's error on those runs, before any scaling: median of (predicted − measured) / measured, %; null without runs */
  medianErrorPct: number | null;
  /** share of those runs the trained predictor had within ±5% / ±10%, %; null without runs */
  within5Pct: number | null;
  within10Pct: number | null;
}

/** The live level from runs since training, newest last; only the newest LIVE_LEVEL_RUNS count. */
export function liveLevel(runs: readonly LiveRun[]): LiveLevel {
  const recent = runs.filter((r) => r.measuredNs > 0 && r.predictedNs > 0 && Number.isFinite(r.measuredNs) && Number.isFinite(r.predictedNs)).slice(-LIVE_LEVEL_RUNS);
  if (recent.length === 0) return { runs: 0, factor: 1, applied: false, medianErrorPct: null, within5Pct: null, within10Pct: null };
  const errors = recent.map((r) => (r.predictedNs - r.measuredNs) / r.measuredNs);
  const within = (limit: number) => round((100 * errors.filter((e) => Math.abs(e) <= limit).length) / errors.length);
  const factor = Math.exp(median(recent.map((r) => Math.log(r.measuredNs / r.predictedNs))));
  return {
    runs: recent.length,
    factor: Math.round(factor * 1e4) / 1e4,
    applied: recent.length >= MIN_LIVE_LEVEL_RUNS,
    medianErrorPct: round(100 * median(errors)),
    within5Pct: within(0.05),
    within10Pct: within(0.1),
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
