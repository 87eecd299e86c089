// SQL shared by the study dashboards. Grafana interpolates `$name` before the query reaches
// Postgres: a single-value variable as its escaped text (so it is quoted here), a multi-value one
// as a list of quoted literals (so it goes inside IN (...)).

/** `$study` as a uuid; an empty selection matches nothing instead of failing the cast. */
export const STUDY = `nullif('$study', '')::uuid`;

/** Study list for a `study` variable, newest first; `prefer` sorts studies whose name starts with it first. */
export function studyOptions(prefer) {
  const first = prefer ? `(name LIKE '${prefer}%') DESC, ` : '';
  return `
    SELECT name || ' · ' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC' AS __text, id::text AS __value
      FROM studies
     ORDER BY ${first}created_at DESC
     LIMIT 500`;
}

export const DEVICE_OPTIONS = `SELECT name AS __text, id::text AS __value FROM devices ORDER BY name`;

/**
 * CTE `cells`: per (variant, device), its clean replicates (runs not flagged): the median of the
 * runs' medians and p90s, and their range (`runs_min_ms`, `runs_max_ms`; the API's comparison
 * gives a hierarchical-bootstrap interval instead, which SQL cannot draw).
 * `n` is the timed iterations behind them, `runs` the replicates, `flagged` the runs left out.
 */
export function latencyCells(where) {
  return `
    cells AS (
      SELECT r.variant_id, r.device_id,
             sum(r.timed_runs) FILTER (WHERE NOT r.flagged) AS n,
             count(*) FILTER (WHERE NOT r.flagged) AS runs,
             count(*) FILTER (WHERE r.flagged) AS flagged,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY r.median_ns) FILTER (WHERE NOT r.flagged) / 1e6 AS median_ms,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY r.p90_ns) FILTER (WHERE NOT r.flagged) / 1e6 AS p90_ms,
             min(r.median_ns) FILTER (WHERE NOT r.flagged)::float8 / 1e6 AS runs_min_ms,
             max(r.median_ns) FILTER (WHERE NOT r.flagged)::float8 / 1e6 AS runs_max_ms
        FROM runs r
       WHERE ${where}
       GROUP BY r.variant_id, r.device_id
    )`;
}

/** t(0.975, df) for df = 1…30 (Student); beyond 30 the value for 30, slightly conservative. */
const T975 = `(ARRAY[12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                     2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042])`;

/**
 * CTE `paired`: per (variant, device), the rounds in which both it and the baseline (`baseline`
 * picks the baseline variant `bv`) have a clean run: their number `n`, the mean `m` and standard
 * deviation `s` of ln(variant median / baseline median), and the study's between-study floor `f`
 * (protocol.betweenStudyPct) — what the API's verdict is computed from
 * (services/lib/measure/replicates.ts). The API raises `f` to a device's learned component when
 * that is larger; the dashboards use the floor, so their intervals can be narrower than the API's.
 */
function pairedRounds(where, baseline) {
  // where: (table alias) => condition on the runs of that alias
  return `
    paired AS (
      SELECT c.variant_id, c.device_id, count(*) AS n, avg(ln(c.median_ns::float8 / b.median_ns)) AS m, stddev_samp(ln(c.median_ns::float8 / b.median_ns)) AS s,
             max(coalesce((st.spec->'protocol'->>'betweenStudyPct')::float8, 0.3)) / 100 AS f
        FROM runs c
        JOIN variants cv ON cv.id = c.variant_id
        JOIN studies st ON st.id = cv.study_id
        JOIN variants bv ON bv.study_id = cv.study_id AND ${baseline}
        JOIN runs b ON b.variant_id = bv.id AND b.device_id = c.device_id AND b.round = c.round AND NOT b.flagged
       WHERE ${where('c')} AND NOT c.flagged AND c.round IS NOT NULL AND c.median_ns > 0 AND b.median_ns > 0
       GROUP BY c.variant_id, c.device_id
    )`;
}

/**
 * CTE `acc`: the top-1 that applies to each variant of `variantWhere` — its own latest entry in the
 * accuracy registry, else the latest for its model's name (as the query service's comparison does).
 */
export function variantAccuracy(variantWhere) {
  return `
    acc AS (
      SELECT DISTINCT ON (v.id) v.id AS variant_id, a.top1, a.source
        FROM variants v
        JOIN models m ON m.sha256 = v.model_sha256
        JOIN accuracies a ON a.variant_id = v.id OR a.model_name = m.name
       WHERE ${variantWhere}
       ORDER BY v.id, a.variant_id IS NOT NULL DESC, a.created_at DESC, a.id
    )`;
}

/**
 * Δ to the baseline cell on the same device as the API computes it — the geometric mean of the
 * paired rounds' ratios (× the baseline's median for ms); without paired rounds, the ratio of the
 * medians — and the verdict: a 95% t interval of the log ratios, widened by the between-study floor,
 * that excludes 0; fewer than 3 rounds: undecided.
 */
export const DELTA_COLUMNS = `
  b.median_ms * (coalesce(exp(p.m), c.median_ms / nullif(b.median_ms, 0)) - 1) AS "Δ ms",
  100 * (coalesce(exp(p.m), c.median_ms / nullif(b.median_ms, 0)) - 1) AS "Δ %",
  CASE WHEN c.variant_id = b.variant_id THEN 'baseline'
       WHEN b.variant_id IS NULL THEN 'no baseline result'
       WHEN coalesce(p.n, 0) < 3 THEN 'undecided (' || coalesce(p.n, 0) || ' rounds)'
       WHEN abs(p.m) > ${T975}[least(p.n - 1, 30)] * sqrt(p.s ^ 2 / p.n + p.f ^ 2) THEN CASE WHEN p.m > 0 THEN 'slower' ELSE 'faster' END
       ELSE 'within noise' END AS verdict,
  round((100 * (exp(${T975}[least(greatest(p.n, 2) - 1, 30)] * sqrt(p.s ^ 2 / p.n + p.f ^ 2)) - 1))::numeric, 2) AS "MDE ±%"`;

/**
 * Per variant and device of $study (on the devices in `devices`, a SQL list): the pooled latency
 * cell `c`, the baseline's cell `b` beside it (the baseline variant `bv` is the one `baseline`
 * picks), accuracy `acc`, model `m` and device `d`.
 */
const runsOf = (devices) => (t) => `${t}.study_id = ${STUDY} AND ${t}.device_id::text IN (${devices})`;

export const studyCells = (select, { devices, baseline, order = 'd.name, v.position' }) => `
  WITH ${latencyCells(runsOf(devices)('r'))},
  ${pairedRounds(runsOf(devices), baseline)},
  ${variantAccuracy(`v.study_id = ${STUDY}`)}
  SELECT ${select}
    FROM cells c
    JOIN variants v ON v.id = c.variant_id
    JOIN models m ON m.sha256 = v.model_sha256
    JOIN devices d ON d.id = c.device_id
    LEFT JOIN variants bv ON bv.study_id = v.study_id AND ${baseline}
    LEFT JOIN cells b ON b.variant_id = bv.id AND b.device_id = c.device_id
    LEFT JOIN paired p ON p.variant_id = c.variant_id AND p.device_id = c.device_id
    LEFT JOIN acc ON acc.variant_id = v.id
   ORDER BY ${order}`;
