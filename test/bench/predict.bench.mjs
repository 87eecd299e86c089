// Latency predictors (issue 14) on a real local fleet (embedded Postgres, control, query, one CPU
// agent pinned to the last core): run the built-in `calibrate` study, train the device's predictor
// through the API, then measure variants it never saw (drawn with another seed, none of the
// training names) and compare POST /api/v1/predictions with their measured medians.
//   npm run build && node test/bench/predict.bench.mjs [--calibrate calibrate,calibrate-2,…] [--holdout-seeds 11,12] [--data-dir DIR] [--export FILE]
// --format tflite: the same on LiteRT (the agent runs the litert runner; calibrate-tflite, … as TFLite; an end-to-end predictor).
// With --data-dir, a fleet whose studies already finished is reused (their runs are not repeated).
// Prints Markdown for test/bench/RESULTS.md and writes the raw answers to --out (JSON); --export
// writes every run of the studies with its per-node kernel medians (offline experiments).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { calibrationSpec, calibrationVariants, DEFAULT_CALIBRATE } from '../../dist/lib/models/calibrate-study.js';
import { builtinStudy } from '../../dist/lib/models/index.js';
import { benchFleet, machine } from './bench-support.mjs';

const { values: args } = parseArgs({
  options: {
    // built-in calibration studies the predictor is trained on (each about 120 variants: a study's models are bounded in size; two replicates each, four studies about 21 min of the agent's time)
    calibrate: { type: 'string' },
    // onnx: ONNX Runtime, profiled per kernel; tflite: LiteRT (Wasm, XNNPACK), end to end only
    format: { type: 'string', default: 'onnx' },
    // seeds of the held-out draws (none of the training names), one study each
    'holdout-seeds': { type: 'string', default: '11,12' },
    'data-dir': { type: 'string' },
    'measure-only': { type: 'boolean', default: false },
    port: { type: 'string' },
    out: { type: 'string', default: join(os.tmpdir(), 'latfleet-predict.json') },
    export: { type: 'string' },
    // calibration studies the predictor learns from (default: all of --calibrate), e.g. to stay within a fleet-time budget
    train: { type: 'string' },
  },
});
const log = (s) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
if (!['onnx', 'tflite'].includes(args.format)) throw new Error(`--format: onnx or tflite, not ${args.format}`);
const tflite = args.format === 'tflite';
args.calibrate ??= tflite ? 'calibrate-tflite,calibrate-tflite-2,calibrate-tflite-3' : 'calibrate,calibrate-2,calibrate-3,calibrate-4';
// the local agent runs what the studies hold: LiteRT for TFLite
if (tflite) process.env.LATFLEET_AGENT_RUNNER ??= 'litert';

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
              r.profiled_median_ns::float8 AS "profiledMedianNs", r.environment->>'runtimeVersion' AS runtime, m.sha256 AS "modelSha256", m.name AS "modelName", m.family, m.spec, m.layers,
              ((r.report->'attempts'->-1->'environmentBefore'->>'hostProbeNs')::float8 + (r.report->'attempts'->-1->'environmentAfter'->>'hostProbeNs')::float8) / 2 AS "hostProbeNs",
              (r.report->'quality'->>'cpuShare')::float8 AS "cpuShare"
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
  // a name that is not a built-in study names one already on the fleet (e.g. a re-measurement of disturbed variants)
  const calibrateSpecs = args.calibrate.split(',').map((name) => {
    try {
      return builtinStudy(name);
    } catch {
      return { name, variants: [] };
    }
  });
  const calibrations = await measuredAll(calibrateSpecs);
  const training = new Set(calibrateSpecs.flatMap((c) => c.variants));
  const unseen = [];
  const holdoutSpecs = [];
  for (const seed of args['holdout-seeds'].split(',').map(Number)) {
    const drawn = calibrationVariants({ ...DEFAULT_CALIBRATE, budgetSeconds: 1e9, seed, format: args.format, exclude: new Set([...training, ...unseen.map((v) => v.name)]) });
    unseen.push(...drawn);
    holdoutSpecs.push(
      calibrationSpec(
        `predict-holdout-${tflite ? 'tflite-' : ''}${seed}`,
        'variants the predictor never saw, measured like the calibration',
        drawn.map((v) => v.name),
        args.format,
      ),
    );
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
      names: list.map((s) => s.study.name),
      variants,
      runs: runsOf(list).length,
      fleetSeconds: time.measuringSeconds,
      runSeconds: time.runSeconds,
      submittedToDoneSeconds: time.submittedToDoneSeconds,
      flaggedRuns: runsOf(list).filter((r) => r.flagged).length,
      preemptedRuns: time.details.filter((r) => (r.flags ?? []).includes('busy-cpu')).length,
    };
  };
  // the predictor learns from --train (default: every calibration study measured)
  const trainNames = args.train ? args.train.split(',') : calibrateSpecs.map((c) => c.name);
  const trainStudies = calibrations.filter((c) => trainNames.includes(c.study.name));
  results.calibrate = await summary(trainStudies, new Set(trainStudies.flatMap((c) => c.study.variants.map((v) => v.label))).size);
  results.holdout = await summary(holdouts, unseen.length);
  log(`calibrate ${JSON.stringify(results.calibrate)}; holdout ${JSON.stringify(results.holdout)}`);
  if (!args['measure-only']) {
    const device = calibrations[0].runs[0].device;
    let t0 = Date.now();
    // flagged runs too: on a shared host every calibration run may be flagged busy (counted in the results)
    const predictor = await http('POST', '/api/v1/predictors', { device, includeFlagged: true, studies: trainStudies.map((c) => c.id) });
    results.trainSeconds = (Date.now() - t0) / 1000;
    results.predictor = { id: predictor.id, version: predictor.version, variants: predictor.trainingVariants, validation: predictor.validation };
    log(`trained ${predictor.version} in ${results.trainSeconds.toFixed(1)} s: ${JSON.stringify(predictor.validation)}`);
    t0 = Date.now();
    const answer = await http('POST', '/api/v1/predictions', { variants: unseen.map((v) => v.name), devices: [device] });
    results.predictSeconds = (Date.now() - t0) / 1000;
    // ranking a design space: 1,000 variants in one request, as `latfleet predict --from FILE` sends them, then through the CLI itself
    const many = calibrationVariants({ ...DEFAULT_CALIBRATE, budgetSeconds: 1e9, maxModelMb: 1e9, maxVariants: 1000, seed: 1000 }).map((v) => v.name);
    t0 = Date.now();
    const manyAnswer = await http('POST', '/api/v1/predictions', { variants: many, devices: [device], layers: false });
    results.thousand = { variants: manyAnswer.predictions.length, seconds: (Date.now() - t0) / 1000 };
    const namesFile = join(dataDir, 'predict-1000.txt');
    writeFileSync(namesFile, many.join('\n') + '\n');
    t0 = Date.now();
    execFileSync(
      process.execPath,
      [fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url)), 'predict', '--from', namesFile, '-d', device, '--url', `http://127.0.0.1:${base + 2}`, '--json'],
      {
        env: { ...process.env, LATFLEET_DATA_DIR: dataDir },
        stdio: ['ignore', 'ignore', 'inherit'],
        maxBuffer: 1 << 30,
      },
    );
    results.thousand.cliSeconds = (Date.now() - t0) / 1000;
    log(`${results.thousand.variants} predictions in ${results.thousand.seconds} s (API), ${results.thousand.cliSeconds} s (latfleet predict --from)`);

    const med = (xs) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : null;
    };
    // each held-out variant's runs: the measured median is the median over its replicates (as the predictor learns), and its own kernel sum
    const measuredMs = (variant) => med((details.get(variant) ?? []).map((d) => d.statistics.medianNs / 1e6));
    // the same at the predictor's reference host speed: each run × reference probe / its own probe (the host's drift between runs, which no predictor can know)
    const referenceProbeNs = predictor.training?.hostProbeNs ?? null;
    const probeOf = (d) => {
      const env = d.report?.attempts?.at(-1);
      const before = env?.environmentBefore?.hostProbeNs;
      const after = env?.environmentAfter?.hostProbeNs;
      return before > 0 && after > 0 ? (before + after) / 2 : null;
    };
    const normalizedMs = (variant) =>
      referenceProbeNs ? med((details.get(variant) ?? []).map((d) => ((d.statistics.medianNs / 1e6) * referenceProbeNs) / (probeOf(d) ?? referenceProbeNs))) : null;
    const kernelSumMs = (variant) =>
      med(
        (details.get(variant) ?? [])
          .map((d) => ({ d, ratio: d.report?.attribution?.layerSumToTimedMedian }))
          .filter(({ ratio }) => typeof ratio === 'number' && ratio > 0)
          .map(({ d, ratio }) => (ratio * d.statistics.medianNs) / 1e6),
      );
    const rows = answer.predictions
      .filter((p) => measuredMs(p.variant) != null)
      .map((p) => ({
        variant: p.variant,
        family: unseen.find((v) => v.name === p.variant)?.family,
        predictedMs: p.medianMs,
        measuredMs: measuredMs(p.variant),
        normalizedMs: normalizedMs(p.variant),
        predictedKernelsMs: p.kernelSumMs,
        measuredKernelsMs: kernelSumMs(p.variant),
        replicatesMs: (details.get(p.variant) ?? []).map((d) => d.statistics.medianNs / 1e6),
        inside: measuredMs(p.variant) >= p.intervalLowMs && measuredMs(p.variant) <= p.intervalHighMs,
        outOfRange: p.outOfRange.length > 0,
      }));
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
      return { n, within5Pct: within(0.05), within10Pct: within(0.1), rmspePct: 100 * Math.sqrt(e.reduce((a, v) => a + v * v, 0) / n), spearmanRho: rho };
    };
    results.heldOut = { ...score(rows), insideIntervalPct: (100 * rows.filter((r) => r.inside).length) / rows.length, outOfRange: rows.filter((r) => r.outOfRange).length };
    results.inRange = score(rows.filter((r) => !r.outOfRange));
    results.normalized = referenceProbeNs ? score(rows.map((r) => ({ predictedMs: r.predictedMs, measuredMs: r.normalizedMs }))) : null;
    results.undisturbed = score(rows.filter((r) => r.measuredKernelsMs != null && r.measuredMs <= 1.25 * r.measuredKernelsMs));
    results.kernelSums = score(rows.filter((r) => r.measuredKernelsMs != null).map((r) => ({ predictedMs: r.predictedKernelsMs, measuredMs: r.measuredKernelsMs })));
    // the noise floor: one replicate "predicting" the other — what a predictor that knew each variant exactly would score against one run
    const paired = rows.filter((r) => r.replicatesMs.length >= 2);
    results.replicates = score(paired.map((r) => ({ predictedMs: r.replicatesMs[0], measuredMs: r.replicatesMs[1] })));
    const pairedNormalized = paired
      .map((r) => (details.get(r.variant) ?? []).slice(0, 2).map((d) => ((d.statistics.medianNs / 1e6) * (referenceProbeNs ?? 1)) / (probeOf(d) ?? referenceProbeNs ?? 1)))
      .filter((x) => x.length === 2);
    results.replicatesNormalized = score(pairedNormalized.map(([a, b]) => ({ predictedMs: a, measuredMs: b })));
    results.byFamily = Object.fromEntries([...new Set(rows.map((r) => r.family))].sort().map((f) => [f, score(rows.filter((r) => r.family === f))]));
    results.rows = rows;
    log(`held out: ${JSON.stringify(results.heldOut)}`);

    const f = (x, d = 1) => (x == null ? '—' : x.toFixed(d));
    const line = (label, s) => `| ${label} | ${s.n} | ${f(s.within5Pct)}% | ${f(s.within10Pct)}% | ${f(s.rmspePct, 2)}% | ${f(s.spearmanRho, 3)} |`;
    const v = predictor.validation;
    const lines = [
      `| set | variants | within ±5% | within ±10% | RMSPE | Spearman ρ |`,
      `|---|---:|---:|---:|---:|---:|`,
      line(`cross-validation on ${trainNames.join(', ')} (5 folds by variant)`, { n: v.heldOutVariants, ...v }),
      line(`**unseen variants** (seeds ${args['holdout-seeds']}) vs the median of their replicates`, results.heldOut),
      line('… those inside the training range', results.inRange),
      ...(results.normalized ? [line("… vs their medians at the predictor's reference host speed (each run scaled by its host probe)", results.normalized)] : []),
      // runs without per-layer timings (LiteRT) have no kernel sums to compare
      ...(results.kernelSums.n > 0
        ? [
            line('… whose timed runs agree with their own kernel sum (timed median ≤ 1.25 × Σ kernels)', results.undisturbed),
            line("unseen variants, Σ predicted kernels vs the runs' Σ measured kernels", results.kernelSums),
          ]
        : []),
      line('noise floor: one replicate of an unseen variant vs the other', results.replicates),
      line('… both scaled to the reference host speed', results.replicatesNormalized),
      ...Object.entries(results.byFamily).map(([fam, s]) => line(`… unseen ${fam}`, s)),
    ];
    console.log(lines.join('\n'));
    const c = results.calibrate;
    console.log(
      `\ncalibrate: ${c.variants} variants, ${c.runs} runs (${c.flaggedRuns} flagged, ${c.preemptedRuns} busy-cpu), ${f(c.fleetSeconds / 60)} min of fleet time (first run's start to last run's end; the runs themselves ${f(c.runSeconds / 60)} min; ${f(c.submittedToDoneSeconds / 60)} min from first submission to last completion); held out: ${results.holdout.runs} runs (${results.holdout.flaggedRuns} flagged, ${results.holdout.preemptedRuns} busy-cpu); training ${f(results.trainSeconds)} s; ${rows.length} predictions with per-layer breakdown in ${f(results.predictSeconds, 2)} s, ${results.thousand.variants} without in ${f(results.thousand.seconds, 2)} s (API) and ${f(results.thousand.cliSeconds, 2)} s (latfleet predict --from FILE, node start included); ${f(results.heldOut.insideIntervalPct)}% of measured medians inside the interval; ${results.heldOut.outOfRange} flagged out of range`,
    );
  }
} finally {
  writeFileSync(args.out, JSON.stringify(results, null, 1));
  await fleet.stop();
  if (!keep) rmSync(dataDir, { recursive: true, force: true });
}
