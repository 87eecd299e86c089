import { betweenStudyVariance, MIN_ROUNDS, pairByRound, pairedLogRatio, reproducibility, type Reproducibility, type StudyEstimate } from '../measure/replicates.js';

type Queryable = { query(sql: string, params?: unknown[]): Promise<unknown> };

/** The newest clean paired runs a device's estimate reads at most. */
const RECENT_RUNS = 20_000;

interface RunRow {
  deviceId: string;
  studyId: string;
  round: number;
  sha: string;
  baseline: boolean;
  medianNs: string;
}

/**
 * Every study's paired estimate on a device, per comparison that studies can share: the baseline's
 * model against a candidate's model (by sha256, so that the same pair in two studies is one
 * comparison). Each estimate is the mean log ratio of its clean rounds and its standard error;
 * studies with fewer than MIN_ROUNDS paired rounds of a pair give none.
 */
export function studyEstimates(rows: readonly RunRow[]): Map<string, StudyEstimate[]> {
  const byStudy = new Map<string, RunRow[]>();
  for (const r of rows) {
    const key = `${r.deviceId}\u0000${r.studyId}`;
    byStudy.set(key, [...(byStudy.get(key) ?? []), r]);
  }
  const out = new Map<string, StudyEstimate[]>();
  for (const runs of byStudy.values()) {
    const base = runs.filter((r) => r.baseline);
    const baseShas = new Set(base.map((r) => r.sha));
    if (baseShas.size !== 1) continue;
    const baseSha = [...baseShas][0]!;
    const values = (xs: RunRow[]) => xs.map((r) => ({ round: r.round, value: Number(r.medianNs) }));
    const cands = new Map<string, RunRow[]>();
    for (const r of runs) if (!r.baseline && r.sha !== baseSha) cands.set(r.sha, [...(cands.get(r.sha) ?? []), r]);
    for (const [sha, cand] of cands) {
      const { rounds, logRatio, se } = pairedLogRatio(pairByRound({ base: values(base), cand: values(cand) }));
      if (rounds < MIN_ROUNDS) continue;
      const device = runs[0]!.deviceId;
      out.set(device, [...(out.get(device) ?? []), { comparison: `${baseSha}>${sha}`, logRatio, se }]);
    }
  }
  return out;
}

/**
 * Per device: the between-study component its comparisons carry — the protocol's floor, or the
 * component learned from the comparisons the device measured in more than one study (its clean,
 * paired runs), when that is larger and rests on enough repeats.
 */
export async function deviceReproducibility(q: Queryable, deviceIds: readonly string[], floorPct: number, relativePct = 0): Promise<Map<string, Reproducibility>> {
  const rows = deviceIds.length
    ? ((await q.query(
        `SELECT r.device_id AS "deviceId", r.study_id AS "studyId", r.round, r.model_sha256 AS sha, v.is_baseline AS baseline, r.median_ns AS "medianNs"
           FROM runs r JOIN variants v ON v.id = r.variant_id
          WHERE r.device_id = ANY($1::uuid[]) AND r.round IS NOT NULL AND NOT r.flagged AND r.median_ns > 0
          ORDER BY r.created_at DESC LIMIT ${RECENT_RUNS}`,
        [deviceIds],
      )) as RunRow[])
    : [];
  const estimates = studyEstimates(rows);
  return new Map(deviceIds.map((id) => [id, reproducibility(floorPct, betweenStudyVariance(estimates.get(id) ?? [], relativePct / 100), relativePct)]));
}
