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
 * CTEs `samples` and `cells`: every timed iteration of every run of a (variant, device), pooled,
 * and per cell the median, p90 and a distribution-free 95% confidence interval of the median (the
 * order statistics at ranks n/2 ∓ 0.98·√n, the normal approximation to the binomial). The API's
 * comparison uses a bootstrap interval; the two agree closely from a few dozen samples on.
 */
export function latencyCells(where) {
  return `
    samples AS (
      SELECT r.variant_id, r.device_id, r.id AS run_id, l.latency_ns,
             row_number() OVER (PARTITION BY r.variant_id, r.device_id ORDER BY l.latency_ns) AS k,
             count(*) OVER (PARTITION BY r.variant_id, r.device_id) AS n
        FROM runs r
        JOIN run_latencies l ON l.run_id = r.id
       WHERE ${where}
    ),
    cells AS (
      SELECT variant_id, device_id, max(n) AS n, count(DISTINCT run_id) AS runs,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ns) / 1e6 AS median_ms,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY latency_ns) / 1e6 AS p90_ms,
             max(latency_ns) FILTER (WHERE k = greatest(1, floor(n / 2.0 - 0.98 * sqrt(n))))::float8 / 1e6 AS ci_low_ms,
             max(latency_ns) FILTER (WHERE k = least(n, ceil(n / 2.0 + 1 + 0.98 * sqrt(n))))::float8 / 1e6 AS ci_high_ms
        FROM samples
       GROUP BY variant_id, device_id
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
 * Δ to the baseline cell on the same device, and whether the two 95% intervals are apart (a
 * conservative noise check; the API's verdict adds a Mann–Whitney U test).
 */
export const DELTA_COLUMNS = `
  c.median_ms - b.median_ms AS "Δ ms",
  100 * (c.median_ms / nullif(b.median_ms, 0) - 1) AS "Δ %",
  CASE WHEN c.variant_id = b.variant_id THEN 'baseline'
       WHEN b.variant_id IS NULL THEN 'no baseline result'
       WHEN c.ci_high_ms < b.ci_low_ms THEN 'faster'
       WHEN c.ci_low_ms > b.ci_high_ms THEN 'slower'
       ELSE 'within noise' END AS verdict`;

/**
 * Per variant and device of $study (on the devices in `devices`, a SQL list): the pooled latency
 * cell `c`, the baseline's cell `b` beside it (the baseline variant `bv` is the one `baseline`
 * picks), accuracy `acc`, model `m` and device `d`.
 */
export const studyCells = (select, { devices, baseline, order = 'd.name, v.position' }) => `
  WITH ${latencyCells(`r.study_id = ${STUDY} AND r.device_id::text IN (${devices})`)},
  ${variantAccuracy(`v.study_id = ${STUDY}`)}
  SELECT ${select}
    FROM cells c
    JOIN variants v ON v.id = c.variant_id
    JOIN models m ON m.sha256 = v.model_sha256
    JOIN devices d ON d.id = c.device_id
    LEFT JOIN variants bv ON bv.study_id = v.study_id AND ${baseline}
    LEFT JOIN cells b ON b.variant_id = bv.id AND b.device_id = c.device_id
    LEFT JOIN acc ON acc.variant_id = v.id
   ORDER BY ${order}`;
