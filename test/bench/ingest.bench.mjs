// Ingest speed: rows per second stored end to end through UploadResults (gRPC, validation, one
// transaction) against a raw COPY of the same rows into the same tables (run_latencies,
// layer_timings), in the same run, interleaved (the order alternates each repetition). Control runs
// in this process on a real embedded Postgres; one registered agent uploads, one job leased per
// repetition. Prints a Markdown section for test/bench/RESULTS.md (goal: ratio ≥ 0.7).
//   npm run build && node test/bench/ingest.bench.mjs [--latencies 10000] [--layers 100000] [--reps 7]
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { loadConfig } from '../../dist/lib/config/index.js';
import { describeVariant } from '../../dist/lib/models/index.js';
import { agentServiceDefinition } from '../../dist/lib/proto/index.js';
import { createDataSource, JOBS_CHANNEL, migrate, startEmbeddedPostgres } from '../../dist/lib/store/index.js';
import { startControl } from '../../dist/control/main.js';
import { machine, median } from './bench-support.mjs';

const { values: args } = parseArgs({
  options: { latencies: { type: 'string', default: '10000' }, layers: { type: 'string', default: '100000' }, reps: { type: 'string', default: '7' } },
});
const LATENCY_ROWS = Number(args.latencies);
const NODES_PER_ITERATION = 200;
const PROFILED_RUNS = Math.max(1, Math.round(Number(args.layers) / NODES_PER_ITERATION));
const LAYER_ROWS = PROFILED_RUNS * NODES_PER_ITERATION;
const REPS = Number(args.reps);
const ROWS = LATENCY_ROWS + LAYER_ROWS;
const MODEL = 'mobilenetv3-small-0.75@96';
const TOKEN = 'ingest-bench-enrollment-token';
const PROTOCOL = { warmupRuns: 1, timedRuns: LATENCY_ROWS, timedMaxRuns: LATENCY_ROWS, profiledRuns: PROFILED_RUNS, graphOptimizationLevel: 'all' };

const log = (s) => process.stderr.write(`${s}\n`);
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const dataDir = mkdtempSync(join(os.tmpdir(), 'latfleet-bench-ingest-'));
const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), database: 'bench' });
const ds = createDataSource(server.url, { poolSize: 1 });
await ds.initialize();
await migrate(ds);
await ds.destroy();
const db = new pg.Pool({ connectionString: server.url, max: 2 });
const grpcPort = await freePort();
const app = await startControl(
  loadConfig({
    DATABASE_URL: server.url, LATFLEET_GRPC_PORT: String(grpcPort), LATFLEET_ENROLLMENT_TOKEN: TOKEN, LATFLEET_LOG_LEVEL: 'warn',
    LATFLEET_HEARTBEAT_MS: '600000', LATFLEET_LEASE_SECONDS: '86400',
  }),
);
let stub;
const cleanup = async () => {
  stub?.close();
  await app.close().catch(() => undefined);
  await db.end().catch(() => undefined);
  await server.stop().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
};
process.on('uncaughtException', async (err) => {
  log(err.stack ?? String(err));
  await cleanup();
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  throw err;
});

// The model row (its bytes are never fetched here) and one job per repetition, as the query service stores them.
const described = describeVariant(MODEL);
const sha256 = createHash('sha256').update(described.name).digest('hex');
await db.query(
  `INSERT INTO models (sha256, name, family, spec, resolution, input_name, input_shape, size_bytes, madds, params, layers, data)
   VALUES ($1,$2,$3,$4,$5,'input',$6,1,$7,$8,$9,'\\x00')`,
  [sha256, described.name, described.family, JSON.stringify(described.spec), described.resolution, described.inputShape, described.madds, described.params, JSON.stringify(described.layers)],
);
const { rows: [study] } = await db.query(`INSERT INTO studies (name, spec, baseline_label) VALUES ('ingest-bench', '{}', 'v0') RETURNING id`);
await db.query(
  `INSERT INTO variants (study_id, label, model_sha256, is_baseline, position) SELECT $1, 'v' || g, $2, g = 0, g FROM generate_series(0, $3 - 1) g`,
  [study.id, sha256, REPS],
);
await db.query(
  `INSERT INTO jobs (study_id, variant_id, protocol, round, created_at)
   SELECT $1, v.id, $2, v.position, clock_timestamp() FROM variants v WHERE v.study_id = $1 ORDER BY v.position`,
  [study.id, JSON.stringify(PROTOCOL)],
);
await db.query(`SELECT pg_notify($1, $2)`, [JOBS_CHANNEL, study.id]);

// The agent: registers, keeps a session, takes one job at a time.
const pkg = grpc.loadPackageDefinition(agentServiceDefinition());
stub = new pkg.latfleet.v1.AgentService(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 << 20 });
const facts = { name: 'bench-agent', deviceClass: 'cpu', cpuModel: 'bench', cores: 1, os: 'linux', hostname: 'bench', runner: 'sim', runtimeVersion: 'sim', agentVersion: 'sim', tags: {} };
const { credential } = await new Promise((resolve, reject) =>
  stub.register({ enrollmentToken: TOKEN, facts }, new grpc.Metadata(), (err, res) => (err ? reject(err) : resolve(res))),
);
const md = new grpc.Metadata();
md.set('authorization', `Bearer ${credential}`);
const assignments = [];
let wake;
const session = stub.connect(md);
session.on('data', (msg) => {
  if (msg.assignment) assignments.push(msg.assignment);
  if (msg.round) assignments.push(...msg.round.jobs);
  wake?.();
});
session.on('error', () => undefined);
const idle = () => session.write({ heartbeat: { state: 1, jobId: '' } });
async function nextJob() {
  idle();
  const until = Date.now() + 30_000;
  while (assignments.length === 0) {
    if (Date.now() > until) throw new Error('no job leased within 30 s');
    await new Promise((r) => ((wake = r), setTimeout(r, 200)));
  }
  return assignments.shift();
}

// The rows, built once: the same values go through UploadResults and through COPY.
const latenciesNs = Array.from({ length: LATENCY_ROWS }, (_, i) => 3_800_000 + ((i * 7_919) % 400_000));
const OPS = ['Conv', 'HardSigmoid', 'Mul', 'Add', 'GlobalAveragePool', 'ReorderOutput'];
const layerNames = described.layers.map((l) => l.name);
const nodes = Array.from({ length: NODES_PER_ITERATION }, (_, i) => {
  const opType = OPS[i % OPS.length];
  const layer = layerNames[i % layerNames.length];
  return { nodeName: opType === 'ReorderOutput' ? `ReorderOutput_token_${i}` : `${layer}.${opType.toLowerCase()}_${i}_nchwc`, opType };
});
const timings = [];
for (let iteration = 0; iteration < PROFILED_RUNS; iteration++) {
  for (const [i, n] of nodes.entries()) {
    timings.push({ iteration, nodeName: n.nodeName, opType: n.opType, layer: '', durationNs: 5_000 + ((i * 104_729 + iteration) % 150_000), provider: 'CPUExecutionProvider' });
  }
}

function uploadParts(a) {
  const base = { jobId: a.jobId, attempt: a.attempt };
  const environment = { cpuModel: 'bench', pinnedCore: -1, governor: '', curFreqKhz: 0, maxFreqKhz: 0, temperatureC: 0, loadAverage1m: 0, os: 'bench', runtimeVersion: 'sim', agentVersion: 'sim' };
  const now = Date.now();
  const parts = [
    { ...base, sequence: 0, summary: { startedAtUnixMs: now - 1_000, finishedAtUnixMs: now, protocol: a.protocol, environment, modelSha256: a.modelSha256, profiledMedianNs: 4_100_000 } },
  ];
  for (let i = 0; i < latenciesNs.length; i += 50_000) parts.push({ ...base, sequence: parts.length, latencies: { latenciesNs: latenciesNs.slice(i, i + 50_000) } });
  for (let i = 0; i < timings.length; i += 5_000) parts.push({ ...base, sequence: parts.length, layers: { timings: timings.slice(i, i + 5_000) } });
  return parts;
}

async function timeUpload() {
  const a = await nextJob();
  const parts = uploadParts(a);
  const started = performance.now();
  const ack = await new Promise((resolve, reject) => {
    const call = stub.uploadResults(md, (err, res) => (err ? reject(err) : resolve(res)));
    for (const p of parts) call.write(p);
    call.end();
  });
  const seconds = (performance.now() - started) / 1000;
  const stored = Number(ack.latencyRows) + Number(ack.layerRows);
  if (stored !== ROWS) throw new Error(`upload stored ${stored} rows, expected ${ROWS}`);
  return seconds;
}

/** COPY text, as control writes it (no value here needs escaping). */
const latencyText = (runId) => latenciesNs.map((ns, i) => `${runId}\t${i}\t${ns}\n`).join('');
const layerText = (runId) => timings.map((t) => `${runId}\t${t.iteration}\t${t.nodeName}\t${t.opType}\t${t.layer}\t${t.durationNs}\t${t.provider}\t\\N\n`).join('');

async function timeCopy() {
  const runId = randomUUID();
  const texts = [latencyText(runId), layerText(runId)];
  const client = await db.connect();
  try {
    const started = performance.now();
    await client.query('BEGIN');
    await pipeline(Readable.from([texts[0]]), client.query(copyStreams.from(`COPY run_latencies (run_id, iteration, latency_ns) FROM STDIN`)));
    await pipeline(
      Readable.from([texts[1]]),
      client.query(copyStreams.from(`COPY layer_timings (run_id, iteration, node_name, op_type, layer, duration_ns, provider, overhead_ns) FROM STDIN`)),
    );
    await client.query('COMMIT');
    return (performance.now() - started) / 1000;
  } finally {
    client.release();
  }
}

log(`ingest bench: ${LATENCY_ROWS} latency + ${LAYER_ROWS} layer rows, ${REPS} repetitions`);
// one unmeasured round of each: connections, JIT, caches
const warm = [await timeUpload(), await timeCopy()];
log(`warm-up: upload ${warm[0].toFixed(3)} s, COPY ${warm[1].toFixed(3)} s`);
const reps = [];
for (let r = 0; r < REPS - 1; r++) {
  const first = r % 2 === 0 ? 'upload' : 'copy';
  const upload = first === 'upload' ? await timeUpload() : undefined;
  const copy = await timeCopy();
  const u = upload ?? (await timeUpload());
  reps.push({ rep: r + 1, first, upload: u, copy, ratio: copy / u });
  log(`rep ${r + 1}: upload ${u.toFixed(3)} s, COPY ${copy.toFixed(3)} s, ratio ${(copy / u).toFixed(3)}`);
}
session.end();
// let control mark the agent offline before Postgres goes
await new Promise((r) => setTimeout(r, 300));

const m = machine();
const ratios = reps.map((r) => r.ratio);
const rate = (s) => Math.round(ROWS / s).toLocaleString('en-US');
const sorted = [...ratios].sort((a, b) => a - b);
const q = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))];
const out = [
  '## Ingest speed',
  '',
  `\`node test/bench/ingest.bench.mjs --latencies ${LATENCY_ROWS} --layers ${LAYER_ROWS} --reps ${REPS}\` — ${new Date().toISOString()}`,
  `One UploadResults of ${LATENCY_ROWS.toLocaleString('en-US')} latency rows + ${LAYER_ROWS.toLocaleString('en-US')} layer rows (in-process control, one agent, its leased job) against a raw COPY of the same rows into run_latencies and layer_timings (one transaction), interleaved, the order alternating; first pair unmeasured.`,
  '',
  '| rep | first | UploadResults s | rows/s | COPY s | rows/s | ratio (COPY s / upload s) |',
  '|---:|---|---:|---:|---:|---:|---:|',
  ...reps.map((r) => `| ${r.rep} | ${r.first} | ${r.upload.toFixed(3)} | ${rate(r.upload)} | ${r.copy.toFixed(3)} | ${rate(r.copy)} | ${r.ratio.toFixed(3)} |`),
  '',
  `**Ratio median ${median(ratios).toFixed(3)}** (goal ≥ 0.7), range ${sorted[0].toFixed(3)}–${sorted.at(-1).toFixed(3)}, quartiles ${q(0.25).toFixed(3)}–${q(0.75).toFixed(3)}; ` +
    `median rows/s: UploadResults ${rate(median(reps.map((r) => r.upload)))}, COPY ${rate(median(reps.map((r) => r.copy)))}.`,
  '',
  `Machine: ${m.cpuModel}, ${m.nproc} CPUs, affinity ${m.affinity}, ${m.kernel}, Node ${m.node}, load average ${m.loadAverage}.`,
];
process.stdout.write(`${out.join('\n')}\n`);
await cleanup();
process.exit(0);
