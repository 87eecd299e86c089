import { barchart, column, dashboard, sql, sqlVariable, table, text } from './grafana.mjs';
import { DELTA_COLUMNS, STUDY, studyCells, studyOptions } from './sql.mjs';

/** How MobileNetV3's Table 5 names the activation placements the builder's `activation` knob makes. */
const ACTIVATION_NAME = `
  CASE m.spec ->> 'activation'
    WHEN 'paper' THEN 'as published (h-swish in later layers)'
    WHEN 'relu' THEN 'ReLU everywhere'
    WHEN 'hswish' THEN 'h-swish everywhere'
    WHEN '@16' THEN 'h-swish @16'
    WHEN '@112' THEN 'h-swish @112'
    ELSE m.spec ->> 'activation' END`;

/** One row per variant of $study on the devices in `devices`, compared with the study's own baseline. */
const ablation = (select, devices) => studyCells(select, { devices, baseline: 'bv.is_baseline' });

export default dashboard({
  uid: 'latfleet-ablations',
  title: 'latfleet / Ablations',
  tags: ['study', 'ablation'],
  description: `
    An ablation study as the paper prints it: one table per device, one row per variant, with
    top-1, MAdds and measured latency. Made for mbv3-hswish-placement (MobileNetV3 Table 5:
    where h-swish goes, and whether it runs as one fused op or decomposed); any study works.`,
  time: { from: 'now-30d', to: 'now' },
  variables: [
    sqlVariable('study', 'Study', studyOptions('mbv3-hswish-placement'), { description: 'mbv3-hswish-placement studies first, newest first' }),
    sqlVariable('device', 'Device', `SELECT DISTINCT d.name AS __text, d.id::text AS __value FROM runs r JOIN devices d ON d.id = r.device_id WHERE r.study_id = ${STUDY} ORDER BY 1`, {
      multi: true,
      all: true,
    }),
  ],
  rows: [
    [
      text({
        title: 'Reading the table',
        h: 5,
        content: `
          **activation**: where the builder puts h-swish — *as published* (MobileNetV3's own placement),
          *ReLU everywhere*, *h-swish @16* / *@112* (h-swish only in layers with at least 16 / 112
          output channels, ReLU elsewhere). **h-swish op**: *fused* (one HardSwish node) or
          *decomposed* (x·ReLU6(x+3)/6, as runtimes without a fused kernel execute it).
          **Δ** is against the study's baseline on the same device; **verdict** says whether the
          95% interval of the paired rounds' ratio excludes no change (docs/verdicts.md), with its
          **MDE** (the smallest difference it could call). top-1 comes from the accuracy registry
          (\`POST /api/v1/accuracies\`); activation changes are not free in accuracy, so record yours.
          Run it with \`latfleet study run mbv3-hswish-placement\`.`,
      }),
    ],
    [
      table({
        title: 'Latency on $device',
        w: 24,
        h: 10,
        repeat: 'device',
        targets: [
          sql(
            ablation(
              `
              ${ACTIVATION_NAME} AS activation, coalesce(m.spec ->> 'hswishImpl', 'fused') AS "h-swish op", v.label AS variant,
              acc.top1 AS "top-1 %", m.madds::float8 / 1e6 AS "MAdds M", m.params::float8 / 1e6 AS "params M",
              c.median_ms AS "median ms",
              round(c.runs_min_ms::numeric, 3) || ' – ' || round(c.runs_max_ms::numeric, 3) AS "runs' medians ms",
              ${DELTA_COLUMNS}, c.runs, c.flagged AS "runs flagged"`,
              '$device',
            ),
          ),
        ],
        fields: { decimals: 3 },
        overrides: [
          column('top-1 %', { decimals: 1 }),
          column('MAdds M', { decimals: 1 }),
          column('params M', { decimals: 2 }),
          column('Δ ms', { decimals: 3 }),
          column('Δ %', {
            decimals: 1,
            'custom.cellOptions': { type: 'color-text' },
            thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'text', value: -1 }, { color: 'red', value: 1 }] },
          }),
          column('samples', { decimals: 0 }),
        ],
      }),
    ],
    [
      barchart({
        title: 'Δ vs the baseline, per device (%)',
        w: 24,
        h: 10,
        centeredZero: true,
        targets: [sql(ablation(`v.label AS variant, d.name AS device, 100 * (c.median_ms / nullif(b.median_ms, 0) - 1) AS "Δ %"`, '$device'))],
        transformations: [{ id: 'groupingToMatrix', options: { columnField: 'device', rowField: 'variant', valueField: 'Δ %', emptyValue: 'null' } }],
        fields: { unit: 'percent', decimals: 1 },
      }),
    ],
  ],
});
