import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../services/cli/api.client.js';
import { LocalFleet } from '../../services/cli/fleet.js';
import { waitForStudy } from '../../services/cli/study-progress.js';
import { localFleetConfig } from '../support/local-fleet-config.js';
import { agentServiceDefinition } from '../../services/lib/proto/index.js';

/** A client stub's method, called with (request, metadata, callback) or as a stream. */
type GrpcMethod = (...args: any[]) => any;

// No retries: a shared CI machine would flag runs busy and retry them; the counts asserted stay exact anyway.
// Three rounds, then one more that an unreachable precision target asks for, capped by maxReplicates.
const PROTOCOL = { warmupRuns: 2, timedRuns: 25, profiledRuns: 3, maxRetries: 0, replicates: 3, maxReplicates: 4, targetHalfWidthPct: 0.001 };
const ROUNDS = 4;
const TINY_STUDY = {
  name: 'e2e-tiny',
  base: 'mobilenetv3-small-0.75@96',
  axes: { activation: ['relu', 'paper'] },
  baseline: 'paper',
  protocol: PROTOCOL,
};

function grpcStub(address: string) {
  const def = agentServiceDefinition();
  const pkg = grpc.loadPackageDefinition(def) as unknown as { latfleet: { v1: { AgentService: grpc.ServiceClientConstructor } } };
  return new pkg.latfleet.v1.AgentService(address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, GrpcMethod>;
}

const unary = (stub: Record<string, GrpcMethod>, method: string, req: unknown, md = new grpc.Metadata()) =>
  new Promise<unknown>((resolve, reject) => stub[method]!(req, md, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))));

describe('the local fleet, end to end', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latfleet-e2e-'));
  const config = localFleetConfig(dataDir);
  let fleet: LocalFleet;
  let db: pg.Client;
  let studyId: string;

  beforeAll(async () => {
    fleet = new LocalFleet(config);
    await fleet.start(() => undefined);
    db = new pg.Client({ connectionString: fleet.databaseUrl });
    await db.connect();
    const study = await fleet.api.createStudy(TINY_STUDY);
    studyId = study.id;
    const done = await waitForStudy(fleet.api, studyId, { quiet: true, intervalMs: 200, timeoutMs: 120_000 });
    expect(done.status).toBe('completed');
  });

  afterAll(async () => {
    await db?.end();
    await fleet?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores every timed iteration and the profiled node timings of each variant', async () => {
    const { rows } = await db.query(
      `SELECT r.id, v.label, r.latency_rows, r.layer_rows,
              (SELECT count(*)::int FROM run_latencies l WHERE l.run_id = r.id) AS latencies,
              (SELECT count(DISTINCT iteration)::int FROM layer_timings t WHERE t.run_id = r.id) AS iterations
         FROM runs r JOIN variants v ON v.id = r.variant_id WHERE r.study_id = $1 ORDER BY v.position, r.round`,
      [studyId],
    );
    expect(rows.map((r) => r.label)).toEqual([...Array(ROUNDS).fill('relu'), ...Array(ROUNDS).fill('paper')]);
    for (const r of rows) {
      expect(r.latencies).toBe(PROTOCOL.timedRuns);
      expect(r.latency_rows).toBe(PROTOCOL.timedRuns);
      expect(r.iterations).toBe(PROTOCOL.profiledRuns);
      expect(r.layer_rows).toBeGreaterThan(PROTOCOL.profiledRuns * 20);
    }
  });

  it('measures in rounds: each round both variants, interleaved on one device, then adds rounds up to maxReplicates', async () => {
    const { rows: runs } = await db.query(
      `SELECT r.round, j.round AS job_round, j.round_position AS position, r.device_id, r.started_at, r.finished_at, r.report
         FROM runs r JOIN jobs j ON j.id = r.job_id WHERE r.study_id = $1 ORDER BY r.round, j.round_position`,
      [studyId],
    );
    expect(runs.map((r) => r.round)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    for (const r of runs) expect(r.round).toBe(r.job_round);
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b] = runs.filter((r) => r.round === round);
      expect([a.position, b.position]).toEqual([0, 1]);
      expect(a.device_id).toBe(b.device_id);
      // measured together: the timed runs alternated between the two sessions, so the runs overlap in time
      expect(a.started_at.getTime()).toBeLessThanOrEqual(b.finished_at.getTime());
      expect(b.started_at.getTime()).toBeLessThanOrEqual(a.finished_at.getTime());
      expect(a.report.attempts.at(-1).interleave).toEqual({ variants: 2, position: 0, blockRuns: 10 });
    }
    const study = await fleet.api.study(studyId);
    expect(study.rounds['*']).toMatchObject({ rounds: ROUNDS, stopReason: 'max-replicates' });
    expect(study.rounds['*'].detail).toMatch(/^4 rounds \(maxReplicates\)/);
  });

  it('serves a comparison whose figures are those of the stored runs, each run a replicate and each round a pair', async () => {
    // every run, flagged or not: on a loaded host all of them may be flagged, and the figures must match the rows either way
    const comparison = await fleet.api.comparison(studyId, { includeFlagged: true });
    // per run its median and p90 of the stored iterations; per variant the median of those over its runs
    const { rows: truth } = await db.query(
      `WITH per_run AS (
         SELECT r.id, r.round, v.label, percentile_cont(0.5) WITHIN GROUP (ORDER BY l.latency_ns) AS median,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY l.latency_ns) AS p90
           FROM runs r JOIN run_latencies l ON l.run_id = r.id JOIN variants v ON v.id = r.variant_id
          WHERE r.study_id = $1 GROUP BY r.id, r.round, v.label)
       SELECT label, percentile_cont(0.5) WITHIN GROUP (ORDER BY median) AS median, percentile_cont(0.5) WITHIN GROUP (ORDER BY p90) AS p90,
              array_agg(id ORDER BY id) AS runs, json_object_agg(round, median) AS by_round
         FROM per_run GROUP BY label`,
      [studyId],
    );
    const byLabel = new Map(truth.map((t) => [t.label, t]));
    expect(comparison.rows).toHaveLength(2);
    const base = byLabel.get('paper');
    const relu = byLabel.get('relu');
    // Δ: the geometric mean of the per-round ratios of the runs' medians, on the baseline's median
    const rounds = Object.keys(relu.by_round).filter((r) => base.by_round[r] !== undefined);
    const ratio = Math.exp(rounds.reduce((a, r) => a + Math.log(relu.by_round[r] / base.by_round[r]), 0) / rounds.length);
    for (const row of comparison.rows) {
      const t = byLabel.get(row.variant);
      expect(row.medianMs).toBeCloseTo(Number(t.median) / 1e6, 3);
      expect(row.p90Ms).toBeCloseTo(Number(t.p90) / 1e6, 3);
      expect([...row.runIds].sort()).toEqual(t.runs);
      expect(row.samples).toBe(t.runs.length * PROTOCOL.timedRuns);
    }
    const reluRow = comparison.rows.find((r) => r.variant === 'relu')!;
    expect(reluRow.rounds).toBe(rounds.length);
    expect(reluRow.deltaPct).toBeCloseTo((ratio - 1) * 100, 1);
    expect(reluRow.deltaMs).toBeCloseTo((Number(base.median) * (ratio - 1)) / 1e6, 3);
    expect(reluRow.mdePct).toBeGreaterThan(0);
    expect(['faster', 'slower', 'within noise', 'undecided']).toContain(reluRow.verdict);
    expect(comparison.rows.find((r) => r.variant === 'paper')).toMatchObject({ baseline: true, deltaMs: 0, deltaPct: 0 });
  });

  it('serves a run with its quality record and its raw iterations as JSON and CSV', async () => {
    const { rows } = await db.query(`SELECT id, round, flagged, report FROM runs WHERE study_id = $1 ORDER BY round LIMIT 1`, [studyId]);
    const run = rows[0];
    const detail = (await (await fetch(`${fleet.api.baseUrl}/api/v1/runs/${run.id}`)).json()) as { attempts: unknown[] };
    expect(detail).toMatchObject({ id: run.id, studyId, round: run.round, flagged: run.flagged, flags: run.report.quality.flags });
    expect(detail.attempts).toHaveLength(run.report.attempts.length);
    const { rows: iterations } = await db.query(`SELECT iteration, latency_ns FROM run_latencies WHERE run_id = $1 ORDER BY iteration`, [run.id]);
    const json = (await (await fetch(`${fleet.api.baseUrl}/api/v1/runs/${run.id}/latencies`)).json()) as { latencies: unknown[] };
    expect(json.latencies).toEqual(iterations.map((l) => ({ iteration: l.iteration, latencyNs: Number(l.latency_ns) })));
    const csv = await (await fetch(`${fleet.api.baseUrl}/api/v1/runs/${run.id}/latencies?format=csv`)).text();
    expect(csv.trim().split(/\r?\n/)).toEqual(['iteration,latency_ns', ...iterations.map((l) => `${l.iteration},${l.latency_ns}`)]);
  });

  it('serves per-layer medians that are those of the stored node timings, attributed to builder layers', async () => {
    const { rows: runs } = await db.query(`SELECT id FROM runs WHERE study_id = $1 LIMIT 1`, [studyId]);
    const runId = runs[0].id as string;
    const layers = await fleet.api.runLayers(runId);
    const { rows: truth } = await db.query(
      `SELECT layer, percentile_cont(0.5) WITHIN GROUP (ORDER BY ns) AS median
         FROM (SELECT layer, iteration, sum(duration_ns) AS ns FROM layer_timings WHERE run_id = $1 GROUP BY layer, iteration) x
        GROUP BY layer`,
      [runId],
    );
    expect(layers.layers).toHaveLength(truth.length);
    for (const t of truth) {
      const row = layers.layers.find((l) => l.layer === (t.layer || '(unattributed)'));
      expect(row?.medianMs).toBeCloseTo(Number(t.median) / 1e6, 4);
    }
    expect(layers.layers.reduce((a, l) => a + l.share, 0)).toBeCloseTo(1, 2);
    expect(layers.layers.some((l) => l.layer === 'stem' && l.op === 'conv')).toBe(true);
    const attributed = layers.layers.filter((l) => l.layer !== '(unattributed)').reduce((a, l) => a + l.share, 0);
    expect(attributed).toBeGreaterThan(0.8);
  });

  it('lists the agent as an online CPU device and exports fleet metrics', async () => {
    const { items } = await fleet.api.devices();
    expect(items).toEqual([expect.objectContaining({ deviceClass: 'cpu', state: 'online', runner: 'ort-node' })]);
    const metrics = await (await fetch(`${fleet.api.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^latfleet_agents_connected\{device_class="cpu"\} 1$/m);
    expect(metrics).toMatch(new RegExp(`^latfleet_jobs\\{state="completed"\\} ${2 * ROUNDS}$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^latfleet_result_rows_ingested_total\\{kind="latency"\\} ${2 * ROUNDS * PROTOCOL.timedRuns}$`, 'm'));
    expect(metrics).toMatch(/^latfleet_query_process_resident_memory_bytes \d+/m);
  });

  it('rejects bad study specs naming the field, and changes nothing already stored', async () => {
    const before = await db.query(`SELECT (SELECT count(*) FROM studies) AS s, (SELECT count(*) FROM jobs) AS j, (SELECT count(*) FROM run_latencies) AS l`);
    await expect(fleet.api.createStudy({ ...TINY_STUDY, colour: 'blue' })).rejects.toMatchObject({ status: 400, field: 'colour' });
    await expect(fleet.api.createStudy({ ...TINY_STUDY, protocol: { timedRuns: 'many' } })).rejects.toMatchObject({
      status: 400,
      field: 'protocol.timedRuns',
    });
    await expect(fleet.api.createStudy({ ...TINY_STUDY, axes: { activation: ['relu', 'purple'] } })).rejects.toBeInstanceOf(ApiError);
    await expect(fleet.api.study('1b4e28ba-2fa1-11d2-883f-0016d3cca427')).rejects.toMatchObject({ status: 404 });
    await expect(fleet.api.comparison('not-a-uuid')).rejects.toMatchObject({ status: 404 });
    const after = await db.query(`SELECT (SELECT count(*) FROM studies) AS s, (SELECT count(*) FROM jobs) AS j, (SELECT count(*) FROM run_latencies) AS l`);
    expect(after.rows).toEqual(before.rows);
  });

  it('keeps answering while it builds a study’s models: a readiness check sent during the build answers first', async () => {
    // four int8 TFLite variants: seconds of calibration and quantization, in the query service's build worker
    const order: string[] = [];
    const created = fleet.api
      .createStudy({
        name: 'e2e-heavy-build',
        base: 'mobilenetv3-large-1.0+quant=int8-per-channel',
        axes: { resolution: [192, 208, 224, 240], format: ['tflite'] },
        baseline: { resolution: 224 },
      })
      .then((s) => (order.push('study'), s));
    // the request has reached the service once its variants are being built; the readiness check follows it
    await new Promise((r) => setTimeout(r, 300));
    await fleet.api.ready().then(() => order.push('ready'));
    const study = await created;
    expect(order).toEqual(['ready', 'study']);
    expect(study.variants.map((v) => v.model.format)).toEqual(['tflite', 'tflite', 'tflite', 'tflite']);
    // no agent here runs TFLite: nothing to wait for
    await fleet.api.cancelStudy(study.id);
  });

  it('answers gRPC calls with missing fields INVALID_ARGUMENT and unknown credentials UNAUTHENTICATED', async () => {
    const stub = grpcStub(`${config.grpcHost}:${config.grpcPort}`);
    try {
      const token = fleet.localEnrollmentToken();
      await expect(unary(stub, 'register', { enrollmentToken: token })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
      await expect(unary(stub, 'register', { enrollmentToken: token, facts: { name: 'x', deviceClass: 'toaster', runner: 'r' } })).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringContaining('device_class'),
      });
      await expect(unary(stub, 'register', { enrollmentToken: 'wrong-token-wrong-token', facts: { name: 'x', deviceClass: 'cpu', runner: 'r' } })).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
      });
      const md = new grpc.Metadata();
      md.set('authorization', 'Bearer 00000000-0000-0000-0000-000000000000.nope');
      const chunks = stub['fetchModel']!({ sha256: 'a'.repeat(64) }, md) as grpc.ClientReadableStream<unknown>;
      await expect(
        new Promise((resolve, reject) =>
          chunks
            .on('error', reject)
            .on('end', resolve)
            .on('data', () => undefined),
        ),
      ).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
      });
    } finally {
      stub.close();
    }
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM devices`);
    expect(rows[0].n).toBe(1);
  });

  it('reuses its data when started again on the same data directory', async () => {
    await db.end();
    await fleet.stop();
    fleet = new LocalFleet(config);
    await fleet.start(() => undefined);
    db = new pg.Client({ connectionString: fleet.databaseUrl });
    await db.connect();
    const { items } = await fleet.api.studies();
    expect(items.map((s) => s.id)).toContain(studyId);
    expect((await fleet.api.comparison(studyId)).rows).toHaveLength(2);
  });
});
