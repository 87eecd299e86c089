// The comparison endpoint with 10 million per-layer rows stored: generates a realistic fleet's
// results into a real (embedded) Postgres with set-based SQL, starts the query service on it and
// times its answers over HTTP. Prints a Markdown section for test/bench/RESULTS.md.
//   npm run build && node test/bench/query-comparison.bench.mjs [--rows 10000000] [--keep DIR]
// With --keep DIR the generated database is kept in DIR and reused by the next run.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createServer } from 'node:net';
import pg from 'pg';
import { loadConfig } from '../../dist/lib/config/index.js';
import { describeVariant } from '../../dist/lib/models/index.js';
import { createDataSource, migrate, startEmbeddedPostgres } from '../../dist/lib/store/index.js';
import { startQuery } from '../../dist/query/main.js';
import { machine } from './bench-support.mjs';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '10000000' }, keep: { type: 'string' }, requests: { type: 'string', default: '40' } } });
const TARGET_ROWS = Number(args.rows);
const REQUESTS = Number(args.requests);
const DEVICES = 8;
const ITERATIONS = 20;
const TIMED = 100;
const VARIANTS = [
  'mobilenetv3-large-1.0', 'mobilenetv3-large-1.0+act=relu', 'mobilenetv3-large-1.0+act=hswish', 'mobilenetv3-large-1.0+act=@16',
  'mobilenetv3-large-1.0+act=@112', 'mobilenetv3-large-1.0+hswish=decomposed', 'mobilenetv3-large-1.0@192', 'mobilenetv3-large-1.0@160',
  'mobilenetv3-large-1.0@128', 'mobilenetv3-large-0.75',
];

const dataDir = args.keep ?? mkdtempSync(join(os.tmpdir(), 'latfleet-bench-query-'));
const log = (s) => process.stderr.write(`${s}\n`);
const port = 57000 + Math.floor(Math.random() * 1000);
const server = await startEmbeddedPostgres({ dataDir, port, database: 'bench' });
const ds = createDataSource(server.url, { poolSize: 2 });
await ds.initialize();
await migrate(ds);
await ds.destroy();
const db = new pg.Client({ connectionString: server.url });
await db.connect();
let app;
const cleanup = async () => {
  await app?.close().catch(() => undefined);
  await db.end().catch(() => undefined);
  await server.stop().catch(() => undefined);
  if (!args.keep) rmSync(dataDir, { recursive: true, force: true });
};
process.on('uncaughtException', async (err) => {
  log(err.stack ?? String(err));
  await cleanup();
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  throw err;
});

async function generate() {
  const described = VARIANTS.map((v) => describeVariant(v));
  const nodesPerIteration = described.reduce((s, d) => s + d.layers.reduce((t, l) => t + l.nodes.length, 0) + 2, 0) / described.length;
  const rowsPerStudy = nodesPerIteration * ITERATIONS * VARIANTS.length * DEVICES;
  const studies = Math.ceil(TARGET_ROWS / rowsPerStudy);
  log(`generating ${studies} studies × ${VARIANTS.length} variants × ${DEVICES} devices, ${ITERATIONS} profiled iterations of ~${nodesPerIteration.toFixed(0)} nodes each`);
  await db.query(`CREATE TEMP TABLE bench_nodes (sha char(64), node text, op text, layer text, base_ns float8)`);
  for (const [i, d] of described.entries()) {
    const sha = String(i).padStart(64, 'b');
    await db.query(
      `INSERT INTO models (sha256, name, family, spec, resolution, input_name, input_shape, size_bytes, madds, params, layers, data)
       VALUES ($1, $2, $3, $4, $5, 'input', $6, 1, $7, $8, $9, '\\x00')`,
      [sha, d.name, d.family, JSON.stringify(d.spec), d.resolution, d.inputShape, d.madds, d.params, JSON.stringify(d.layers)],
    );
    const nodes = d.layers.flatMap((l) => l.nodes.map((n) => [n, n.endsWith('.conv') ? 'FusedConv' : n.endsWith('.act') ? 'HardSwish' : 'Mul', l.name, Math.max(2_000, l.madds / 50)]));
    nodes.push(['ReorderOutput_0', 'ReorderOutput', '', 4_000], ['ReorderInput_1', 'ReorderInput', '', 3_000]);
    await db.query(`INSERT INTO bench_nodes SELECT $1, n, o, l, b FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[]) AS t(n, o, l, b)`, [
      sha, nodes.map((n) => n[0]), nodes.map((n) => n[1]), nodes.map((n) => n[2]), nodes.map((n) => n[3]),
    ]);
  }
  await db.query(
    `INSERT INTO devices (name, device_class, cpu_model, cores, os, hostname, runner, runtime_version, agent_version, credential_hash, state, last_seen_at)
     SELECT 'bench-' || g, CASE WHEN g < 4 THEN 'cpu' ELSE 'phone' END, 'bench', 8, 'linux', 'h', 'ort-node', '1.30.0', '0.1.0', 'x', 'online', now()
       FROM generate_series(0, $1 - 1) g`,
    [DEVICES],
  );
  const started = Date.now();
  for (let s = 0; s < studies; s++) {
    await db.query('BEGIN');
    const { rows: [study] } = await db.query(`INSERT INTO studies (name, spec, baseline_label, status, finished_at) VALUES ($1, '{}', 'v0', 'completed', now()) RETURNING id`, [`bench-${s}`]);
    await db.query(
      `INSERT INTO variants (study_id, label, model_sha256, is_baseline, position)
       SELECT $1, 'v' || g, lpad(g::text, 64, 'b'), g = 0, g FROM generate_series(0, $2 - 1) g`,
      [study.id, VARIANTS.length],
    );
    await db.query(
      `WITH cells AS (
         SELECT v.id AS variant_id, v.model_sha256, v.position, d.id AS device_id, d.name FROM variants v CROSS JOIN devices d WHERE v.study_id = $1
       ), jobs AS (
         INSERT INTO jobs (study_id, variant_id, protocol, state, attempt, device_id)
         SELECT $1, variant_id, '{"graphOptimizationLevel": "all"}', 'completed', 1, device_id FROM cells RETURNING id, variant_id, device_id
       )
       INSERT INTO runs (job_id, attempt, study_id, variant_id, device_id, model_sha256, started_at, finished_at, protocol, environment, timed_runs,
                         median_ns, p90_ns, min_ns, mean_ns, profiled_median_ns, latency_rows, layer_rows)
       SELECT j.id, 1, $1, c.variant_id, c.device_id, c.model_sha256, now(), now(), '{"graphOptimizationLevel": "all"}',
              '{"runtimeVersion": "1.30.0", "agentVersion": "0.1.0"}', $2, 0, 0, 0, 0, 0, $2,
              (SELECT count(*) FROM bench_nodes n WHERE n.sha = c.model_sha256) * $3
         FROM jobs j JOIN cells c ON c.variant_id = j.variant_id AND c.device_id = j.device_id`,
      [study.id, TIMED, ITERATIONS],
    );
    // Latency: per device a speed factor, per variant a few percent apart, 2% noise.
    await db.query(
      `INSERT INTO run_latencies (run_id, iteration, latency_ns)
       SELECT r.id, i, (4e6 * (1 + 0.5 * (right(d.name, 1)::int)) * (1 + 0.03 * v.position) * (1 + 0.02 * random()))::bigint
         FROM runs r JOIN variants v ON v.id = r.variant_id JOIN devices d ON d.id = r.device_id CROSS JOIN generate_series(0, $2 - 1) i
        WHERE r.study_id = $1`,
      [study.id, TIMED],
    );
    await db.query(
      `UPDATE runs r SET median_ns = x.m, p90_ns = x.p, min_ns = x.mn, mean_ns = x.a, profiled_median_ns = x.m
         FROM (SELECT run_id, percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ns) m, percentile_disc(0.9) WITHIN GROUP (ORDER BY latency_ns) p,
                      min(latency_ns) mn, avg(latency_ns) a FROM run_latencies l JOIN runs r2 ON r2.id = l.run_id WHERE r2.study_id = $1 GROUP BY run_id) x
        WHERE r.id = x.run_id`,
      [study.id],
    );
    await db.query(
      `INSERT INTO layer_timings (run_id, iteration, node_name, op_type, layer, duration_ns, provider)
       SELECT r.id, it, n.node, n.op, n.layer, (n.base_ns * (1 + 0.5 * (right(d.name, 1)::int)) * (1 + 0.05 * random()))::bigint, 'CPUExecutionProvider'
         FROM runs r JOIN devices d ON d.id = r.device_id JOIN bench_nodes n ON n.sha = r.model_sha256 CROSS JOIN generate_series(0, $2 - 1) it
        WHERE r.study_id = $1`,
      [study.id, ITERATIONS],
    );
    await db.query('COMMIT');
    if (s % 5 === 4 || s === studies - 1) log(`  ${s + 1}/${studies} studies, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  await db.query('VACUUM ANALYZE');
  return (Date.now() - started) / 1000;
}

const { rows: [{ n: existing }] } = await db.query(`SELECT count(*)::int AS n FROM runs`);
const generateSeconds = existing ? null : await generate();
const { rows: [counts] } = await db.query(
  `SELECT (SELECT count(*) FROM layer_timings)::bigint AS layer, (SELECT count(*) FROM run_latencies)::bigint AS latency, (SELECT count(*) FROM runs)::int AS runs,
          (SELECT count(*) FROM studies)::int AS studies, pg_size_pretty(pg_total_relation_size('layer_timings')) AS size`,
);
log(`stored: ${counts.layer} layer rows (${counts.size}), ${counts.latency} latency rows, ${counts.runs} runs, ${counts.studies} studies`);

const httpPort = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
app = await startQuery(loadConfig({ DATABASE_URL: server.url, LATFLEET_HTTP_PORT: String(httpPort), LATFLEET_LOG_LEVEL: 'error' }));
const base = `http://127.0.0.1:${httpPort}`;
// The warm-up study runs every endpoint once (JIT, connection pool); the target study is then asked for the first time.
const { rows: [warm, target] } = await db.query(`SELECT id FROM studies ORDER BY created_at LIMIT 2 OFFSET $1`, [Math.max(0, Math.min(Math.floor(counts.studies / 2), counts.studies - 2))]);
const { rows: [aRun] } = await db.query(`SELECT id FROM runs WHERE study_id = $1 LIMIT 1`, [target.id]);
const { rows: [warmRun] } = await db.query(`SELECT id FROM runs WHERE study_id = $1 LIMIT 1`, [warm.id]);

async function time(path) {
  const t0 = process.hrtime.bigint();
  const res = await fetch(base + path);
  const body = await res.text();
  const msTaken = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${body.slice(0, 200)}`);
  return { ms: msTaken, bytes: body.length };
}
const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

const endpoints = [
  ['comparison (8 devices × 10 variants, 8000 latencies)', `/api/v1/studies/${target.id}/comparison`],
  ['comparison, one device', `/api/v1/studies/${target.id}/comparison?device=bench-3`],
  ['ablation table (JSON)', `/api/v1/studies/${target.id}/table`],
  ['ablation table (CSV)', `/api/v1/studies/${target.id}/table?format=csv`],
  ['layer deltas (2 × 20 profiled iterations)', `/api/v1/studies/${target.id}/layer-deltas?variant=v5&device=bench-3`],
  ['reward', `/api/v1/studies/${target.id}/reward?target=10`],
  ['Pareto fronts', `/api/v1/studies/${target.id}/pareto`],
  ['run layers', `/api/v1/runs/${aRun.id}/layers`],
  ['studies list', `/api/v1/studies?limit=50`],
  ['metrics', `/metrics`],
];
const t0 = Date.now();
const coldComparisonMs = (await time(endpoints[0][1].replace(target.id, warm.id))).ms;
for (const [, path] of endpoints.slice(1)) await time(path.replace(target.id, warm.id).replace(aRun.id, warmRun.id));
const warmUpMs = Date.now() - t0;
const results = [];
for (const [name, path] of endpoints) {
  const first = await time(path);
  const times = [];
  for (let i = 0; i < REQUESTS; i++) times.push((await time(path)).ms);
  results.push({ name, path, first: first.ms, bytes: first.bytes, p50: q(times, 0.5), p95: q(times, 0.95), max: Math.max(...times) });
  log(`${name}: first ${first.ms.toFixed(1)} ms, p50 ${q(times, 0.5).toFixed(1)} ms, p95 ${q(times, 0.95).toFixed(1)} ms`);
}
// The comparison's one database query (services/query/comparison.repository.ts, cells()).
const { rows: plan } = await db.query(
  `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
   SELECT r.variant_id, r.device_id, d.name, d.device_class, string_agg(x.samples, ','), array_agg(r.id ORDER BY r.id)
     FROM runs r JOIN devices d ON d.id = r.device_id
     CROSS JOIN LATERAL (SELECT string_agg(l.latency_ns::text, ',') AS samples FROM run_latencies l WHERE l.run_id = r.id) x
    WHERE r.study_id = $1 AND ($2::uuid[] IS NULL OR r.device_id = ANY($2::uuid[])) AND x.samples IS NOT NULL
    GROUP BY r.variant_id, r.device_id, d.name, d.device_class ORDER BY d.name`,
  [target.id, null],
);
const cellsQueryMs = plan[0]['QUERY PLAN'][0]['Execution Time'];

await cleanup();

const m = machine();
const f = (x) => x.toFixed(1);
console.log(`## Query

The query service's answers with ${Number(counts.layer).toLocaleString('en')} per-layer rows stored (${counts.size} with its primary key),
${Number(counts.latency).toLocaleString('en')} raw latencies, ${counts.runs} runs in ${counts.studies} studies (each: ${VARIANTS.length} MobileNetV3-Large variants × ${DEVICES} devices,
${TIMED} timed iterations, ${ITERATIONS} profiled iterations of ~146 nodes), generated with set-based SQL${generateSeconds ? ` in ${f(generateSeconds)} s` : ' (reused database)'}.
Times are wall-clock over HTTP on loopback (query service in the benchmark's process, embedded PostgreSQL 18 on the same machine),
one request at a time. After a warm-up (every endpoint once on another study: ${warmUpMs} ms in all, of which the very first
comparison after start, cold JIT and connection pool, took ${f(coldComparisonMs)} ms), the target study is asked
for the first time ("first": nothing of it cached), then ${REQUESTS} more times (p50, p95, max: the statistics of stored runs are
cached by run ids, since stored runs never change). Target: the comparison within 100 ms.

| endpoint | first ms | p50 ms | p95 ms | max ms | response bytes |
|---|---:|---:|---:|---:|---:|
${results.map((r) => `| ${r.name} | ${f(r.first)} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.max)} | ${r.bytes} |`).join('\n')}

The comparison's one database query (raw latencies of the study's 80 runs: runs index, then one range of the run_latencies
primary key per run) took ${cellsQueryMs.toFixed(1)} ms (EXPLAIN ANALYZE, after the requests); the rest of a first answer is one
bootstrap per cell (2000 resamples, shared by its CI and its comparison with the baseline), the Mann–Whitney tests and JSON.
Per-layer rows are read only by run (primary key prefix: layer deltas, run layers), so their count does not enter the comparison.

Machine: ${m.cpuModel}, ${m.nproc} cores, ${m.kernel}, Node ${m.node}; 1/5/15-minute load average at the end ${m.loadAverage}
(the machine was shared with other work; the benchmark does not wait for quiet).
Command: \`npm run build && node test/bench/query-comparison.bench.mjs --rows ${TARGET_ROWS}\` (${new Date().toISOString().slice(0, 10)}).
`);
