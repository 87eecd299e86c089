import type { TopLevelSpec } from 'vega-lite';
import type { Comparison } from './comparison.service.js';
import type { DeviceHistory } from './device-history.service.js';
import type { Grouping, LayerDeltas } from './layer-delta.service.js';
import type { Pareto } from './model-selection.service.js';
import type { RunLayers } from './run.service.js';

/**
 * Vega-Lite specs of a study's figures, each drawn from one service answer as it is served (the
 * comparison, the Pareto fronts, a run's layers, the layer deltas, a device's history): the rows
 * are the answer's rows, flattened; nothing is computed again. Each layer that draws data has a
 * name, so that its marks can be found (`g.<name>_marks` in the SVG) and counted.
 */

export const FIGURE_NAMES = ['latency', 'delta', 'pareto-accuracy', 'pareto-madds', 'layers', 'blocks', 'layer-delta', 'history'] as const;
export type FigureName = (typeof FIGURE_NAMES)[number];

/** The named layers of each figure: one mark per row of the answer they draw. */
export const FIGURE_MARKS = {
  latency: { median: 'latency_median', ci: 'latency_ci' },
  delta: { point: 'delta_point', ci: 'delta_ci', noise: 'delta_noise' },
  pareto: { point: 'pareto_point', front: 'pareto_front', label: 'pareto_label', predicted: 'pareto_predicted' },
  runBars: { bar: 'run_bar' },
  layerDelta: { bar: 'layer_delta_bar', ci: 'layer_delta_ci' },
  history: { point: 'history_point', ci: 'history_ci', regression: 'history_regression' },
} as const;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

const VERDICT_COLORS = { domain: ['faster', 'slower', 'within noise', 'undecided'], range: ['#2e7d32', '#c62828', '#9e9e9e', '#f9a825'] };
const verdictColor = { field: 'verdict', type: 'nominal', title: 'verdict', scale: VERDICT_COLORS } as const;

const CONFIG = { font: 'sans-serif', axis: { labelLimit: 260 }, legend: { orient: 'bottom' } } as const;

/** `paper (baseline)` for the baseline, the label otherwise: how the tables name rows. */
const rowLabel = (variant: string, baseline: boolean) => (baseline ? `${variant} (baseline)` : variant);

function base(title: string, subtitle: string, description: string): Pick<TopLevelSpec, '$schema' | 'title' | 'description' | 'config' | 'background'> {
  return { $schema: SCHEMA, title: { text: title, subtitle, anchor: 'start' }, description, background: 'white', config: CONFIG };
}

/** Median latency per variant and device with its 95% CI (the comparison's rows). */
export function latencyFigure(c: Comparison): TopLevelSpec {
  const order = c.variants.map((v) => rowLabel(v.label, v.baseline));
  const values = c.rows
    .filter((r) => r.medianMs !== null)
    .map((r) => ({
      variant: rowLabel(r.variant, r.baseline),
      device: r.device,
      medianMs: r.medianMs,
      ciLowMs: r.ciLowMs,
      ciHighMs: r.ciHighMs,
      replicates: r.replicates,
      flaggedReplicates: r.flaggedReplicates,
    }));
  const y = { field: 'variant', type: 'nominal', sort: order, title: null } as const;
  const x = { type: 'quantitative', title: 'median latency (ms), 95% CI', scale: { zero: false } } as const;
  return {
    ...base(
      `${c.study}: single-threaded latency`,
      `median of the runs' medians, 95% hierarchical bootstrap CI; ${c.includeFlagged ? 'flagged runs included' : 'flagged runs left out'}`,
      `Median latency per variant and device in study ${c.study}`,
    ),
    width: 480,
    data: { values },
    encoding: { y, yOffset: { field: 'device' }, color: { field: 'device', type: 'nominal', title: 'device' } },
    layer: [
      {
        name: FIGURE_MARKS.latency.ci,
        transform: [{ filter: 'datum.ciLowMs != null' }],
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: { x: { field: 'ciLowMs', ...x }, x2: { field: 'ciHighMs' } },
      },
      {
        name: FIGURE_MARKS.latency.median,
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          x: { field: 'medianMs', ...x },
          tooltip: [
            { field: 'variant' },
            { field: 'device' },
            { field: 'medianMs' },
            { field: 'ciLowMs' },
            { field: 'ciHighMs' },
            { field: 'replicates' },
            { field: 'flaggedReplicates' },
          ],
        },
      },
    ],
  } as TopLevelSpec;
}

/** Δ vs the baseline in % with its 95% CI, the noise band ±MDE behind it, colored by verdict (the comparison's rows). */
export function deltaFigure(c: Comparison): TopLevelSpec {
  const order = c.variants.filter((v) => !v.baseline).map((v) => v.label);
  const values = c.rows
    .filter((r) => !r.baseline && r.deltaPct !== null)
    .map((r) => ({
      variant: r.variant,
      device: r.device,
      deltaPct: r.deltaPct,
      deltaCiLowPct: r.deltaCiLowPct,
      deltaCiHighPct: r.deltaCiHighPct,
      noiseLowPct: r.mdePct === null ? null : -r.mdePct,
      noiseHighPct: r.mdePct,
      verdict: r.verdict ?? 'undecided',
      rounds: r.rounds,
    }));
  const x = { type: 'quantitative', title: `Δ vs ${c.baseline} (%), 95% CI` } as const;
  // per layer, not shared: the zero line spans the whole plot instead of one tick per variant
  const y = { y: { field: 'variant', type: 'nominal', sort: order, title: null }, yOffset: { field: 'device', sort: 'ascending' } } as const;
  return {
    ...base(
      `${c.study}: Δ vs the baseline ${c.baseline}`,
      `paired by round on each device; grey band: ±MDE, the smallest Δ the rounds could call (inside it: within noise); ${c.includeFlagged ? 'flagged runs included' : 'flagged runs left out'}`,
      `Latency difference to ${c.baseline} per variant and device in study ${c.study}`,
    ),
    width: 480,
    data: { values },
    layer: [
      {
        name: FIGURE_MARKS.delta.noise,
        transform: [{ filter: 'datum.noiseHighPct != null' }],
        mark: { type: 'bar', color: '#bdbdbd', opacity: 0.45 },
        encoding: { x: { field: 'noiseLowPct', ...x }, x2: { field: 'noiseHighPct' }, ...y },
      },
      { mark: { type: 'rule', color: '#616161', strokeDash: [4, 3] }, encoding: { x: { datum: 0, ...x } } },
      {
        name: FIGURE_MARKS.delta.ci,
        transform: [{ filter: 'datum.deltaCiLowPct != null' }],
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: { x: { field: 'deltaCiLowPct', ...x }, x2: { field: 'deltaCiHighPct' }, color: verdictColor, ...y },
      },
      {
        name: FIGURE_MARKS.delta.point,
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          ...y,
          x: { field: 'deltaPct', ...x },
          color: verdictColor,
          shape: { field: 'device', type: 'nominal', title: 'device' },
          tooltip: [
            { field: 'variant' },
            { field: 'device' },
            { field: 'deltaPct' },
            { field: 'deltaCiLowPct' },
            { field: 'deltaCiHighPct' },
            { field: 'noiseHighPct', title: 'MDE %' },
            { field: 'verdict' },
            { field: 'rounds' },
          ],
        },
      },
    ],
  } as TopLevelSpec;
}

/** A variant's latency on a device as a trained predictor gives it (POST /api/v1/predictions), never measured. */
export interface PredictedPoint {
  device: string;
  variant: string;
  medianMs: number;
  intervalLowMs: number;
  intervalHighMs: number;
  top1: number | null;
  madds: number;
}

/**
 * Latency against top-1 (or MAdds) per device, the Pareto front drawn as a line through its points
 * (MobileNetV3's latency–accuracy figures); predicted latencies, where a device has a predictor, as
 * hollow diamonds that take no part in the front.
 */
export function paretoFigure(p: Pareto, against: 'accuracy' | 'madds', predicted: readonly PredictedPoint[] = []): TopLevelSpec {
  const accuracy = against === 'accuracy';
  const predictedValues = predicted.filter((pt) => !accuracy || pt.top1 !== null).map((pt) => ({ ...pt, value: accuracy ? pt.top1 : Math.round(pt.madds / 1e5) / 10 }));
  const values = p.devices.flatMap((d) =>
    d.points
      .filter((pt) => !accuracy || pt.top1 !== null)
      .map((pt) => ({
        device: d.device.name,
        variant: pt.variant,
        medianMs: pt.medianMs,
        value: accuracy ? pt.top1 : Math.round(pt.madds / 1e5) / 10,
        front: accuracy ? pt.accuracyFront : pt.maddsFront,
      })),
  );
  const y = { field: 'value', type: 'quantitative', title: accuracy ? 'ImageNet top-1 (%)' : 'MAdds (M)', scale: { zero: false }, axis: { format: '~g' } } as const;
  const x = { field: 'medianMs', type: 'quantitative', title: 'median latency (ms)', scale: { zero: false }, axis: { format: '~g' } } as const;
  const color = { field: 'device', type: 'nominal', title: 'device' } as const;
  const rho = p.devices
    .filter((d) => d.maddsLatencyCorrelation)
    .map((d) => `${d.device.name} ρ = ${d.maddsLatencyCorrelation!.rho.toFixed(2)}`)
    .join(', ');
  return {
    ...base(
      accuracy ? `${p.study}: latency vs accuracy` : `${p.study}: latency vs MAdds`,
      accuracy
        ? `Pareto front per device (line): no other variant is both faster and more accurate; variants without a known top-1 are not drawn${predictedValues.length ? '; ◇ predicted, not measured' : ''}`
        : `Pareto front per device (line): no other variant is both faster and smaller; Spearman between MAdds and latency: ${rho || 'n/a'}${predictedValues.length ? '; ◇ predicted, not measured' : ''}`,
      `${accuracy ? 'Latency–accuracy' : 'Latency–MAdds'} Pareto fronts of study ${p.study}`,
    ),
    width: 480,
    height: 320,
    data: { values },
    encoding: { x, y, color },
    layer: [
      {
        name: FIGURE_MARKS.pareto.front,
        transform: [{ filter: 'datum.front' }],
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { order: { field: 'medianMs' } },
      },
      {
        name: FIGURE_MARKS.pareto.point,
        mark: { type: 'point', size: 70, strokeWidth: 2 },
        encoding: {
          fill: { condition: { test: 'datum.front', field: 'device', type: 'nominal' }, value: 'white' },
          tooltip: [{ field: 'variant' }, { field: 'device' }, { field: 'medianMs' }, { field: 'value', title: accuracy ? 'top-1 %' : 'MAdds M' }, { field: 'front' }],
        },
      },
      {
        name: FIGURE_MARKS.pareto.label,
        mark: { type: 'text', align: 'left', dx: 7, dy: -7, fontSize: 10 },
        encoding: { text: { field: 'variant' }, color: { value: '#424242' } },
      },
      ...(predictedValues.length
        ? [
            {
              name: FIGURE_MARKS.pareto.predicted,
              data: { values: predictedValues },
              mark: { type: 'point', shape: 'diamond', size: 80, strokeWidth: 1.5, strokeDash: [2, 2] },
              encoding: {
                tooltip: [{ field: 'variant' }, { field: 'device' }, { field: 'medianMs', title: 'predicted ms' }, { field: 'intervalLowMs' }, { field: 'intervalHighMs' }],
              },
            },
          ]
        : []),
    ],
  } as TopLevelSpec;
}

/** One run's time per logical layer or per block, each bar stacked kernel + executor overhead (the run's layer answer). */
export function runBarsFigure(l: RunLayers, by: 'layer' | 'block'): TopLevelSpec {
  type Bar = { key: string; component: string; ms: number };
  const bars = (key: string, kernelMs: number, overheadMs: number | null): Bar[] => [
    { key, component: 'kernel', ms: kernelMs },
    ...(overheadMs === null ? [] : [{ key, component: 'executor overhead', ms: overheadMs }]),
  ];
  const groups = by === 'layer' ? l.layers.map((r) => bars(r.layer, r.medianMs, r.overheadMs)) : (l.blocks ?? []).map((b) => bars(b.key, b.kernelMs, b.overheadMs));
  const session = l.session ? [bars(l.session.key, l.session.kernelMs, l.session.overheadMs)] : [];
  const values = [...groups, ...session].flat();
  const perLayer = by === 'layer';
  return {
    ...base(
      `${l.variant} on ${l.device}: time per ${by} (run ${l.runId.slice(0, 8)})`,
      `medians over the profiled runs; end-to-end median ${l.medianMs.toFixed(3)} ms (profiling off), profiled ${l.profiledMedianMs.toFixed(3)} ms; (session): time outside every node`,
      `Per-${by} kernel and executor overhead of run ${l.runId}`,
    ),
    width: { step: perLayer ? 9 : 22 },
    height: 260,
    data: { values },
    layer: [
      {
        name: FIGURE_MARKS.runBars.bar,
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'key', type: 'nominal', sort: null, title: by, axis: { labelAngle: -90, labelFontSize: perLayer ? 7 : 10 } },
          y: { field: 'ms', type: 'quantitative', stack: 'zero', title: 'median time (ms)' },
          color: { field: 'component', type: 'nominal', title: null, scale: { domain: ['kernel', 'executor overhead'], range: ['#1e88e5', '#ffb300'] } },
          order: { field: 'component', sort: 'descending' },
          tooltip: [{ field: 'key', title: by }, { field: 'component' }, { field: 'ms' }],
        },
      },
    ],
  } as TopLevelSpec;
}

/** Δ per group between two variants with its paired CI, colored by verdict (the layer-delta answer's grouping). */
export function layerDeltaFigure(d: LayerDeltas, by: Grouping): TopLevelSpec {
  const values = d.groups[by].map((g) => ({
    key: g.key,
    deltaMs: g.deltaMs,
    deltaCiLowMs: g.deltaCiLowMs,
    deltaCiHighMs: g.deltaCiHighMs,
    verdict: g.verdict,
    pAdjusted: g.pAdjusted,
  }));
  const e2e = d.endToEnd.deltaMs === null ? 'n/a' : `${d.endToEnd.deltaMs > 0 ? '+' : ''}${d.endToEnd.deltaMs.toFixed(3)} ms`;
  const y = { type: 'quantitative', title: `Δ kernel time (ms), ${d.variant.label} − ${d.baseline.label}` } as const;
  const ordered = by === 'layer' || by === 'block';
  return {
    ...base(
      `${d.study}: where the time went, ${d.variant.label} vs ${d.baseline.label} on ${d.device.name}, per ${by}`,
      `paired by round, 95% CI; verdict from Benjamini–Hochberg-adjusted p; end-to-end Δ ${e2e}`,
      `Per-${by} kernel time difference between ${d.variant.label} and ${d.baseline.label}`,
    ),
    width: { step: by === 'layer' ? 9 : 22 },
    height: 260,
    data: { values },
    encoding: {
      x: {
        field: 'key',
        type: 'nominal',
        sort: ordered ? null : { field: 'deltaMs', order: 'ascending' },
        title: by,
        axis: { labelAngle: -90, labelFontSize: by === 'layer' ? 7 : 10 },
      },
    },
    layer: [
      {
        name: FIGURE_MARKS.layerDelta.bar,
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'deltaMs', ...y },
          color: verdictColor,
          tooltip: [{ field: 'key', title: by }, { field: 'deltaMs' }, { field: 'deltaCiLowMs' }, { field: 'deltaCiHighMs' }, { field: 'pAdjusted' }, { field: 'verdict' }],
        },
      },
      {
        name: FIGURE_MARKS.layerDelta.ci,
        transform: [{ filter: 'datum.deltaCiLowMs != null' }],
        mark: { type: 'rule', color: '#212121' },
        encoding: { y: { field: 'deltaCiLowMs', ...y }, y2: { field: 'deltaCiHighMs' } },
      },
    ],
  } as TopLevelSpec;
}

/** A device's segments of one runtime/agent version pair in time order, median with CI, regressions marked (the history answer). */
export function historyFigure(h: DeviceHistory): TopLevelSpec {
  const values = h.models.flatMap((m) =>
    m.segments
      .filter((s) => s.medianMs !== null)
      .map((s, i) => ({
        model: m.model,
        segment: `${i + 1}. ort ${s.runtimeVersion} · agent ${s.agentVersion}`,
        medianMs: s.medianMs,
        ciLowMs: s.ciLowMs,
        ciHighMs: s.ciHighMs,
        runs: s.runs,
        regression: s.regression,
        deltaPct: s.vsHistory?.deltaPct ?? null,
        verdict: s.vsHistory?.verdict ?? null,
      })),
  );
  const y = { type: 'quantitative', title: 'median latency (ms), 95% CI', scale: { zero: false } } as const;
  return {
    ...base(
      `${h.device.name}: latency across runtime and agent versions`,
      'per version pair in time order; ▲ regression: slower than every earlier segment beyond the noise',
      `History of device ${h.device.name} with regressions marked`,
    ),
    width: { step: 170 },
    height: 260,
    data: { values },
    encoding: {
      x: { field: 'segment', type: 'nominal', sort: null, title: null, axis: { labelAngle: 0, labelLimit: 0 } },
      color: { field: 'model', type: 'nominal', title: 'model' },
    },
    layer: [
      {
        name: FIGURE_MARKS.history.ci,
        transform: [{ filter: 'datum.ciLowMs != null' }],
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: { y: { field: 'ciLowMs', ...y }, y2: { field: 'ciHighMs' } },
      },
      {
        name: FIGURE_MARKS.history.point,
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          y: { field: 'medianMs', ...y },
          shape: { field: 'regression', type: 'nominal', title: 'regression', scale: { domain: [false, true], range: ['circle', 'triangle-up'] } },
          tooltip: [{ field: 'model' }, { field: 'segment' }, { field: 'medianMs' }, { field: 'runs' }, { field: 'deltaPct' }, { field: 'verdict' }],
        },
      },
      {
        name: FIGURE_MARKS.history.regression,
        transform: [{ filter: 'datum.regression' }],
        mark: { type: 'text', dy: -14, fontWeight: 'bold' },
        encoding: { y: { field: 'medianMs', ...y }, text: { value: 'regression' }, color: { value: '#c62828' } },
      },
    ],
  } as TopLevelSpec;
}
