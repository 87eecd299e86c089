// The live level, replayed: how much predictions gain from following the device's level (the runs
// measured since the predictor was trained, services/lib/predict/live-level.ts) on the held-out
// variants of a predict benchmark, in the order they were measured.
//   npm run build && node test/bench/predict-live.bench.mjs --bench-json FILE --export FILE
// --bench-json: the --out of test/bench/predict.bench.mjs (each held-out variant's trained
// prediction and the median of its replicates); --export: its --export (every run, with its times).
// Each variant is predicted with the level of the held-out runs that finished before its first run
// started, as the query service would have served it had the predictor been trained when the
// calibration ended; it is scored against the median of its replicates, as in predict.bench.mjs.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { liveLevel } from '../../dist/lib/predict/index.js';

/**
 * Rows of predict.bench.mjs ({variant, predictedMs, measuredMs}) and the held-out runs
 * ({modelName, startedAt, finishedAt, medianNs}): each row's prediction at the live level of the
 * runs that finished before the variant's first run started.
 */
export function replayLiveLevel(rows, runs) {
  const predictedMs = new Map(rows.map((r) => [r.variant, r.predictedMs]));
  const done = runs.filter((r) => predictedMs.has(r.modelName)).sort((a, b) => Date.parse(a.finishedAt) - Date.parse(b.finishedAt));
  const firstStart = new Map();
  for (const r of runs) firstStart.set(r.modelName, Math.min(firstStart.get(r.modelName) ?? Infinity, Date.parse(r.startedAt)));
  return rows.map((row) => {
    const t = firstStart.get(row.variant) ?? Infinity;
    const live = liveLevel(done.filter((r) => Date.parse(r.finishedAt) <= t).map((r) => ({ measuredNs: r.medianNs, predictedNs: predictedMs.get(r.modelName) * 1e6 })));
    return { ...row, live, liveMs: row.predictedMs * (live.applied ? live.factor : 1) };
  });
}

export function score(pairs) {
  const e = pairs.map(([p, m]) => (p - m) / m);
  const within = (x) => (100 * e.filter((v) => Math.abs(v) <= x).length) / e.length;
  return { n: e.length, within5Pct: within(0.05), within10Pct: within(0.1), rmspePct: 100 * Math.sqrt(e.reduce((a, v) => a + v * v, 0) / e.length) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: args } = parseArgs({ options: { 'bench-json': { type: 'string' }, export: { type: 'string' } } });
  if (!args['bench-json'] || !args.export) throw new Error('--bench-json FILE and --export FILE: the --out and --export of test/bench/predict.bench.mjs');
  const bench = JSON.parse(readFileSync(args['bench-json'], 'utf8'));
  const heldOut = new Set(bench.rows.map((r) => r.variant));
  const runs = JSON.parse(readFileSync(args.export, 'utf8')).runs.filter((r) => heldOut.has(r.modelName));
  const replayed = replayLiveLevel(bench.rows, runs);
  const f = (x, d = 1) => x.toFixed(d);
  const line = (label, s) => `| ${label} | ${s.n} | ${f(s.within5Pct)}% | ${f(s.within10Pct)}% | ${f(s.rmspePct, 2)}% |`;
  const applied = replayed.filter((r) => r.live.applied);
  console.log(`Replayed on ${bench.rows.length} held-out variants (${runs.length} runs) of the predict benchmark from ${bench.started}.\n`);
  console.log('| predictions | variants | within ±5% | within ±10% | RMSPE |\n|---|---:|---:|---:|---:|');
  console.log(line('at the trained level', score(replayed.map((r) => [r.predictedMs, r.measuredMs]))));
  console.log(line('at the live level (the held-out runs finished before each variant started)', score(replayed.map((r) => [r.liveMs, r.measuredMs]))));
  console.log(line('… those with the level applied (≥ 5 runs before them), trained level', score(applied.map((r) => [r.predictedMs, r.measuredMs]))));
  console.log(line('… the same, live level', score(applied.map((r) => [r.liveMs, r.measuredMs]))));
  const factors = applied.map((r) => r.live.factor).sort((a, b) => a - b);
  console.log(`\nlevel factors applied: ${factors.length} variants, ${f(factors[0], 3)}–${f(factors.at(-1), 3)}, median ${f(factors[factors.length >> 1], 3)}`);
}
