import { barchart, column, dashboard, sql, sqlVariable, table, xychart } from './grafana.mjs';
import { DELTA_COLUMNS, DEVICE_OPTIONS, STUDY, studyCells, studyOptions } from './sql.mjs';

/** Per variant and device of $study: the pooled latency cell, the $baseline cell beside it, accuracy and model. */
const comparison = (select, order) => studyCells(select, { devices: '$device', baseline: "bv.label = '$baseline'", order });

const pivot = (valueField) => [{ id: 'groupingToMatrix', options: { columnField: 'device', rowField: 'variant', valueField, emptyValue: 'null' } }];

const verdictColors = {
  type: 'value',
  options: {
    faster: { color: 'green', index: 0 },
    slower: { color: 'red', index: 1 },
    'within noise': { color: 'text', index: 2 },
    baseline: { color: 'blue', index: 3 },
  },
};

export default dashboard({
  uid: 'latfleet-study',
  title: 'latfleet / Study',
  tags: ['study'],
  description: `
    One study: end-to-end latency per variant and device (timed runs, profiling off) over its
    replicates (runs), the difference to a baseline of your choice with its verdict, and MAdds.`,
  time: { from: 'now-30d', to: 'now' },
  variables: [
    sqlVariable('study', 'Study', studyOptions()),
    sqlVariable('device', 'Device', DEVICE_OPTIONS, { multi: true, all: true }),
    sqlVariable('baseline', 'Baseline', `SELECT label AS __text, label AS __value FROM variants WHERE study_id = ${STUDY} ORDER BY is_baseline DESC, position`, {
      description: "The variant the Δ columns compare with; first is the study's own baseline",
    }),
  ],
  rows: [
    [
      table({
        title: 'Study',
        w: 24,
        h: 4,
        targets: [
          sql(`
            SELECT s.name AS study, s.status, s.baseline_label AS "study baseline",
                   (SELECT count(*) FROM variants v WHERE v.study_id = s.id) AS variants,
                   count(j.id) FILTER (WHERE j.state = 'completed') AS "jobs done",
                   count(j.id) AS jobs,
                   count(j.id) FILTER (WHERE j.state = 'failed') AS "jobs failed",
                   (SELECT count(*) FROM runs r WHERE r.study_id = s.id AND r.flagged) AS "runs flagged",
                   s.created_at AS created, s.finished_at AS finished,
                   s.spec -> 'protocol' AS protocol
              FROM studies s
              LEFT JOIN jobs j ON j.study_id = s.id
             WHERE s.id = ${STUDY}
             GROUP BY s.id`),
        ],
        overrides: [
          column('status', { 'custom.cellOptions': { type: 'color-text' }, mappings: [{ type: 'value', options: { completed: { color: 'green', index: 0 }, failed: { color: 'red', index: 1 }, running: { color: 'blue', index: 2 } } }] }),
          column('runs flagged', { 'custom.cellOptions': { type: 'color-text' }, thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'orange', value: 1 }] } }),
        ],
      }),
    ],
    [
      table({
        title: 'Latency per variant over its replicates, Δ vs $baseline',
        description: `
          Timed runs only (profiling off). Each run (a fresh session, in one round of the study) is
          a replicate: median ms is the median of the clean runs' medians, "runs min/max" their
          range; flagged runs are left out and counted. Verdict: a 95% t interval of the per-round
          log ratio to the baseline (both measured in the same round, interleaved) excludes 0, as
          the API decides (docs/verdicts.md); fewer than 3 paired rounds: undecided. MDE: the
          interval's half-width. top-1: the accuracy registry (variant, else model).`,
        w: 24,
        h: 10,
        targets: [
          sql(
            comparison(`
              v.label AS variant, d.name AS device, c.median_ms AS "median ms", c.runs_min_ms AS "runs min ms", c.runs_max_ms AS "runs max ms",
              c.p90_ms AS "p90 ms", ${DELTA_COLUMNS},
              m.madds::float8 / 1e6 AS "MAdds M", m.params::float8 / 1e6 AS "params M", acc.top1 AS "top-1 %", c.n AS samples, c.runs, c.flagged AS "runs flagged"`),
          ),
        ],
        fields: { decimals: 3 },
        overrides: [
          column('Δ %', { decimals: 1, 'custom.cellOptions': { type: 'color-text' }, thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'text', value: -1 }, { color: 'red', value: 1 }] } }),
          column('verdict', { 'custom.cellOptions': { type: 'color-text' }, mappings: [verdictColors] }),
          column('MAdds M', { decimals: 1 }),
          column('params M', { decimals: 2 }),
          column('top-1 %', { decimals: 1 }),
          column('samples', { decimals: 0 }),
          column('runs', { decimals: 0 }),
        ],
      }),
    ],
    [
      barchart({
        title: 'Median latency per variant (ms)',
        w: 12,
        h: 10,
        targets: [sql(comparison(`v.label AS variant, d.name AS device, c.median_ms AS "median ms"`))],
        transformations: pivot('median ms'),
        fields: { unit: 'ms', decimals: 2, min: 0 },
      }),
      barchart({
        title: 'Δ vs $baseline (%)',
        w: 12,
        h: 10,
        centeredZero: true,
        targets: [sql(comparison(`v.label AS variant, d.name AS device, 100 * (c.median_ms / nullif(b.median_ms, 0) - 1) AS "Δ %"`))],
        transformations: pivot('Δ %'),
        fields: {
          unit: 'percent',
          decimals: 1,
          color: { mode: 'thresholds' },
          thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: 0 }] },
        },
      }),
    ],
    [
      xychart({
        title: 'MAdds vs measured latency',
        description: 'One point per variant and device: MAdds (millions) on x, median latency (ms) on y. Variants with equal MAdds and different latency are what MAdds does not tell.',
        w: 12,
        h: 10,
        targets: [sql(comparison(`d.name AS device, v.label AS variant, m.madds::float8 / 1e6 AS "MAdds M", c.median_ms AS "median ms"`))],
        transformations: [{ id: 'partitionByValues', options: { fields: ['device'], keepFields: false } }],
      }),
      table({
        title: 'Runs',
        description: `
          Every stored run of the study on the selected devices, with the environment it recorded.
          flagged: the core was throttled or busy and stayed so through the agent's retries (the
          quality column says why); such a run is kept, but its numbers deserve suspicion. Click a
          run for its per-layer breakdown.`,
        w: 12,
        h: 10,
        targets: [
          sql(`
            SELECT r.id::text AS run, v.label AS variant, d.name AS device, r.started_at AS started,
                   r.median_ns::float8 / 1e6 AS "median ms", r.p90_ns::float8 / 1e6 AS "p90 ms", r.timed_runs AS "timed runs",
                   r.profiled_median_ns::float8 / 1e6 AS "profiled median ms",
                   100 * (r.profiled_median_ns::float8 / nullif(r.median_ns, 0) - 1) AS "profiling overhead %",
                   r.environment ->> 'governor' AS governor,
                   (r.environment ->> 'curFreqKhz')::float8 / 1e3 AS "MHz",
                   (r.environment ->> 'temperatureC')::float8 AS "°C",
                   (r.environment ->> 'loadAverage_1m')::float8 AS "load 1m",
                   r.environment ->> 'runtimeVersion' AS runtime,
                   r.flagged,
                   array_to_string(ARRAY(SELECT jsonb_array_elements_text(r.report -> 'quality' -> 'reasons')), '; ') AS quality,
                   r.device_id::text AS device_id
              FROM runs r
              JOIN variants v ON v.id = r.variant_id
              JOIN devices d ON d.id = r.device_id
             WHERE r.study_id = ${STUDY} AND r.device_id::text IN ($device)
             ORDER BY r.started_at DESC`),
        ],
        fields: { decimals: 3 },
        overrides: [
          column('run', {
            links: [
              {
                title: 'Per-layer breakdown of this run',
                url: '/d/latfleet-layers/latfleet-layers?var-study=${study}&var-device=${__data.fields.device_id}&var-variant=${__data.fields.variant}&var-run=${__value.raw}',
              },
            ],
          }),
          column('profiling overhead %', { decimals: 1 }),
          column('flagged', { 'custom.cellOptions': { type: 'color-text' }, mappings: [{ type: 'value', options: { true: { color: 'orange', index: 0, text: 'flagged' }, false: { color: 'green', index: 1, text: 'ok' } } }] }),
          column('device_id', { 'custom.hideFrom': { legend: true, tooltip: true, viz: true } }),
        ],
      }),
    ],
  ],
});
