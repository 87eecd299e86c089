import { barchart, column, dashboard, sql, sqlVariable, stat, table } from './grafana.mjs';
import { STUDY, studyOptions } from './sql.mjs';

const RUN = `nullif('$run', '')::uuid`;
const DEVICE = `nullif('$device', '')::uuid`;

/**
 * CTE `meta`: the builder's logical layers of each run in `runs` (a CTE or table with `run_id`,
 * `model_sha256`, `side`), in network order. Node timings are attributed to these names at ingest;
 * '' is what could not be attributed.
 */
const layerMeta = (runs) => `
  meta AS (
    SELECT p.side, e.layer ->> 'name' AS name, e.layer ->> 'block' AS block, e.layer ->> 'role' AS role,
           e.layer ->> 'op' AS op, e.layer ->> 'activation' AS activation, (e.layer ->> 'kernel')::int AS kernel,
           (e.layer ->> 'madds')::float8 AS madds, (e.layer ->> 'params')::float8 AS params, e.ord
      FROM ${runs} p
      JOIN models m ON m.sha256 = p.model_sha256
     CROSS JOIN LATERAL jsonb_array_elements(m.layers) WITH ORDINALITY AS e(layer, ord)
  )`;

/** The selected run as the one-row `picked` set. */
const THIS_RUN = `picked AS (SELECT 'A' AS side, r.id AS run_id, r.model_sha256 FROM runs r WHERE r.id = ${RUN})`;

/** The latest run of $variant (side A) and of $compare (side B) on $device. */
const TWO_RUNS = `
  picked AS (
    SELECT DISTINCT ON (side) side, run_id, model_sha256 FROM (
      SELECT 'A' AS side, r.id AS run_id, r.model_sha256, r.started_at
        FROM runs r JOIN variants v ON v.id = r.variant_id
       WHERE r.study_id = ${STUDY} AND r.device_id = ${DEVICE} AND v.label = '$variant'
      UNION ALL
      SELECT 'B', r.id, r.model_sha256, r.started_at
        FROM runs r JOIN variants v ON v.id = r.variant_id
       WHERE r.study_id = ${STUDY} AND r.device_id = ${DEVICE} AND v.label = '$compare'
    ) x
    ORDER BY side, started_at DESC
  )`;

/**
 * Median over profiled iterations of the time spent in each `group` (an expression over `meta`
 * and `t`, the node timings), per side: the sum of a group's nodes in one iteration, then the
 * median over iterations, as the query service's per-layer breakdown does.
 */
const groupMedians = (group) => `
  per_iteration AS (
    SELECT p.side, ${group} AS grp, t.iteration, sum(t.duration_ns) AS ns
      FROM picked p
      JOIN layer_timings t ON t.run_id = p.run_id
      LEFT JOIN meta ON meta.side = p.side AND meta.name = t.layer
     GROUP BY 1, 2, 3
  ),
  medians AS (
    SELECT side, grp, percentile_cont(0.5) WITHIN GROUP (ORDER BY ns) AS ns FROM per_iteration GROUP BY side, grp
  )`;

const BLOCK = `coalesce(meta.block, '(unattributed)')`;
const LAYER = `coalesce(nullif(t.layer, ''), '(unattributed)')`;
/** Network order of a group: its first layer; unattributed last. */
const orderOf = (group) => `order_of AS (SELECT ${group.replace('meta.', '')} AS grp, min(ord) AS ord FROM meta GROUP BY 1)`;

const hide = { 'custom.hideFrom': { legend: true, tooltip: true, viz: true } };

export default dashboard({
  uid: 'latfleet-layers',
  title: 'latfleet / Layers',
  tags: ['study', 'layers'],
  description: `
    Where the time goes inside one run: per logical layer (the builder's blocks.N.expand, ...),
    per block and per role, from the profiled runs; and the per-block and per-layer difference
    between the latest runs of two variants on one device.`,
  time: { from: 'now-30d', to: 'now' },
  variables: [
    sqlVariable('study', 'Study', studyOptions()),
    sqlVariable('device', 'Device', `SELECT DISTINCT d.name AS __text, d.id::text AS __value FROM runs r JOIN devices d ON d.id = r.device_id WHERE r.study_id = ${STUDY} ORDER BY 1`),
    sqlVariable(
      'variant',
      'Variant (A)',
      `SELECT v.label AS __text, v.label AS __value FROM variants v
        WHERE v.study_id = ${STUDY} AND EXISTS (SELECT 1 FROM runs r WHERE r.variant_id = v.id AND r.device_id = ${DEVICE})
        ORDER BY v.is_baseline, v.position`,
    ),
    sqlVariable(
      'run',
      'Run of A',
      `SELECT to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC · ' || round(r.median_ns / 1e6, 3) || ' ms' AS __text, r.id::text AS __value
         FROM runs r JOIN variants v ON v.id = r.variant_id
        WHERE r.study_id = ${STUDY} AND r.device_id = ${DEVICE} AND v.label = '$variant'
        ORDER BY r.started_at DESC`,
    ),
    sqlVariable(
      'compare',
      'Compare with (B)',
      `SELECT v.label AS __text, v.label AS __value FROM variants v
        WHERE v.study_id = ${STUDY} AND EXISTS (SELECT 1 FROM runs r WHERE r.variant_id = v.id AND r.device_id = ${DEVICE})
        ORDER BY v.is_baseline DESC, v.position`,
      { description: "Latest run of this variant on the device; first is the study's baseline" },
    ),
  ],
  rows: [
    [
      stat({
        title: 'Run of $variant',
        description: `
          median (timed): end-to-end, profiling off — the latency to quote. median (profiled): the
          same model with per-node profiling on. Σ layer medians: sum of the per-layer medians
          below. Unattributed: runtime nodes no builder layer claims (layout reorders, ...).`,
        w: 24,
        h: 4,
        targets: [
          sql(`
            WITH per_iteration AS (
              SELECT layer, iteration, sum(duration_ns) AS ns FROM layer_timings WHERE run_id = ${RUN} GROUP BY layer, iteration
            ),
            medians AS (
              SELECT layer, percentile_cont(0.5) WITHIN GROUP (ORDER BY ns) AS ns FROM per_iteration GROUP BY layer
            )
            SELECT r.median_ns::float8 / 1e6 AS "median (timed)",
                   r.profiled_median_ns::float8 / 1e6 AS "median (profiled)",
                   (SELECT sum(ns) FROM medians) / 1e6 AS "Σ layer medians",
                   100 * (r.profiled_median_ns::float8 / nullif(r.median_ns, 0) - 1) AS "profiling overhead",
                   100 * coalesce((SELECT sum(ns) FROM medians WHERE layer = ''), 0) / nullif((SELECT sum(ns) FROM medians), 0) AS "unattributed"
              FROM runs r
             WHERE r.id = ${RUN}`),
        ],
        fields: { unit: 'ms', decimals: 3, color: { mode: 'fixed', fixedColor: 'text' } },
        overrides: [column('profiling overhead', { unit: 'percent', decimals: 1 }), column('unattributed', { unit: 'percent', decimals: 1 })],
        textMode: 'value_and_name',
      }),
    ],
    [
      barchart({
        title: 'Per block, by role (ms)',
        description: 'Median over profiled iterations of the time in each block, stacked by the role of its layers (expand, depthwise, se, project, ...).',
        w: 12,
        h: 14,
        stacking: 'normal',
        targets: [
          sql(`
            WITH ${THIS_RUN}, ${layerMeta('picked')},
            ${groupMedians(`${BLOCK} || '|' || coalesce(meta.role, '(unattributed)')`)},
            ${orderOf(BLOCK)}
            SELECT split_part(m.grp, '|', 1) AS block, split_part(m.grp, '|', 2) AS role, m.ns / 1e6 AS ms
              FROM medians m LEFT JOIN order_of o ON o.grp = split_part(m.grp, '|', 1)
             ORDER BY o.ord NULLS LAST, role`),
        ],
        transformations: [{ id: 'groupingToMatrix', options: { columnField: 'role', rowField: 'block', valueField: 'ms', emptyValue: 'zero' } }],
        fields: { unit: 'ms', decimals: 3, min: 0 },
      }),
      barchart({
        title: 'By role and operator (ms)',
        description: 'Median per iteration of the time in all layers of one role, e.g. every depthwise convolution of the network together.',
        w: 12,
        h: 14,
        legend: false,
        targets: [
          sql(`
            WITH ${THIS_RUN}, ${layerMeta('picked')},
            ${groupMedians(`coalesce(meta.role || ' (' || meta.op || ')', '(unattributed)')`)}
            SELECT grp AS "role (op)", ns / 1e6 AS ms FROM medians ORDER BY ns DESC`),
        ],
        fields: { unit: 'ms', decimals: 3, min: 0 },
      }),
    ],
    [
      table({
        title: 'Per layer',
        description: `
          One row per builder layer, in network order. median: over profiled iterations of the
          summed kernel time of the layer's runtime nodes. GMAdd/s: the layer's MAdds over its
          time — how well the hardware runs this kind of layer.`,
        w: 24,
        h: 16,
        targets: [
          sql(`
            WITH ${THIS_RUN}, ${layerMeta('picked')},
            ${groupMedians(LAYER)},
            ops AS (
              SELECT coalesce(nullif(layer, ''), '(unattributed)') AS grp, string_agg(DISTINCT op_type, ', ') AS ops, count(DISTINCT node_name) AS nodes
                FROM layer_timings WHERE run_id = ${RUN} GROUP BY 1
            )
            SELECT m.grp AS layer, meta.block, meta.role, meta.op, meta.activation, meta.kernel,
                   meta.madds / 1e6 AS "MAdds M", meta.params / 1e3 AS "params K",
                   m.ns / 1e3 AS "median µs", 100 * m.ns / sum(m.ns) OVER () AS "share %",
                   meta.madds / nullif(m.ns, 0) AS "GMAdd/s",
                   ops.ops AS "runtime ops", ops.nodes
              FROM medians m
              LEFT JOIN meta ON meta.name = m.grp
              LEFT JOIN ops ON ops.grp = m.grp
             ORDER BY meta.ord NULLS LAST`),
        ],
        fields: { decimals: 2 },
        overrides: [
          column('share %', { 'custom.cellOptions': { type: 'gauge', mode: 'basic', valueDisplayMode: 'text' }, max: 100, min: 0, decimals: 1 }),
          column('nodes', { decimals: 0 }),
          column('kernel', { decimals: 0 }),
        ],
      }),
    ],
    [
      barchart({
        title: 'Per block: A = $variant vs B = $compare (ms)',
        description: 'Latest run of each variant on the device; median per block over profiled iterations.',
        w: 12,
        h: 14,
        targets: [
          sql(`
            WITH ${TWO_RUNS}, ${layerMeta('picked')},
            ${groupMedians(BLOCK)},
            ${orderOf(BLOCK)},
            sides AS (
              SELECT coalesce(a.grp, b.grp) AS block, a.ns AS a_ns, b.ns AS b_ns
                FROM (SELECT * FROM medians WHERE side = 'A') a
                FULL JOIN (SELECT * FROM medians WHERE side = 'B') b ON b.grp = a.grp
            )
            SELECT s.block, s.a_ns / 1e6 AS "A ms", s.b_ns / 1e6 AS "B ms", (coalesce(s.a_ns, 0) - coalesce(s.b_ns, 0)) / 1e6 AS "Δ ms"
              FROM sides s LEFT JOIN order_of o ON o.grp = s.block
             ORDER BY o.ord NULLS LAST`),
        ],
        fields: { unit: 'ms', decimals: 3 },
        overrides: [column('Δ ms', hide)],
      }),
      table({
        title: 'Per layer: A − B',
        description: "Per-layer medians of the two runs and their difference; the activation columns show what each variant's builder put there.",
        w: 12,
        h: 14,
        targets: [
          sql(`
            WITH ${TWO_RUNS}, ${layerMeta('picked')},
            ${groupMedians(LAYER)},
            sides AS (
              SELECT coalesce(a.grp, b.grp) AS layer, a.ns AS a_ns, b.ns AS b_ns
                FROM (SELECT * FROM medians WHERE side = 'A') a
                FULL JOIN (SELECT * FROM medians WHERE side = 'B') b ON b.grp = a.grp
            )
            SELECT s.layer, coalesce(ma.block, mb.block) AS block, ma.activation AS "A act", mb.activation AS "B act",
                   s.a_ns / 1e3 AS "A µs", s.b_ns / 1e3 AS "B µs", (coalesce(s.a_ns, 0) - coalesce(s.b_ns, 0)) / 1e3 AS "Δ µs"
              FROM sides s
              LEFT JOIN meta ma ON ma.side = 'A' AND ma.name = s.layer
              LEFT JOIN meta mb ON mb.side = 'B' AND mb.name = s.layer
             ORDER BY coalesce(ma.ord, mb.ord) NULLS LAST`),
        ],
        fields: { decimals: 1 },
        overrides: [
          column('Δ µs', {
            'custom.cellOptions': { type: 'color-text' },
            thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'text', value: -0.5 }, { color: 'red', value: 0.5 }] },
          }),
        ],
      }),
    ],
  ],
});
