// Verdicts you can bet on: false positives of A/A studies, power on small real differences, and
// reproducibility of a whole ablation, on a real local fleet (embedded Postgres, control, query,
// one CPU agent pinned to the last core), with the default protocol.
//   npm run build && node test/bench/verdicts.bench.mjs [--aa 20] [--aa-rounds 0] [--power 20] [--repro 5] [--only aa,power,repro]
//   node test/bench/verdicts.bench.mjs --report FILE [--reserve URL]   (the Markdown again from a run's --out, measuring
//   nothing; --reserve: every repro study's comparison fetched again from a query service on the kept data, e.g. new statistics)
// Half of the A/A studies run with a CPU-bound process on core 0 (the agent is on the last core).
// Prints Markdown for test/bench/RESULTS.md and writes the raw answers to --out (JSON).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { builtinStudy } from '../../dist/lib/models/index.js';
import { benchFleet, machine } from './bench-support.mjs';

const { values: args } = parseArgs({
  options: {
    aa: { type: 'string', default: '20' },
    // A/A studies with exactly this many rounds (no adaptive rounds); 0: the default protocol
    'aa-rounds': { type: 'string', default: '0' },
    // power and reproducibility studies with this many rounds at most (0: the protocol's default)
    'max-replicates': { type: 'string', default: '0' },
    power: { type: 'string', default: '20' },
    repro: { type: 'string', default: '5' },
    only: { type: 'string', default: 'aa,power,repro' },
    out: { type: 'string', default: join(os.tmpdir(), 'latfleet-verdicts.json') },
    keep: { type: 'boolean', default: false },
    report: { type: 'string' },
    reserve: { type: 'string' },
  },
});
const parts = new Set(args.only.split(','));
const log = (s) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

const dataDir = mkdtempSync(join(os.tmpdir(), 'latfleet-bench-verdicts-'));
const base = 47000 + Math.floor(Math.random() * 1000);
const { fleet, http } = benchFleet(dataDir, base);

/** Submits a study, waits for it, returns its detail, comparison and (optionally) every variant's layer deltas. */
async function runStudy(spec, { layers = false } = {}) {
  const t0 = Date.now();
  const created = await http('POST', '/api/v1/studies', spec);
  let study;
  for (;;) {
    study = await http('GET', `/api/v1/studies/${created.id}`);
    if (['completed', 'failed', 'cancelled'].includes(study.status)) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const seconds = (Date.now() - t0) / 1000;
  const comparison = await http('GET', `/api/v1/studies/${created.id}/comparison`);
  const deltas = [];
  if (layers) {
    for (const v of comparison.variants.filter((v) => !v.baseline)) {
      deltas.push(await http('GET', `/api/v1/studies/${created.id}/layer-deltas?variant=${encodeURIComponent(v.label)}`));
    }
  }
  return { id: created.id, study, comparison, deltas, seconds };
}

function burner() {
  const child = spawn('taskset', ['-c', '0', process.execPath, '-e', 'for(;;){}'], { stdio: 'ignore' });
  return () => child.kill('SIGKILL');
}

const rows = (cmp) => cmp.rows.filter((r) => !r.baseline);
const called = (r) => r.verdict === 'faster' || r.verdict === 'slower';
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rounds = (r) => r.study.rounds ?? {};
/** Standard normal CDF (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7). */
function normalCdf(x) {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

const maxReplicates = Number(args['max-replicates']) > 0 ? { protocol: { maxReplicates: Number(args['max-replicates']) } } : {};
const results = args.report ? JSON.parse(readFileSync(args.report, 'utf8')) : { machine: machine(), started: new Date().toISOString(), aa: [], power: [], repro: [] };
if (args.report) rmSync(dataDir, { recursive: true, force: true });
else await measure();
if (args.reserve) {
  for (const rep of results.repro) {
    const c = await (await fetch(`${args.reserve}/api/v1/studies/${rep.id}/comparison`)).json();
    rep.rows = rows(c).map((x) => ({ variant: x.variant, deltaPct: x.deltaPct, low: x.deltaCiLowPct, high: x.deltaCiHighPct, verdict: x.verdict, rounds: x.rounds }));
    rep.reproducibility = c.reproducibility;
    rep.atFinish = { rows: rep.rows, reproducibility: rep.reproducibility };
  }
  results.reserved = { from: args.reserve, at: new Date().toISOString() };
  writeFileSync(args.out, JSON.stringify(results, null, 1));
}

async function measure() {
log(`fleet in ${dataDir}`);
await fleet.start(log);
try {
  if (parts.has('aa')) {
    const n = Number(args.aa);
    for (let i = 0; i < n; i++) {
      const loaded = i % 2 === 1;
      const stop = loaded ? burner() : () => undefined;
      try {
        const fixed = Number(args['aa-rounds']);
        const spec = { ...builtinStudy('aa-seeds'), name: `aa-${i}`, ...(fixed > 0 ? { protocol: { replicates: fixed, targetHalfWidthPct: 0 } } : {}) };
        const r = await runStudy(spec, { layers: true });
        const e2e = rows(r.comparison);
        const layerVerdicts = r.deltas.flatMap((d) => d.groups.layer.filter((g) => g.key !== '').map((g) => g.verdict));
        results.aa.push({
          i,
          loaded,
          seconds: r.seconds,
          rounds: rounds(r),
          e2e: e2e.map((x) => ({ variant: x.variant, verdict: x.verdict, deltaPct: x.deltaPct, mdePct: x.mdePct, rounds: x.rounds, flagged: x.flaggedReplicates })),
          layerCalled: layerVerdicts.filter((v) => v === 'faster' || v === 'slower').length,
          layerTotal: layerVerdicts.length,
          layerUndecided: layerVerdicts.filter((v) => v === 'undecided').length,
        });
        const last = results.aa.at(-1);
        log(`A/A ${i + 1}/${n}${loaded ? ' (loaded)' : ''}: ${e2e.filter(called).length}/${e2e.length} e2e called, ${last.layerCalled}/${last.layerTotal} layers called, ${r.seconds.toFixed(0)} s, ${JSON.stringify(last.rounds)}`);
      } finally {
        stop();
      }
    }
  }
  if (parts.has('power')) {
    const n = Number(args.power);
    const pairs = [
      { name: 'resolution', spec: { base: 'mobilenetv3-large-1.0', variants: [{ label: '224' }, { label: '208', resolution: 208 }], baseline: '224' }, expect: 'faster', variant: '208' },
      { name: 'activation', spec: { base: 'mobilenetv3-large-1.0', variants: [{ label: 'paper' }, { label: 'relu', activation: 'relu' }], baseline: 'paper' }, expect: 'faster', variant: 'relu' },
    ];
    for (let i = 0; i < n; i++) {
      for (const p of pairs) {
        const r = await runStudy({ name: `power-${p.name}-${i}`, ...p.spec, ...maxReplicates });
        const row = rows(r.comparison).find((x) => x.variant === p.variant);
        const wallPerVariant = r.seconds / r.comparison.variants.length;
        results.power.push({ pair: p.name, i, verdict: row.verdict, right: row.verdict === p.expect, deltaPct: row.deltaPct, mdePct: row.mdePct, rounds: row.rounds, seconds: r.seconds, wallPerVariant });
        log(`power ${p.name} ${i + 1}/${n}: ${row.verdict} Δ ${row.deltaPct}% MDE ±${row.mdePct}% (${row.rounds} rounds), ${r.seconds.toFixed(0)} s`);
      }
    }
  }
  if (parts.has('repro')) {
    const n = Number(args.repro);
    for (let i = 0; i < n; i++) {
      const r = await runStudy({ ...builtinStudy('mbv3-hswish-placement'), name: `repro-${i}`, ...maxReplicates });
      results.repro.push({
        i,
        id: r.id,
        seconds: r.seconds,
        rows: rows(r.comparison).map((x) => ({ variant: x.variant, deltaPct: x.deltaPct, low: x.deltaCiLowPct, high: x.deltaCiHighPct, verdict: x.verdict, rounds: x.rounds })),
        reproducibility: r.comparison.reproducibility,
        stop: rounds(r),
      });
      const rep = r.comparison.reproducibility[0];
      log(`repro ${i + 1}/${n} (as served when it finished): ${rows(r.comparison).map((x) => `${x.variant} ${x.deltaPct}% [${x.deltaCiLowPct}, ${x.deltaCiHighPct}]`).join(', ')} (${r.seconds.toFixed(0)} s; between studies ${rep?.betweenStudyPct}% ${rep?.source}, df ${rep?.df})`);
    }
    // a study's intervals use what the device knows when they are asked for: once all have run, every one of them knows
    // the between-study component learned from the others
    for (const rep of results.repro) {
      const c = await http('GET', `/api/v1/studies/${rep.id}/comparison`);
      rep.atFinish = { rows: rep.rows, reproducibility: rep.reproducibility };
      rep.rows = rows(c).map((x) => ({ variant: x.variant, deltaPct: x.deltaPct, low: x.deltaCiLowPct, high: x.deltaCiHighPct, verdict: x.verdict, rounds: x.rounds }));
      rep.reproducibility = c.reproducibility;
    }
  }
} finally {
  writeFileSync(args.out, JSON.stringify(results, null, 1));
  await fleet.stop();
  if (!args.keep) rmSync(dataDir, { recursive: true, force: true });
}
}

// ---- Markdown ----
const out = [];
const m = results.machine;
out.push(`Measured by \`test/bench/verdicts.bench.mjs\` from ${results.started}; raw answers in ${args.report ?? args.out}.`);
out.push(`Machine: ${m.nproc} CPUs, \`${m.cpuModel}\`, ${m.kernel}, Node ${m.node}, onnxruntime-node ${m.onnxruntime}. A local fleet (embedded Postgres, control, query, one CPU agent pinned to the last core), default protocol.`);
if (results.aa.length) {
  const by = (loaded) => results.aa.filter((s) => s.loaded === loaded);
  const line = (set, label) => {
    const e = set.flatMap((s) => s.e2e);
    const lc = set.reduce((a, s) => a + s.layerCalled, 0);
    const lt = set.reduce((a, s) => a + s.layerTotal, 0);
    const lu = set.reduce((a, s) => a + s.layerUndecided, 0);
    const mde = median(e.filter((x) => x.mdePct !== null).map((x) => x.mdePct));
    const rds = median(e.map((x) => x.rounds));
    return `| ${label} | ${set.length} | ${e.filter(called).length} / ${e.length} (${((100 * e.filter(called).length) / e.length).toFixed(1)}%) | ${e.filter((x) => x.verdict === 'undecided').length} | ${lc} / ${lt} (${((100 * lc) / lt).toFixed(2)}%) | ${lu} | ${mde?.toFixed(2)}% | ${rds} | ${median(set.map((s) => s.seconds)).toFixed(0)} s |`;
  };
  out.push(`\n#### A/A false positives (aa-seeds: one network, six weight seeds; ${Number(args['aa-rounds']) > 0 ? `exactly ${args['aa-rounds']} rounds per study` : 'default protocol'})\n`);
  out.push('| condition | studies | e2e comparisons called beyond the noise | e2e undecided | layer comparisons called (after BH) | layers undecided | median MDE | median rounds | median study wall time |');
  out.push('|---|---|---|---|---|---|---|---|---|');
  out.push(line(by(false), 'quiet'));
  out.push(line(by(true), 'CPU-bound process on the other core'));
  out.push(line(results.aa, '**all**'));
}
if (results.power.length) {
  out.push(`\n#### Power: small real differences (${Math.max(...results.power.map((p) => p.i)) + 1} repetitions each)\n`);
  out.push('| comparison | right direction | wrong direction | within noise / undecided | median Δ | median MDE | median rounds | median wall time per variant |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const name of [...new Set(results.power.map((p) => p.pair))]) {
    const ps = results.power.filter((p) => p.pair === name);
    const wrong = ps.filter((p) => (p.verdict === 'faster' || p.verdict === 'slower') && !p.right).length;
    const label = name === 'resolution' ? 'MobileNetV3-L 1.0 @208 vs @224' : 'MobileNetV3-L 1.0 ReLU everywhere vs the paper’s activations';
    out.push(`| ${label} | ${ps.filter((p) => p.right).length} / ${ps.length} | ${wrong} | ${ps.length - wrong - ps.filter((p) => p.right).length} | ${median(ps.map((p) => p.deltaPct)).toFixed(2)}% | ±${median(ps.map((p) => p.mdePct)).toFixed(2)}% | ${median(ps.map((p) => p.rounds))} | ${median(ps.map((p) => p.wallPerVariant)).toFixed(1)} s |`);
  }
}
if (results.repro.length) {
  out.push('\n#### Reproducibility: mbv3-hswish-placement run 5 times\n');
  const variants = results.repro[0].rows.map((r) => r.variant);
  out.push('| variant | Δ% in each run | CI half-width (pp) in each run | rounds | SD of Δ% (pp) | (run, other run) pairs with Δ% inside the other’s CI |');
  out.push('|---|---|---|---|---|---|');
  let inAll = 0;
  let pairsAll = 0;
  let expectedAll = 0;
  for (const v of variants) {
    const per = results.repro.map((run) => run.rows.find((r) => r.variant === v));
    const ds = per.map((r) => r.deltaPct);
    const mean = ds.reduce((a, b) => a + b, 0) / ds.length;
    const sd = Math.sqrt(ds.reduce((a, b) => a + (b - mean) ** 2, 0) / (ds.length - 1));
    let inside = 0;
    let pairs = 0;
    for (const [i, r] of per.entries()) for (const [j, o] of per.entries()) if (i !== j) (pairs++, (inside += o.low !== null && r.deltaPct >= o.low && r.deltaPct <= o.high ? 1 : 0));
    inAll += inside;
    pairsAll += pairs;
    // were every CI calibrated (its half-width 1.96 × the SD of its study's Δ% around the truth), another study's
    // Δ% would fall inside it with P(|Z| ≤ 1.96 h_o / √(h_i² + h_o²)): about 83% for equal widths, not 95%
    for (const [i, r] of per.entries()) {
      for (const [j, o] of per.entries()) {
        if (i === j || o.low === null || r.low === null) continue;
        const hi = (r.high - r.low) / 2;
        const ho = (o.high - o.low) / 2;
        expectedAll += 2 * normalCdf((1.96 * ho) / Math.hypot(hi, ho)) - 1;
      }
    }
    const half = per.map((r) => (r.low === null ? '—' : ((r.high - r.low) / 2).toFixed(2)));
    out.push(`| ${v} | ${ds.map((d) => d.toFixed(2)).join(', ')} | ${half.join(', ')} | ${per.map((r) => r.rounds).join(', ')} | ${sd.toFixed(2)} | ${inside} / ${pairs} |`);
  }
  const atFinish = results.repro.map((r) => r.atFinish.rows);
  let inFirst = 0;
  for (const v of variants) {
    const per = atFinish.map((rs) => rs.find((r) => r.variant === v));
    for (const [i, r] of per.entries()) for (const [j, o] of per.entries()) if (i !== j && o.low !== null && r.deltaPct >= o.low && r.deltaPct <= o.high) inFirst++;
  }
  out.push(`\nThe table shows every study's comparison as served after all ${results.repro.length} had run. As served when each finished (knowing only the studies before it): ${inFirst} of ${pairsAll} pairs inside.`);
  out.push(`\n${inAll} of ${pairsAll} (run, other run) pairs had the Δ% inside the other run's CI (${((100 * inAll) / pairsAll).toFixed(0)}%); ${expectedAll.toFixed(0)} expected were every CI calibrated (a 95% CI covers the true Δ 95% of the time; another study's Δ, itself noisy, less often).`);
  out.push(`Between-study component each study used: ${results.repro.map((r) => { const x = r.reproducibility[0]; return x ? `${x.betweenStudyPct}% (${x.source}, df ${x.df}${x.learnedPct !== null ? `, learned ${x.learnedPct}%` : ''})` : '—'; }).join('; ')}.`);
  out.push(`What ended each study's rounds: ${results.repro.map((r) => JSON.stringify(r.stop)).join('; ')}.`);
}
console.log(out.join('\n'));
