import Table from 'cli-table3';
import { type AblationCell, type AblationTable, type Comparison, type LayerRow, recordsToCsv, type RunLayers } from '../query/contract.js';

export type Format = 'table' | 'json' | 'csv';

/** No rule between body rows: long tables stay readable. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

/** A terminal table as every command prints one: plain header, no colours, no rule between body rows. */
export function compactTable(head: string[], colAligns?: Array<'left' | 'right' | 'center'>): Table.Table {
  return new Table({ head, ...(colAligns ? { colAligns } : {}), style: { head: [], border: [] }, chars: COMPACT });
}

const fixed = (n: number | null, digits: number) => (n === null ? '—' : n.toFixed(digits));
const signed = (n: number | null, digits: number, unit = '') => (n === null ? '—' : `${n > 0 ? '+' : ''}${n.toFixed(digits)}${unit}`);
const millions = (n: number) => (n / 1e6).toFixed(1);

/** `4.00 [3.88, 4.20]`; no interval from a single replicate; `—` when every run is flagged. */
function latencyCell(c: Pick<AblationCell, 'medianMs' | 'ciLowMs' | 'ciHighMs'>): string {
  if (c.medianMs === null) return '—';
  return c.ciLowMs === null || c.ciHighMs === null ? c.medianMs.toFixed(2) : `${c.medianMs.toFixed(2)} [${c.ciLowMs.toFixed(2)}, ${c.ciHighMs.toFixed(2)}]`;
}

/** `±0.8%`: the smallest difference the comparison resolves. */
const mde = (mdePct: number | null) => (mdePct === null ? '' : `±${mdePct.toFixed(mdePct < 0.1 ? 2 : 1)}%`);

/** `3`, or `3 +1 flagged` when flagged runs were left out (or, with include=flagged, are among them). */
const runsCell = (c: Pick<AblationCell, 'replicates' | 'flaggedReplicates'>) => `${c.replicates}${c.flaggedReplicates ? ` +${c.flaggedReplicates} flagged` : ''}`;

const verdictCell = (r: Pick<AblationCell, 'verdict' | 'mdePct'>) => (r.verdict === null ? '' : r.verdict === 'undecided' ? 'undecided' : `${r.verdict} ${mde(r.mdePct)}`.trim());

/** CSV is the ablation table's, the same for every command (`compare`, `study run`, `up`): ApiClient.ablationTableCsv. */
export function renderComparison(c: Comparison, format: Exclude<Format, 'csv'>): string {
  if (format === 'json') return JSON.stringify(c, null, 2) + '\n';
  const table = compactTable(
    ['variant', 'device', 'median ms [95% CI]', 'p90 ms', 'Δ ms', 'Δ %', 'verdict', 'runs', 'MAdds M', 'params M'],
    ['left', 'left', 'right', 'right', 'right', 'right', 'left', 'right', 'right', 'right'],
  );
  for (const r of c.rows) {
    table.push([
      r.baseline ? `${r.variant} (baseline)` : r.variant,
      r.device,
      latencyCell(r),
      fixed(r.p90Ms, 2),
      r.baseline ? '' : signed(r.deltaMs, 2),
      r.baseline ? '' : signed(r.deltaPct, 1, '%'),
      r.baseline ? '' : verdictCell(r),
      runsCell(r),
      millions(r.madds),
      millions(r.params),
    ]);
  }
  const notes = footnotes(
    c.rows.map((r) => ({ where: `${r.variant} on ${r.device}`, cell: r })),
    c.includeFlagged,
  );
  return `${c.study} (${c.status}) — single-threaded end-to-end latency, baseline ${c.baseline}\n${table.toString()}\nverdict: ${c.noiseTest}\n${betweenStudies(c.reproducibility)}${notes}`;
}

/** `between studies: vm-cpu 0.30% + 1% of the log ratio (the protocol's floor; 6 repeats learned 0.21%)` — the component every Δ interval carries. */
export function betweenStudies(rs: Comparison['reproducibility']): string {
  if (rs.length === 0) return '';
  const one = (r: Comparison['reproducibility'][number]) =>
    `${r.device} ${r.betweenStudyPct.toFixed(2)}%${r.relativePct > 0 ? ` + ${r.relativePct}% of the log ratio` : ''}` +
    (r.source === 'learned'
      ? ` (learned from ${r.df} repeats of its comparisons in other studies)`
      : ` (the protocol's floor${r.learnedPct === null ? (r.df ? `; ${r.df} repeats so far, too few to learn from` : '; no comparison repeated yet') : `; ${r.df} repeats learned ${r.learnedPct.toFixed(2)}%`})`);
  return `between studies (SD of Δ added to every interval): ${rs.map(one).join('; ')}\n`;
}

/** Why verdicts are undecided, and which runs were flagged with what. */
function footnotes(cells: Array<{ where: string; cell: Pick<AblationCell, 'verdict' | 'verdictReason' | 'flaggedReplicates' | 'flags'> }>, includeFlagged: boolean): string {
  const undecided = cells.filter((x) => x.cell.verdict === 'undecided' && x.cell.verdictReason).map((x) => `  ${x.where}: ${x.cell.verdictReason}`);
  const flagged = cells
    .filter((x) => x.cell.flaggedReplicates > 0)
    .map((x) => `  ${x.where}: ${x.cell.flaggedReplicates}${x.cell.flags.length ? ` (${x.cell.flags.join(', ')})` : ''}`);
  return (
    (undecided.length ? `undecided:\n${undecided.join('\n')}\n` : '') +
    (flagged.length ? `flagged runs (throttled or busy; ${includeFlagged ? 'included' : 'left out'}):\n${flagged.join('\n')}\n` : '')
  );
}

/** What `latfleet layers` tabulates: logical layers (stored node timings), or the report's per-block or per-op-type table. */
export const LAYER_GROUPINGS = ['layer', 'block', 'op'] as const;
export type LayerGrouping = (typeof LAYER_GROUPINGS)[number];

interface LayerTableRow {
  key: string;
  op: string;
  kernelMs: number | null;
  overheadMs: number | null;
  totalMs: number | null;
  share: number;
  totalShare: number | null;
}

function layerTableRows(l: RunLayers, by: LayerGrouping): LayerTableRow[] {
  const groups = by === 'block' ? l.blocks : by === 'op' ? l.opTypes : null;
  if (by !== 'layer' && groups === null) throw new Error(`run ${l.runId} has no per-${by} table: its report predates executor overhead (use --by layer)`);
  const rows: LayerTableRow[] = groups
    ? groups.map((g) => ({ key: g.key, op: '', kernelMs: g.kernelMs, overheadMs: g.overheadMs, totalMs: g.totalMs, share: g.share, totalShare: g.totalShare }))
    : l.layers.map((r) => ({
        key: r.layer,
        op: r.op ?? r.runtimeOps.join('+'),
        kernelMs: r.medianMs,
        overheadMs: r.overheadMs,
        totalMs: r.totalMs,
        share: r.share,
        totalShare: r.totalShare,
      }));
  if (l.session)
    rows.push({ key: l.session.key, op: '', kernelMs: null, overheadMs: l.session.overheadMs, totalMs: l.session.totalMs, share: 0, totalShare: l.session.totalShare });
  return rows;
}

/** Σ per-layer medians ÷ each end-to-end median, kernel only and with the executor's overhead. */
function ratioLines(l: RunLayers): string {
  const table = new Table({
    head: ['layer sum ÷ median of', 'profiled runs', 'model_run', 'timed runs'],
    colAligns: ['left', 'right', 'right', 'right'],
    style: { head: [], border: [], 'padding-left': 0 },
    chars: {
      ...COMPACT,
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      right: '',
      middle: ' ',
    },
  });
  const line = (name: string, r: RunLayers['ratios']['kernel']) => [name, fixed(r.toProfiledMedian, 3), fixed(r.toModelRunMedian, 3), fixed(r.toTimedMedian, 3)];
  table.push(line('kernel only', l.ratios.kernel), line('with overhead', l.ratios.withOverhead));
  return table.toString();
}

/** The API's rows as they are, the session bucket last in the same columns. */
function layersCsv(l: RunLayers, by: LayerGrouping): string {
  const s = l.session;
  if (by !== 'layer') return recordsToCsv([...(by === 'block' ? l.blocks! : l.opTypes!), ...(s ? [s] : [])] as unknown as Array<Record<string, unknown>>);
  const session: LayerRow | null = s && {
    layer: s.key,
    block: null,
    role: null,
    op: null,
    medianMs: s.kernelMs,
    share: s.share,
    overheadMs: s.overheadMs,
    totalMs: s.totalMs,
    totalShare: s.totalShare,
    madds: null,
    runtimeNodes: [],
    runtimeOps: [],
  };
  return recordsToCsv([...l.layers, ...(session ? [session] : [])] as unknown as Array<Record<string, unknown>>);
}

export function renderLayers(l: RunLayers, format: Format, by: LayerGrouping = 'layer'): string {
  if (format === 'json') return JSON.stringify(l, null, 2) + '\n';
  const withOverhead = l.session !== null || l.layers.some((r) => r.overheadMs !== null);
  const rows = layerTableRows(l, by);
  if (format === 'csv') return layersCsv(l, by);
  // named as the CSV and JSON name the figure shown: total_share (kernel + overhead) or share (kernel only)
  const head = [by, ...(by === 'layer' ? ['op'] : []), 'kernel ms', ...(withOverhead ? ['overhead ms', 'total ms', 'total share'] : ['share'])];
  const table = compactTable(
    head,
    head.map((_, i) => (i === 0 || (by === 'layer' && i === 1) ? 'left' : 'right')),
  );
  for (const r of rows) {
    table.push([
      r.key,
      ...(by === 'layer' ? [r.op] : []),
      r.kernelMs === null ? '' : r.kernelMs.toFixed(3),
      ...(withOverhead ? [fixed(r.overheadMs, 3), fixed(r.totalMs, 3)] : []),
      `${((withOverhead ? (r.totalShare ?? 0) : r.share) * 100).toFixed(1)}%`,
    ]);
  }
  const source = l.attributionSource ? `; layers by ${l.attributionSource === 'lineage' ? 'the optimized graph’s lineage' : 'node-name prefix'}` : '';
  const heading =
    `run ${l.runId}: ${l.variant} on ${l.device}; median ${l.medianMs.toFixed(2)} ms, profiled ${l.profiledMedianMs.toFixed(2)} ms ` +
    `(profiling ${signed(l.profilingOverheadPct, 1, '%')})${source}\n`;
  const legend = withOverhead
    ? `layer sum ${fixed(l.layerSumMs, 3)} ms kernel, ${fixed(l.layerSumWithOverheadMs, 3)} ms with overhead; model_run median ${fixed(l.modelRunMedianMs, 3)} ms\n` +
      `${ratioLines(l)}\noverhead: the executor’s time between kernels; (session): the run’s time outside every node; ` +
      `total share: of the summed totals, (session) included (total_share in CSV); share in CSV: of the summed kernel medians alone\n`
    : `layer sum / profiled = ${fixed(l.layerSumRatio, 3)}; kernel time only (this run’s report has no executor overhead); share: of the summed kernel medians\n`;
  return `${heading}${legend}${table.toString()}\n`;
}

/** `+10.9% * ±0.8%`: * beyond the noise, ~ within it, ? undecided; the resolution after the verdict; the baseline has no delta. */
function deltaCell(c: AblationCell): string {
  if (c.verdict === 'undecided') return c.deltaPct === null ? '?' : `${signed(c.deltaPct, 1, '%')} ?`;
  if (c.deltaPct === null) return '';
  const mark = c.verdict === null ? '' : c.verdict === 'within noise' ? ' ~' : ' *';
  return `${signed(c.deltaPct, 1, '%')}${mark} ${mde(c.mdePct)}`.trim();
}

/** A study as a paper's ablation table: rows variants; per device the median [95% CI], Δ with its resolution and the runs; MAdds, params, top-1. */
export function renderAblationTable(t: AblationTable): string {
  const head = ['variant', 'MAdds M', 'params M', 'top-1 %', ...t.devices.flatMap((d) => [`${d.name} ms [95% CI]`, 'Δ ±MDE', 'runs'])];
  const table = compactTable(head, ['left', 'right', 'right', 'right', ...t.devices.flatMap(() => ['right', 'right', 'right'] as const)]);
  for (const r of t.rows) {
    table.push([
      r.baseline ? `${r.variant} (baseline)` : r.variant,
      millions(r.madds),
      millions(r.params),
      r.top1 === null ? '' : r.top1.toFixed(1),
      ...r.latency.flatMap((c) => (c ? [latencyCell(c), r.baseline ? '' : deltaCell(c), runsCell(c)] : ['—', '', ''])),
    ]);
  }
  const cells = t.rows.flatMap((r) => r.latency.flatMap((cell, i) => (cell ? [{ where: `${r.variant} on ${t.devices[i]!.name}`, cell }] : [])));
  return (
    `${t.study} (${t.status}) — single-threaded latency, median [95% CI] of the runs per device; Δ vs ${t.baseline}\n${table.toString()}\n` +
    `* beyond the noise, ~ within it, ? undecided; ±MDE: the smallest difference the rounds resolve; runs: replicates; — not measured\n` +
    `verdict: ${t.noiseTest}\n${betweenStudies(t.reproducibility)}${footnotes(cells, t.includeFlagged)}`
  );
}
