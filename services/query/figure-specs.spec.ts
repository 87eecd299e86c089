import { describe, expect, it } from 'vitest';
import { comparisonHeader } from '../../test/support/comparison-header.factory.js';
import { svgMarks } from '../../test/support/svg-marks.js';
import type { Comparison, ComparisonRow } from './comparison.service.js';
import { deltaFigure, FIGURE_MARKS, latencyFigure, paretoFigure } from './figure-specs.js';
import { renderSvg } from './figure.renderer.js';
import { NO_DELTA } from './latency-statistics.js';
import { paretoOf } from './model-selection.service.js';

const DEVICES = [
  { id: 'd1', name: 'vm-cpu', deviceClass: 'cpu' },
  { id: 'd2', name: 'pixel', deviceClass: 'android' },
];
const row = (variant: string, device: number, medianMs: number | null, extra: Partial<ComparisonRow> = {}): ComparisonRow => ({
  variant,
  variantId: variant,
  baseline: variant === 'paper',
  model: `m-${variant}`,
  device: DEVICES[device]!.name,
  deviceId: DEVICES[device]!.id,
  medianMs,
  p90Ms: medianMs,
  ciLowMs: medianMs && medianMs - 0.1,
  ciHighMs: medianMs && medianMs + 0.1,
  samples: 300,
  replicates: 3,
  flaggedReplicates: 0,
  flags: [],
  ...NO_DELTA,
  madds: 200e6,
  params: 5e6,
  top1: null,
  top1Source: null,
  runIds: ['r'],
  flaggedRunIds: [],
  resources: null,
  ...extra,
});
const delta = (deltaPct: number, mdePct: number | null, verdict: ComparisonRow['verdict']) => ({
  deltaPct,
  deltaMs: deltaPct / 25,
  deltaCiLowPct: mdePct === null ? null : deltaPct - mdePct,
  deltaCiHighPct: mdePct === null ? null : deltaPct + mdePct,
  mdePct,
  verdict,
  rounds: 3,
});
const VARIANTS = ['relu', 'paper', '<b>h&swish</b>', 'gelu'];
const COMPARISON = {
  ...comparisonHeader(),
  devices: DEVICES,
  variants: VARIANTS.map((v) => ({ id: v, label: v, baseline: v === 'paper', model: `m-${v}`, madds: 200e6, params: 5e6, top1: null, top1Source: null })),
  rows: [
    row('relu', 0, 4.0, { ...delta(-7, 0.9, 'faster'), madds: 210e6 }),
    row('paper', 0, 4.3, { deltaPct: 0, deltaMs: 0, top1: 75.2, madds: 216e6 }),
    row('<b>h&swish</b>', 0, 4.6, { ...delta(7, 0.5, 'slower'), top1: 76.0, madds: 220e6 }),
    row('gelu', 0, null, { verdict: 'undecided', verdictReason: 'no clean replicate: 3 flagged', flaggedReplicates: 3 }),
    row('paper', 1, 20.1, { deltaPct: 0, deltaMs: 0, top1: 75.2, ciLowMs: null, ciHighMs: null }),
    row('relu', 1, 20.3, { ...delta(0.8, null, 'undecided'), verdictReason: '2 paired rounds: a verdict needs at least 3' }),
  ],
} as Comparison;

describe(latencyFigure.name, () => {
  it('draws one point per measured cell and an interval where it has one; a cell without a clean run is not drawn', async () => {
    const svg = await renderSvg(latencyFigure(COMPARISON));
    expect(svgMarks(svg, FIGURE_MARKS.latency.median)).toBe(5);
    expect(svgMarks(svg, FIGURE_MARKS.latency.ci)).toBe(4);
  });

  it('writes labels as text, never as markup', async () => {
    const svg = await renderSvg(latencyFigure(COMPARISON));
    expect(svg).toContain('&lt;b&gt;h&amp;swish&lt;/b&gt;');
    expect(svg).not.toContain('<b>');
  });

  it('names the baseline as the tables do and keeps the study’s order of variants', () => {
    const spec = latencyFigure(COMPARISON) as { encoding: { y: { sort: string[] } } };
    expect(spec.encoding.y.sort).toEqual(['relu', 'paper (baseline)', '<b>h&swish</b>', 'gelu']);
  });
});

describe(deltaFigure.name, () => {
  it('draws each non-baseline Δ with its interval over the noise band ±MDE; undecided cells without a band draw only the point', async () => {
    const svg = await renderSvg(deltaFigure(COMPARISON));
    expect(svgMarks(svg, FIGURE_MARKS.delta.point)).toBe(3);
    expect(svgMarks(svg, FIGURE_MARKS.delta.ci)).toBe(2);
    expect(svgMarks(svg, FIGURE_MARKS.delta.noise)).toBe(2);
  });

  it('puts the band at ±mdePct around zero and colors a verdict the same in every figure', () => {
    const spec = deltaFigure(COMPARISON) as { data: { values: Array<Record<string, unknown>> }; layer: Array<{ encoding: { color?: { scale: { domain: string[] } } } }> };
    expect(spec.data.values.find((v) => v['variant'] === 'relu' && v['device'] === 'vm-cpu')).toMatchObject({ noiseLowPct: -0.9, noiseHighPct: 0.9, deltaPct: -7 });
    expect(spec.layer.flatMap((l) => (l.encoding.color ? [l.encoding.color.scale.domain] : []))).toEqual([
      ['faster', 'slower', 'within noise', 'undecided'],
      ['faster', 'slower', 'within noise', 'undecided'],
    ]);
  });
});

describe(paretoFigure.name, () => {
  it('draws the variants with a known top-1 and a front line through those no other beats on both', async () => {
    const p = paretoOf(COMPARISON);
    const spec = paretoFigure(p, 'accuracy') as { data: { values: Array<{ variant: string; device: string; front: boolean }> } };
    expect(spec.data.values.map((v) => [v.device, v.variant, v.front])).toEqual([
      ['vm-cpu', 'paper', true],
      ['vm-cpu', '<b>h&swish</b>', true],
      ['pixel', 'paper', true],
    ]);
    const svg = await renderSvg(spec as never);
    expect(svgMarks(svg, FIGURE_MARKS.pareto.point)).toBe(3);
    expect(svgMarks(svg, FIGURE_MARKS.pareto.front)).toBe(2);
  });

  it('plots MAdds in millions for every measured variant', () => {
    const spec = paretoFigure(paretoOf(COMPARISON), 'madds') as { data: { values: Array<{ variant: string; value: number }> } };
    expect(spec.data.values.filter((v) => v.variant === 'relu').map((v) => v.value)).toEqual([210, 200]);
  });
});

describe(renderSvg.name, () => {
  it('loads nothing a spec points at: its data must be inline', async () => {
    const svg = await renderSvg({ data: { url: 'file:///etc/hostname' }, mark: 'point', name: 'p', encoding: { x: { field: 'a', type: 'quantitative' } } } as never);
    expect(svgMarks(svg, 'p')).toBe(0);
  });
});
