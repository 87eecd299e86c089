import type { AblationCell, AblationTable } from './ablation-table.service.js';
import type { Page } from './pagination.dto.js';
import type { RunSummary } from './run.repository.js';
import type { StudyDetail, StudySummary } from './study.repository.js';

/** One figure of the page: its SVG drawn inline, or why it could not be drawn. */
export interface PageFigure {
  name: string;
  caption: string;
  /** the figure alone, as SVG (and `.vl.json` for its spec) */
  href: string;
  svg: string | null;
  unavailable: string | null;
}

export interface StudyPageView {
  study: StudyDetail;
  table: AblationTable;
  figures: PageFigure[];
  runs: Page<RunSummary>;
}

/** No script runs and nothing loads from elsewhere: the figures are inline SVG, the style inline CSS. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'";

const esc = (s: unknown) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const link = (href: string, text: unknown) => `<a href="${esc(href)}">${esc(text)}</a>`;
const fixed = (x: number | null | undefined, digits: number) => (x === null || x === undefined ? '' : x.toFixed(digits));
const when = (t: string | Date) => `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const signed = (x: number | null, digits: number) => (x === null ? '' : `${x > 0 ? '+' : ''}${x.toFixed(digits)}`);

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;max-width:76em;margin:1.5em auto;padding:0 1em;color:#222}
code{font:13px ui-monospace,monospace}h1{font-size:22px;margin:.2em 0}h2{font-size:18px;margin:1.4em 0 .4em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:14px}td,th{text-align:left;padding:3px 10px 3px 0;vertical-align:top;border-bottom:1px solid #eee}
td.n{text-align:right;font-variant-numeric:tabular-nums}.faster{color:#2e7d32}.slower{color:#c62828}.undecided{color:#9a6b00}.muted{color:#666}
figure{margin:1em 0;overflow-x:auto}figure svg{display:block}figcaption{font-size:14px;color:#444}.flag{color:#b71c1c}nav a{margin-right:1em}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>${esc(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

function latencyCell(c: AblationCell | null): string {
  if (!c) return '<td class="muted">—</td><td></td><td></td>';
  const median =
    c.medianMs === null ? '<span class="muted">no clean run</span>' : `${fixed(c.medianMs, 2)}${c.ciLowMs === null ? '' : ` [${fixed(c.ciLowMs, 2)}, ${fixed(c.ciHighMs, 2)}]`}`;
  const delta =
    c.verdict === null
      ? ''
      : `${signed(c.deltaPct, 1)}%${c.deltaCiLowPct === null ? '' : ` [${signed(c.deltaCiLowPct, 1)}, ${signed(c.deltaCiHighPct, 1)}]`} <span class="${esc(c.verdict.replace(' ', '-'))}">${esc(c.verdict)}${
          c.mdePct === null ? '' : ` ±${fixed(c.mdePct, 1)}%`
        }</span>${c.verdictReason ? `<br><span class="muted">${esc(c.verdictReason)}</span>` : ''}`;
  const runs = `${c.replicates}${c.flaggedReplicates ? ` <span class="flag">+${c.flaggedReplicates} flagged (${esc(c.flags.join(', '))})</span>` : ''}`;
  return `<td class="n">${median}</td><td>${delta}</td><td class="n">${runs}</td>`;
}

function ablationTable(t: AblationTable): string {
  const head = `<tr><th rowspan="2">variant</th><th rowspan="2">MAdds M</th><th rowspan="2">params M</th><th rowspan="2">top-1 %</th>${t.devices
    .map((d) => `<th colspan="3">${esc(d.name)}</th>`)
    .join('')}</tr><tr>${t.devices.map(() => '<th>median ms [95% CI]</th><th>Δ vs baseline [95% CI], verdict ±MDE</th><th>runs</th>').join('')}</tr>`;
  const rows = t.rows.map(
    (r) =>
      `<tr><td>${esc(r.variant)}${r.baseline ? ' <b>(baseline)</b>' : ''}<br><code class="muted">${esc(r.model)}</code></td><td class="n">${fixed(r.madds / 1e6, 1)}</td><td class="n">${fixed(
        r.params / 1e6,
        2,
      )}</td><td class="n">${fixed(r.top1, 1)}</td>${r.latency.map(latencyCell).join('')}</tr>`,
  );
  return `<table>${head}${rows.join('')}</table><p class="muted">${esc(t.noiseTest)}</p>`;
}

function qualityFlags(v: StudyPageView): string {
  const flagged = v.runs.items.filter((r) => r.flagged);
  const failed = v.study.jobList.filter((j) => j.error);
  const rounds = Object.entries(v.study.rounds).map(([group, log]) => `<li>${esc(group === '*' ? 'any device' : group)}: ${esc(log.detail)}</li>`);
  const items = [
    ...flagged.map(
      (r) =>
        `<li class="flag">run ${link(`/api/v1/runs/${r.id}`, r.id.slice(0, 8))} (${esc(r.variant)} on ${esc(r.device)}, round ${esc(r.round ?? '—')}) is flagged: left out of the figures and verdicts</li>`,
    ),
    ...failed.map((j) => `<li class="flag">job of ${esc(j.variantLabel)} (round ${j.round}, attempt ${j.attempt}): ${esc(j.error)}</li>`),
  ];
  return `<ul>${rounds.join('')}${items.length ? items.join('') : '<li>no flagged run and no failed job</li>'}</ul>`;
}

function figure(f: PageFigure): string {
  const body = f.svg ?? `<p class="muted">not drawn: ${esc(f.unavailable)}</p>`;
  return `<figure data-figure="${esc(f.name)}">${body}<figcaption>${esc(f.caption)} — ${link(f.href, 'SVG')} · ${link(f.href.replace(/\.svg(\?|$)/, '.vl.json$1'), 'Vega-Lite spec')}</figcaption></figure>`;
}

function runsTable(studyId: string, runs: Page<RunSummary>): string {
  const rows = runs.items.map(
    (r) =>
      `<tr><td>${link(`/api/v1/runs/${r.id}`, r.id.slice(0, 8))}</td><td>${esc(r.variant)}</td><td>${esc(r.device)}</td><td class="n">${esc(r.round ?? '—')}</td><td class="n">${fixed(
        r.medianMs,
        3,
      )}</td><td>${r.flagged ? '<span class="flag">flagged</span>' : ''}</td><td>${link(`/api/v1/runs/${r.id}/layers`, 'layers')} · ${link(
        `/api/v1/studies/${studyId}/figures/layers.svg?run=${r.id}`,
        'per-layer figure',
      )} · ${link(`/api/v1/runs/${r.id}/latencies?format=csv`, 'latencies CSV')}</td></tr>`,
  );
  const more =
    runs.total > runs.items.length ? `<p class="muted">${runs.items.length} of ${runs.total} runs: ${link(`/api/v1/runs?study=${studyId}&limit=500`, 'all as JSON')}</p>` : '';
  return `<table><tr><th>run</th><th>variant</th><th>device</th><th>round</th><th>median ms</th><th></th><th></th></tr>${rows.join('')}</table>${more}`;
}

/** A study as one page: the ablation table, the figures, quality flags and the runs, with links to the API behind each. */
export function renderStudyPage(v: StudyPageView): string {
  const s = v.study;
  const api = `/api/v1/studies/${s.id}`;
  const total = Object.values(s.jobs).reduce((a, b) => a + b, 0);
  const body = `<nav>${link('/studies', '← studies')}${link(api, 'study JSON')}${link(`${api}/table?format=csv`, 'table CSV')}${link(`${api}/comparison`, 'comparison JSON')}</nav>
<h1>${esc(s.name)}</h1>
<p>${esc(s.status)} · ${s.jobs.completed}/${total} jobs done · ${s.variants.length} variants · baseline <b>${esc(s.baselineLabel)}</b> · created ${when(s.createdAt)}</p>
<h2>Ablation table</h2>${ablationTable(v.table)}
<h2>Figures</h2>${v.figures.map(figure).join('\n')}
<h2>Quality</h2>${qualityFlags(v)}
<h2>Runs</h2>${runsTable(s.id, v.runs)}`;
  return page(`${s.name} — latfleet`, body);
}

export function renderStudiesIndex(studies: Page<StudySummary>): string {
  const rows = studies.items.map((s) => {
    const total = Object.values(s.jobs).reduce((a, b) => a + b, 0);
    return `<tr><td>${link(`/studies/${s.id}`, s.name)}</td><td>${esc(s.status)}</td><td class="n">${s.jobs.completed}/${total}</td><td>${esc(s.baselineLabel)}</td><td>${when(s.createdAt)}</td></tr>`;
  });
  const shown = studies.items.length ? `${studies.offset + 1}–${studies.offset + studies.items.length} of ${studies.total}` : `none of ${studies.total}`;
  const next = studies.offset + studies.items.length < studies.total ? ` · ${link(`/studies?offset=${studies.offset + studies.limit}&limit=${studies.limit}`, 'older')}` : '';
  const body = `<h1>latfleet studies</h1><p class="muted">${shown}${next} · ${link('/api/docs', 'API')}</p>
<table><tr><th>study</th><th>status</th><th>jobs done</th><th>baseline</th><th>created</th></tr>${rows.join('')}</table>`;
  return page('latfleet studies', body);
}
