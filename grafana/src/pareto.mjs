import { column, dashboard, sql, sqlVariable, table, xychart } from './grafana.mjs';

/**
 * CTE `rated`: one point per (model, device) — every timed iteration of the model on the device in
 * the selected studies, pooled — with the top-1 that applies to the model: the latest entry for one
 * of its variants, else the latest for its name. Models with no known top-1 are left out.
 */
const RATED = `
  points AS (
    SELECT r.model_sha256, r.device_id, count(*) AS n, count(DISTINCT r.study_id) AS studies,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY l.latency_ns) / 1e6 AS median_ms
      FROM runs r
      JOIN run_latencies l ON l.run_id = r.id
     WHERE r.device_id::text IN ($device) AND r.study_id::text IN ($study)
     GROUP BY r.model_sha256, r.device_id
  ),
  acc AS (
    SELECT DISTINCT ON (m.sha256) m.sha256, a.top1, a.source
      FROM models m
      JOIN accuracies a ON a.model_name = m.name OR a.variant_id IN (SELECT v.id FROM variants v WHERE v.model_sha256 = m.sha256)
     WHERE m.sha256 IN (SELECT model_sha256 FROM points)
     ORDER BY m.sha256, a.variant_id IS NOT NULL DESC, a.created_at DESC, a.id
  ),
  rated AS (
    SELECT p.*, acc.top1, acc.source,
           NOT EXISTS (
             SELECT 1 FROM points o JOIN acc oa ON oa.sha256 = o.model_sha256
              WHERE o.device_id = p.device_id AND o.median_ms <= p.median_ms AND oa.top1 >= acc.top1
                AND (o.median_ms < p.median_ms OR oa.top1 > acc.top1)
           ) AS on_front
      FROM points p JOIN acc ON acc.sha256 = p.model_sha256
  )`;

const runsOn = `SELECT DISTINCT d.name AS __text, d.id::text AS __value FROM runs r JOIN devices d ON d.id = r.device_id ORDER BY 1`;

export default dashboard({
  uid: 'latfleet-pareto',
  title: 'latfleet / Pareto',
  tags: ['pareto'],
  description: `
    Accuracy against measured latency, per device: every model with a known top-1 (published
    figures are preloaded; add your own with POST /api/v1/accuracies), and the models no other
    model beats on both.`,
  time: { from: 'now-30d', to: 'now' },
  variables: [
    sqlVariable('device', 'Device', runsOn, { multi: true, all: true }),
    sqlVariable('study', 'Studies', `SELECT name || ' · ' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS __text, id::text AS __value FROM studies ORDER BY created_at DESC LIMIT 500`, {
      multi: true,
      all: true,
    }),
  ],
  rows: [
    [
      xychart({
        title: 'Top-1 vs median latency, per device',
        description: 'One point per model and device: median end-to-end latency (ms, timed runs) on x, ImageNet top-1 (%) on y. Up and to the left is better.',
        w: 14,
        h: 14,
        targets: [
          sql(`
            WITH ${RATED}
            SELECT d.name AS device, m.name AS model, x.median_ms AS "median ms", x.top1 AS "top-1 %"
              FROM rated x JOIN devices d ON d.id = x.device_id JOIN models m ON m.sha256 = x.model_sha256
             ORDER BY d.name, x.median_ms`),
        ],
        transformations: [{ id: 'partitionByValues', options: { fields: ['device'], keepFields: false } }],
      }),
      table({
        title: 'Pareto front',
        description: 'Per device, the models for which no other model is both at least as fast and at least as accurate (and better in one).',
        w: 10,
        h: 14,
        targets: [
          sql(`
            WITH ${RATED}
            SELECT d.name AS device, m.name AS model, x.median_ms AS "median ms", x.top1 AS "top-1 %", m.madds::float8 / 1e6 AS "MAdds M"
              FROM rated x JOIN devices d ON d.id = x.device_id JOIN models m ON m.sha256 = x.model_sha256
             WHERE x.on_front
             ORDER BY d.name, x.median_ms`),
        ],
        fields: { decimals: 2 },
        overrides: [column('MAdds M', { decimals: 1 }), column('top-1 %', { decimals: 1 })],
      }),
    ],
    [
      table({
        title: 'Every measured model',
        description: 'All models measured on the selected devices and studies, with or without a known top-1; "source" says where the top-1 comes from.',
        w: 24,
        h: 12,
        targets: [
          sql(`
            WITH ${RATED}
            SELECT d.name AS device, m.name AS model, p.median_ms AS "median ms", x.top1 AS "top-1 %",
                   CASE WHEN x.on_front THEN 'yes' WHEN x.top1 IS NULL THEN 'no top-1' ELSE '' END AS "on front",
                   m.madds::float8 / 1e6 AS "MAdds M", m.params::float8 / 1e6 AS "params M", p.n AS samples, p.studies, x.source
              FROM points p
              JOIN devices d ON d.id = p.device_id
              JOIN models m ON m.sha256 = p.model_sha256
              LEFT JOIN rated x ON x.model_sha256 = p.model_sha256 AND x.device_id = p.device_id
             ORDER BY d.name, p.median_ms`),
        ],
        fields: { decimals: 2 },
        overrides: [column('MAdds M', { decimals: 1 }), column('top-1 %', { decimals: 1 }), column('samples', { decimals: 0 }), column('studies', { decimals: 0 })],
      }),
    ],
  ],
});
