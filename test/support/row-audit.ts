import type pg from 'pg';

export interface RowAudit {
  jobs: number;
  completed: number;
  runs: number;
  latencyRows: number;
  layerRows: number;
  /** Every way the stored rows differ from "each expected row exactly once"; empty when all is well. */
  problems: string[];
}

interface RunFacts {
  id: string;
  job_id: string;
  attempt: number;
  device_id: string;
  latency_rows: number;
  layer_rows: number;
  lat: number;
  lat_min: number | null;
  lat_max: number | null;
  lat_distinct: number;
  lay: number;
  lay_distinct: number;
  lay_iters: number;
  per_iter_min: number | null;
  per_iter_max: number | null;
  granted: boolean | null;
}

/**
 * Checks a study's stored results: every job completed by exactly one run; each run holds one
 * latency row per timed run (iterations 0..n-1, as many as the protocol asks) and one layer row per (profiled iteration, node),
 * as many as its summary says; every profiled iteration has the same nodes; no row without its run;
 * and, where attempts are recorded, the run's attempt was granted to the device that uploaded it.
 */
export async function auditStudyRows(db: pg.Pool, studyId: string, opts: { requireCompleted?: boolean } = {}): Promise<RowAudit> {
  const problems: string[] = [];
  // Timed runs: exactly timedRuns, unless a duration or confidence rule may extend them (up to timedMaxRuns).
  const { rows: jobs } = await db.query<{ id: string; state: string; attempt: number; timed: number; timed_max: number; profiled: number; runs: number }>(
    `SELECT j.id, j.state, j.attempt, (j.protocol->>'timedRuns')::int AS timed,
            CASE WHEN coalesce((j.protocol->>'timedMinSeconds')::float8, 0) > 0 OR coalesce((j.protocol->>'targetCiFraction')::float8, 0) > 0
                 THEN coalesce((j.protocol->>'timedMaxRuns')::int, greatest((j.protocol->>'timedRuns')::int, 10000))
                 ELSE (j.protocol->>'timedRuns')::int END AS timed_max,
            (j.protocol->>'profiledRuns')::int AS profiled,
            (SELECT count(*)::int FROM runs r WHERE r.job_id = j.id) AS runs
       FROM jobs j WHERE j.study_id = $1`,
    [studyId],
  );
  const {
    rows: [attemptsTable],
  } = await db.query<{ present: boolean }>(`SELECT to_regclass('job_attempts') IS NOT NULL AS present`);
  const granted = attemptsTable?.present
    ? `EXISTS (SELECT 1 FROM job_attempts a WHERE a.job_id = r.job_id AND a.attempt = r.attempt AND a.device_id = r.device_id)`
    : 'NULL::boolean';
  const { rows: runs } = await db.query<RunFacts>(
    `SELECT r.id, r.job_id, r.attempt, r.device_id, r.latency_rows, r.layer_rows,
            l.n AS lat, l.lo AS lat_min, l.hi AS lat_max, l.d AS lat_distinct,
            t.n AS lay, t.d AS lay_distinct, t.iters AS lay_iters, p.lo AS per_iter_min, p.hi AS per_iter_max,
            ${granted} AS granted
       FROM runs r
       CROSS JOIN LATERAL (SELECT count(*)::int AS n, min(iteration) AS lo, max(iteration) AS hi, count(DISTINCT iteration)::int AS d
                             FROM run_latencies WHERE run_id = r.id) l
       CROSS JOIN LATERAL (SELECT count(*)::int AS n, count(DISTINCT (iteration, node_name))::int AS d, count(DISTINCT iteration)::int AS iters
                             FROM layer_timings WHERE run_id = r.id) t
       CROSS JOIN LATERAL (SELECT min(c)::int AS lo, max(c)::int AS hi
                             FROM (SELECT count(*) AS c FROM layer_timings WHERE run_id = r.id GROUP BY iteration) x) p
      WHERE r.study_id = $1`,
    [studyId],
  );
  const byJob = new Map(jobs.map((j) => [j.id, j]));
  for (const j of jobs) {
    if (opts.requireCompleted !== false && j.state !== 'completed') problems.push(`job ${j.id}: state ${j.state}, expected completed`);
    if (j.state === 'completed' && j.runs !== 1) problems.push(`job ${j.id}: completed with ${j.runs} runs, expected exactly 1`);
    if (j.state !== 'completed' && j.runs > 1) problems.push(`job ${j.id}: ${j.runs} runs`);
  }
  for (const r of runs) {
    const j = byJob.get(r.job_id);
    const tag = `run ${r.id} (job ${r.job_id} attempt ${r.attempt})`;
    if (!j) {
      problems.push(`${tag}: its job is not in the study`);
      continue;
    }
    if (r.attempt < 1 || r.attempt > j.attempt) problems.push(`${tag}: attempt outside 1..${j.attempt}`);
    if (r.granted === false) problems.push(`${tag}: attempt never granted to device ${r.device_id}`);
    if (r.lat < j.timed || r.lat > j.timed_max) {
      problems.push(`${tag}: ${r.lat} latency rows, expected ${j.timed === j.timed_max ? j.timed : `${j.timed}..${j.timed_max}`} timed runs`);
    }
    if (r.latency_rows !== r.lat) problems.push(`${tag}: summary says ${r.latency_rows} latency rows, ${r.lat} stored`);
    if (r.lat_distinct !== r.lat || r.lat_min !== 0 || r.lat_max !== r.lat - 1) {
      problems.push(`${tag}: latency iterations ${r.lat_min}..${r.lat_max} (${r.lat_distinct} distinct of ${r.lat})`);
    }
    if (r.layer_rows !== r.lay) problems.push(`${tag}: summary says ${r.layer_rows} layer rows, ${r.lay} stored`);
    if (r.lay_distinct !== r.lay) problems.push(`${tag}: ${r.lay - r.lay_distinct} duplicate layer rows`);
    if (r.lay > 0 && r.lay_iters !== j.profiled) problems.push(`${tag}: layer rows for ${r.lay_iters} iterations, expected ${j.profiled}`);
    if (r.per_iter_min !== r.per_iter_max) problems.push(`${tag}: profiled iterations hold ${r.per_iter_min}..${r.per_iter_max} nodes each`);
  }
  const {
    rows: [orphans],
  } = await db.query<{ lat: number; lay: number }>(
    `SELECT (SELECT count(*)::int FROM run_latencies l WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = l.run_id)) AS lat,
            (SELECT count(*)::int FROM layer_timings t WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = t.run_id)) AS lay`,
  );
  if (orphans!.lat || orphans!.lay) problems.push(`rows without a run: ${orphans!.lat} latencies, ${orphans!.lay} layer timings`);
  return {
    jobs: jobs.length,
    completed: jobs.filter((j) => j.state === 'completed').length,
    runs: runs.length,
    latencyRows: runs.reduce((a, r) => a + r.lat, 0),
    layerRows: runs.reduce((a, r) => a + r.lay, 0),
    problems,
  };
}
