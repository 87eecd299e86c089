// Latency predictors (issue 14) on a real local fleet (embedded Postgres, control, query, one CPU
// agent pinned to the last core): run the built-in `calibrate` study, train the device's predictor
// through the API, then measure variants it never saw (drawn with another seed, none of the
// training names) and compare POST /api/v1/predictions with their measured medians.
//   npm run build && node test/bench/predict.bench.mjs [--calibrate calibrate,calibrate-2,…] [--holdout-seeds 11,12] [--data-dir DIR] [--export FILE]
// With --data-dir, a fleet whose studies already finished is reused (their runs are not repeated).
// Prints Markdown for test/bench/RESULTS.md and writes the raw answers to --out (JSON); --export
// writes every run of the studies with its per-node kernel medians (offline experiments).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { calibrationVariants, CALIBRATE_PROTOCOL, DEFAULT_CALIBRATE } from '../../dist/lib/models/calibrate-study.js';
import { builtinStudy } from '../../dist/lib/models/index.js';
import { benchFleet, machine } from './bench-support.mjs';

const { values: args } = parseArgs({
  options: {
    // built-in calibration studies the predictor is trained on (each about 120 variants: a study's models are bounded in size)
    calibrate: { type: 'string', default: 'calibrate,calibrate-2,calibrate-3,calibrate-4,calibrate-5,calibrate-6,calibrate-7' },
    // seeds of the held-out draws (none of the training names), one study each
    'holdout-seeds': { type: 'string', default: '11,12' },
    'data-dir': { type: 'string' },
    'measure-only': { type: 'boolean', default: false },
    port: { type: 'string' },
    out: { type: 'string', default: join(os.tmpdir(), 'latfleet-predict.json') },
    export: { type: 'string' },
  },
});
const log = (s) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

const keep = Boolean(args['data-dir']);
const dataDir = args['data-dir'] ?? join(os.tmpdir(), `latfleet-bench-predict-${process.pid}`);
mkdirSync(dataDir, { recursive: true });
const base = Number(args.port ?? 48000 + Math.floor(Math.random() * 1000));
const { fleet, http } = benchFleet(dataDir, base);

/** The study by this name, submitted unless one already completed or runs (POST builds its models first: about a minute for 120). */
async function submitted(spec) {
  const existing = (await http('GET', `/api/v1/studies?name=${encodeURIComponent(spec.name)}&limit=10`)).items;
  let id = existing.find((s) => s.status === 'completed')?.id ?? existing.find((s) => !['failed', 'cancelled'].includes(s.status))?.id;
  if (!id) {
    id = (await http('POST', '/api/v1/studies', spec)).id;
    log(`${spec.name}: ${spec.variants.length} variants submitted`);
  }
  return id;
}

/** Submits the studies one after another (the agent measures the first while the next ones build), then waits for all. */
async function measuredAll(specs) {
  const ids = [];
  for (const spec of specs) ids.push(await submitted(spec));
  const out = [];
  for (const id of ids) out.push(await measured(id));
  return out;
}

/** Waits for the study to finish; its runs and comparison. */
async function measured(id) {
  let study;
  for (let last = ''; ;) {
    study = await http('GET', `/api/v1/studies/${id}`);
    const line = `${study.name}: ${study.status} ${study.progress?.completed ?? ''}/${study.progress?.total ?? ''}`;
    if (line !== last) log((last = line));
    if (['completed', 'failed', 'cancelled'].includes(study.status)) break;
    await new Promise((r) => setTimeout(r, 5000));
  }
  const runs = [];
  for (let offset = 0; ; offset += 500) {
    const page = await http('GET', `/api/v1/runs?study=${id}&limit=500&offset=${offset}`);
    runs.push(...page.items);
    if (runs.length >= page.total || page.items.length === 0) break;
  }
  const comparison = await http('GET', `/api/v1/studies/${id}/comparison?include=flagged`);
  return { id, study, runs, comparison };
}

/** Run details (the runs' own clocks and reports), fetched a few at a time. */
async function runDetails(runs) {
  const out = [];
  for (let i = 0; i < runs.length; i += 16) out.push(...(await Promise.all(runs.slice(i, i + 16).map((r) => http('GET', `/api/v1/runs/${r.id}`)))));
  return out;
}

/**
 * Fleet time of studies measured one after another on one device: from the first run's start to the
 * last run's end (the agent's clock; gaps while models build count), the runs' own durations
 * summed, and from the first submission to the last completion.
 */
async function fleetTime(list) {
  const details = await runDetails(list.flatMap((s) => s.runs));
  const start = Math.min(...details.map((r) => Date.parse(r.startedAt)));
  const end = Math.max(...details.map((r) => Date.parse(r.finishedAt)));
  return {
    details,
    measuringSeconds: (end - start) / 1000,
    runSeconds: details.reduce((a, r) => a + (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000, 0),
    submittedToDoneSeconds: (Math.max(...list.map((s) => Date.parse(s.study.finishedAt))) - Math.min(...list.map((s) => Date.parse(s.study.createdAt)))) / 1000,
  };
}

/** Every run of these studies with its model and per-node kernel medians, read from the fleet's Postgres (for offline experiments). */
async function exportRuns(file, studies) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: fleet.databaseUrl });
  await client.connect();
  try {
    const ids = studies.map((s) => s.id);
    const { rows: runs } = await client.query(
      `SELECT r.id AS "runId", s.name AS study, r.round, r.flagged, r.started_at AS "startedAt", r.finished_at AS "finishedAt", r.median_ns::float8 AS "medianNs",
              r.profiled_median_ns::float8 AS "profiledMedianNs", r.environment->>'runtimeVersion' AS runtime, m.sha256 AS "modelSha256", m.name AS "modelName", m.family, m.spec, m.layers
         FROM runs r JOIN studies s ON s.id = r.study_id JOIN models m ON m.sha256 = r.model_sha256 WHERE r.study_id = ANY($1::uuid[]) ORDER BY r.started_at`,
      [ids],
    );
    const { rows: kernels } = await client.query(
      `SELECT t.run_id AS "runId", t.node_name AS "nodeName", t.op_type AS "opType", t.layer, percentile_cont(0.5) WITHIN GROUP (ORDER BY t.duration_ns) AS "medianNs"
         FROM layer_timings t JOIN runs r ON r.id = t.run_id WHERE r.study_id = ANY($1::uuid[]) GROUP BY t.run_id, t.node_name, t.op_type, t.layer`,
      [ids],
    );
    writeFileSync(file, JSON.stringify({ runs, kernels: kernels.map((k) => ({ ...k, medianNs: Number(k.medianNs) })) }));
    log(`exported ${runs.length} runs, ${kernels.length} kernel medians to ${file}`);
  } finally {
    await client.end();
  }
}

const results = { machine: machine(), started: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
log(`fleet in ${dataDir}`);
try {
  await fleet.start(log);
  const calibrateSpecs = args.calibrate.split(',').map((name) => builtinStudy(name));
  const calibrations = await measuredAll(calibrateSpecs);
  const training = new Set(calibrateSpecs.flatMap((c) => c.variants));
  const unseen = [];
  const holdoutSpecs = [];
  for (const seed of args['holdout-seeds'].split(',').map(Number)) {
    const drawn = calibrationVariants({ ...DEFAULT_CALIBRATE, budgetSeconds: 1e9, seed, exclude: new Set([...training, ...unseen.map((v) => v.name)]) });
    unseen.push(...drawn);
    holdoutSpecs.push({
      name: `predict-holdout-${seed}`,
      description: 'variants the predictor never saw, measured like the calibration',
      variants: drawn.map((v) => v.name),
      baseline: drawn[0].name,
      protocol: { ...CALIBRATE_PROTOCOL },
    });
  }
  // submitted once the calibration finished: its fleet time is one span of the agent's clock, no held-out run inside it
  const holdouts = await measuredAll(holdoutSpecs);
  if (args.export) await exportRuns(args.export, [...calibrations, ...holdouts]);
  const runsOf = (list) => list.flatMap((s) => s.runs);
  const details = new Map();
  const summary = async (list, variants) => {
    const time = await fleetTime(list);
    for (const d of time.details) details.set(d.variant, [...(details.get(d.variant) ?? []), d]);
    return {
      ids: list.map((s) => s.id),
      variants,
      runs: runsOf(list).length,
      fleetSeconds: time.measuringSeconds,
      runSeconds: time.runSeconds,
      submittedToDoneSeconds: time.submittedToDoneSeconds,
      flaggedRuns: runsOf(list).filter((r) => r.flagged).length,
      preemptedRuns: time.details.filter((r) => (r.flags ?? []).includes('busy-cpu')).length,
    };
  };
  results.calibrate = await summary(calibrations, training.size);
  results.holdout = await summary(holdouts, unseen.length);
  log(`calibrate ${JSON.stringify(results.calibrate)}; holdout ${JSON.stringify(results.holdout)}`);
  if (!args['measure-only']) {
    const device = calibrations[0].runs[0].device;
    let t0 = Date.now();
    // flagged runs too: on a shared host every calibration run may be flagged busy (counted in the results)
    const predictor = await http('POST', '/api/v1/predictors', { device, includeFlagged: true, studies: calibrations.map((c) => c.id) });
    results.trainSeconds = (Date.now() - t0) / 1000;
    results.predictor = { id: predictor.id, version: predictor.version, variants: predictor.trainingVariants, validation: predictor.validation };
    log(`trained ${predictor.version} in ${results.trainSeconds.toFixed(1)} s: ${JSON.stringify(predictor.validation)}`);
    t0 = Date.now();
    const answer = await http('POST', '/api/v1/predictions', { variants: unseen.map((v) => v.name), devices: [device] });
    results.predictSeconds = (Date.now() - t0) / 1000;
    // ranking a design space: 1,000 variants in one request, as `latfleet predict --from FILE` sends them
    const many = calibrationVariants({ ...DEFAULT_CALIBRATE, budgetSeconds: 1e9, maxModelMb: 1e9, maxVariants: 1000, seed: 1000 }).map((v) => v.name);
    t0 = Date.now();
    const manyAnswer = await http('POST', '/api/v1/predictions', { variants: many, devices: [device], layers: false });
    results.thousand = { variants: manyAnswer.predictions.length, seconds: (Date.now() - t0) / 1000 };
    log(`${results.thousand.variants} predictions in ${results.thousand.seconds} s`);
    const measuredMs = new Map(holdouts.flatMap((h) => h.comparison.rows.map((r) => [r.variant, r.medianMs])));
    // a held-out run's own per-layer kernel sum: what the kernel predictors predict, and whether its timed runs were slowed by other work
    const kernelSumMs = (variant) => {
      const sums = (details.get(variant) ?? [])
        .map((d) => ({ d, ratio: d.report?.attribution?.layerSumToTimedMedian }))
        .filter(({ ratio }) => typeof ratio === 'number' && ratio > 0)
        .map(({ d, ratio }) => (ratio * d.statistics.medianNs) / 1e6)
        .sort((a, b) => a - b);
      return sums.length ? (sums[(sums.length - 1) >> 1] + sums[sums.length >> 1]) / 2 : null;
    };
    const rows = answer.predictions
      .filter((p) => measuredMs.get(p.variant) != null)
      .map((p) => ({
        variant: p.variant,
        family: unseen.find((v) => v.name === p.variant)?.family,
        predictedMs: p.medianMs,
        measuredMs: measuredMs.get(p.variant),
        predictedKernelsMs: p.kernelSumMs,
        measuredKernelsMs: kernelSumMs(p.variant),
        outOfRange: p.outOfRange.length > 0,
      }));
    const undisturbed = rows.filter((r) => r.measuredKernelsMs != null && r.measuredMs <= 1.25 * r.measuredKernelsMs);
    const score = (list) => {
      const e = list.map((r) => (r.predictedMs - r.measuredMs) / r.measuredMs);
      const within = (x) => (100 * e.filter((v) => Math.abs(v) <= x).length) / e.length;
      const rank = (xs) => {
        const o = xs.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]);
        const r = new Array(xs.length);
        o.forEach(([, i], k) => (r[i] = k + 1));
        return r;
      };
      const rp = rank(list.map((r) => r.predictedMs));
      const rm = rank(list.map((r) => r.measuredMs));
      const n = list.length;
      const rho = 1 - (6 * rp.reduce((a, v, i) => a + (v - rm[i]) ** 2, 0)) / (n * (n * n - 1));
      return { n, within5Pct: within(0.05), within10Pct: within(0.1), rmspePct: 100 * Math.sqrt(e.reduce((a, v) => a + v * v, 0) / n), spearmanRho: rho, insideIntervalPct: null };
    };
    const inside = answer.predictions.filter(
      (p) => measuredMs.get(p.variant) != null && measuredMs.get(p.variant) >= p.intervalLowMs && measuredMs.get(p.variant) <= p.intervalHighMs,
    ).length;
    results.heldOut = { ...score(rows), insideIntervalPct: (100 * inside) / rows.length, outOfRange: rows.filter((r) => r.outOfRange).length };
    results.undisturbed = score(undisturbed);
    results.kernelSums = score(rows.filter((r) => r.measuredKernelsMs != null).map((r) => ({ predictedMs: r.predictedKernelsMs, measuredMs: r.measuredKernelsMs })));
    results.byFamily = Object.fromEntries([...new Set(rows.map((r) => r.family))].sort().map((f) => [f, score(rows.filter((r) => r.family === f))]));
    results.rows = rows;
    // after the predictions above (this predictor is the device's latest from now on): the same learning on the held-out studies alone (their runs were rarely preempted): what cleaner training data gives, by cross-validation
    const clean = await http('POST', '/api/v1/predictors', { device, includeFlagged: true, studies: holdouts.map((h) => h.id) });
    results.cleanCrossValidation = clean.validation;
    log(`cross-validation on the held-out studies: ${JSON.stringify(clean.validation)}`);
    log(`held out: ${JSON.stringify(results.heldOut)}`);

    const f = (x, d = 1) => (x == null ? '—' : x.toFixed(d));
    const lines = [
      `| set | variants | within ±5% | within ±10% | RMSPE | Spearman ρ |`,
      `|---|---:|---:|---:|---:|---:|`,
      `| cross-validation on calibrate (5 folds by variant) | ${predictor.validation.heldOutVariants} | ${f(predictor.validation.within5Pct)}% | ${f(predictor.validation.within10Pct)}% | ${f(predictor.validation.rmspePct, 2)}% | ${f(predictor.validation.spearmanRho, 3)} |`,
      `| unseen variants (seeds ${args['holdout-seeds']}) | ${results.heldOut.n} | ${f(results.heldOut.within5Pct)}% | ${f(results.heldOut.within10Pct)}% | ${f(results.heldOut.rmspePct, 2)}% | ${f(results.heldOut.spearmanRho, 3)} |`,
      `| … whose timed runs agree with their own kernel sum (timed median ≤ 1.25 × Σ kernels) | ${results.undisturbed.n} | ${f(results.undisturbed.within5Pct)}% | ${f(results.undisturbed.within10Pct)}% | ${f(results.undisturbed.rmspePct, 2)}% | ${f(results.undisturbed.spearmanRho, 3)} |`,
      `| unseen variants, Σ predicted kernels vs the run's Σ measured kernels | ${results.kernelSums.n} | ${f(results.kernelSums.within5Pct)}% | ${f(results.kernelSums.within10Pct)}% | ${f(results.kernelSums.rmspePct, 2)}% | ${f(results.kernelSums.spearmanRho, 3)} |`,
      `| cross-validation on the held-out studies themselves (5 folds by variant; ${results.holdout.preemptedRuns} of ${results.holdout.runs} runs preempted) | ${clean.validation.heldOutVariants} | ${f(clean.validation.within5Pct)}% | ${f(clean.validation.within10Pct)}% | ${f(clean.validation.rmspePct, 2)}% | ${f(clean.validation.spearmanRho, 3)} |`,
      ...Object.entries(results.byFamily).map(([fam, s]) => `| … ${fam} | ${s.n} | ${f(s.within5Pct)}% | ${f(s.within10Pct)}% | ${f(s.rmspePct, 2)}% | ${f(s.spearmanRho, 3)} |`),
    ];
    console.log(lines.join('\n'));
    console.log(
      `\ncalibrate: ${results.calibrate.variants} variants, ${results.calibrate.runs} runs (${results.calibrate.flaggedRuns} flagged, ${results.calibrate.preemptedRuns} busy-cpu), ${f(results.calibrate.fleetSeconds / 60)} min of fleet time measuring (${f(results.calibrate.submittedToDoneSeconds / 60)} min from submission to completion); held out: ${results.holdout.runs} runs (${results.holdout.flaggedRuns} flagged, ${results.holdout.preemptedRuns} busy-cpu); training ${f(results.trainSeconds)} s; ${rows.length} predictions with per-layer breakdown in ${f(results.predictSeconds, 2)} s, ${results.thousand.variants} without in ${f(results.thousand.seconds, 2)} s; ${f(results.heldOut.insideIntervalPct)}% of measured medians inside the interval; ${results.heldOut.outOfRange} flagged out of range`,
    );
  }
} finally {
  writeFileSync(args.out, JSON.stringify(results, null, 1));
  await fleet.stop();
  if (!keep) rmSync(dataDir, { recursive: true, force: true });
}
