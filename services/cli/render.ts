import Table from 'cli-table3';
import type { AblationCell, AblationTable } from '../query/ablation-table.service.js';
import type { Comparison } from '../query/comparison.service.js';
import type { RunLayers } from '../query/run.service.js';

export type Format = 'table' | 'json' | 'csv';

/** No rule between body rows: long tables stay readable. */
export const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

const fixed = (n: number | null, digits: number) => (n === null ? '—' : n.toFixed(digits));
const signed = (n: number | null, digits: number, unit = '') => (n === null ? '—' : `${n > 0 ? '+' : ''}${n.toFixed(digits)}${unit}`);
const millions = (n: number) => (n / 1e6).toFixed(1);

function csv(rows: Array<Record<string, unknown>>): string {
  if (rows.length === 0) return '';
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) => {
    const s = Array.isArray(v) ? v.join(' ') : v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

export function renderComparison(c: Comparison, format: Format): string {
  if (format === 'json') return JSON.stringify(c, null, 2) + '\n';
  if (format === 'csv') return csv(c.rows.map(({ runIds, ...r }) => ({ ...r, runIds })));
  const table = new Table({
    head: ['variant', 'device', 'median ms', 'p90 ms', 'Δ ms', 'Δ %', 'MAdds M', 'params M', 'samples'],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [] },
    chars: COMPACT,
  });
  for (const r of c.rows) {
    table.push([
      r.baseline ? `${r.variant} (baseline)` : r.variant,
      r.device,
      fixed(r.medianMs, 2),
      fixed(r.p90Ms, 2),
      r.baseline ? '' : signed(r.deltaMs, 2),
      r.baseline ? '' : signed(r.deltaPct, 1, '%'),
      millions(r.madds),
      millions(r.params),
      String(r.samples),
    ]);
  }
  return `${c.study} (${c.status}) — single-threaded end-to-end latency, baseline ${c.baseline}\n${table.toString()}\n`;
}

export function renderLayers(l: RunLayers, format: Format): string {
  if (format === 'json') return JSON.stringify(l, null, 2) + '\n';
  if (format === 'csv') return csv(l.layers as unknown as Array<Record<string, unknown>>);
  const table = new Table({
    head: ['layer', 'op', 'median ms', 'share'],
    colAligns: ['left', 'left', 'right', 'right'],
    style: { head: [], border: [] },
    chars: COMPACT,
  });
  for (const r of l.layers) table.push([r.layer, r.op ?? r.runtimeOps.join('+'), r.medianMs.toFixed(3), `${(r.share * 100).toFixed(1)}%`]);
  return (
    `run ${l.runId}: ${l.variant} on ${l.device}; median ${l.medianMs.toFixed(2)} ms, profiled ${l.profiledMedianMs.toFixed(2)} ms ` +
    `(overhead ${signed(l.profilingOverheadPct, 1, '%')}), layer sum / profiled = ${fixed(l.layerSumRatio, 3)}\n${table.toString()}\n`
  );
}

/** `+10.9% *`: * beyond the noise, ~ within it; the baseline has no delta. */
function deltaCell(c: AblationCell): string {
  if (c.deltaPct === null) return '';
  const mark = c.verdict === null ? '' : c.verdict === 'within noise' ? ' ~' : ' *';
  return `${signed(c.deltaPct, 1, '%')}${mark}`;
}

/** A study as a paper's ablation table: rows variants; per device the median [95% CI] and Δ; MAdds, params, top-1. */
export function renderAblationTable(t: AblationTable): string {
  const head = ['variant', 'MAdds M', 'params M', 'top-1 %', ...t.devices.flatMap((d) => [`${d.name} ms [95% CI]`, `${d.name} Δ`])];
  const table = new Table({
    head,
    colAligns: ['left', 'right', 'right', 'right', ...t.devices.flatMap(() => ['right', 'right'] as const)],
    style: { head: [], border: [] },
    chars: COMPACT,
  });
  for (const r of t.rows) {
    table.push([
      r.baseline ? `${r.variant} (baseline)` : r.variant,
      millions(r.madds),
      millions(r.params),
      r.top1 === null ? '' : r.top1.toFixed(1),
      ...r.latency.flatMap((c) => (c ? [`${c.medianMs.toFixed(2)} [${c.ciLowMs.toFixed(2)}, ${c.ciHighMs.toFixed(2)}]`, r.baseline ? '' : deltaCell(c)] : ['—', ''])),
    ]);
  }
  return (
    `${t.study} (${t.status}) — single-threaded latency, median [95% CI] per device; Δ vs ${t.baseline}\n${table.toString()}\n` +
    `* beyond the noise, ~ within it (${t.noiseTest}); — not measured\n`
  );
}
