import os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../support/poll-until.js';
import { ProcessFleet } from '../support/process-fleet.js';
import { auditStudyRows } from '../support/row-audit.js';
import { SimAgentFleet } from '../support/sim-agent-fleet.js';
import { NODES_PER_ITERATION } from '../support/sim-agent.js';
import { insertModel, model, seedStudy, type SeededStudy } from '../support/study-seed.js';
import { writeLoadResults, type BatchResult, type LoadResults } from './load-results.js';
import { ProcessSampler, rssMiB as controlRssMiB, withChildren } from './process-sampler.js';

const num = (name: string, fallback: number) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${JSON.stringify(v)}: expected a non-negative number`);
  return n;
};

/** Size of the run; defaults are the figures in test/bench/RESULTS.md. */
const P = {
  agents: num('LOAD_AGENTS', 1_000),
  /** TCP connections the simulated agents share (default: one each, as separate agent processes have). */
  connections: num('LOAD_CONNECTIONS', 0),
  heartbeatMs: num('LOAD_HEARTBEAT_MS', 5_000),
  registerConcurrency: num('LOAD_REGISTER_CONCURRENCY', 50),
  steadySeconds: num('LOAD_STEADY_SECONDS', 20),
  trickleRate: num('LOAD_TRICKLE_RATE', 10),
  trickleSeconds: num('LOAD_TRICKLE_SECONDS', 15),
  burstJobs: num('LOAD_BURST_JOBS', 1_000),
  burstTimeoutSeconds: num('LOAD_BURST_TIMEOUT_SECONDS', 240),
  /** Then as many jobs again, spread over this many studies (0: skip). */
  spreadStudies: num('LOAD_SPREAD_STUDIES', 100),
  /** How long one fake measurement lasts (±25%). */
  runMs: num('LOAD_RUN_MS', 2_000),
  /** The last this-many agents fetch the model (8.2 MB) on their first job; the others skip FetchModel. */
  fetchers: num('LOAD_FETCHERS', 100),
  /** Per job, as MobileNetV3-Large would be measured: 100 timed runs, 20 profiled runs × 200 nodes. */
  timedRuns: num('LOAD_TIMED_RUNS', 100),
  /** Before starting, wait up to this long for the 1-minute load average to fall below `quietLoad`. */
  quietWaitSeconds: num('LOAD_QUIET_WAIT_SECONDS', 180),
  quietLoad: num('LOAD_QUIET_LOAD', 1),
  profiledRuns: num('LOAD_PROFILED_RUNS', 20),
};
const PROTOCOL = { warmupRuns: 10, timedRuns: P.timedRuns, profiledRuns: P.profiledRuns, graphOptimizationLevel: 'all' as const };

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const stats = (values: number[]) => ({ n: values.length, p50: percentile(values, 50), p99: percentile(values, 99), max: percentile(values, 100) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`${P.agents} simulated agents against one control process`, () => {
  let fleet: ProcessFleet | undefined;
  let sims: SimAgentFleet | undefined;

  afterAll(async () => {
    sims?.close();
    await fleet?.close();
  });

  it('registers, heartbeats, assigns and ingests; figures go to test/bench/RESULTS.md', async () => {
    // The machine is shared: wait (a bounded time) for other work to calm down, and record the load.
    const quietSince = Date.now();
    while (os.loadavg()[0]! > P.quietLoad && Date.now() - quietSince < P.quietWaitSeconds * 1000) await sleep(5_000);
    const loadBefore = os.loadavg()[0]!;
    const waitedSeconds = (Date.now() - quietSince) / 1000;
    const startedAt = Date.now();
    const assignedAt = new Map<string, number>();
    const stored = new Map<string, { at: number; uploadMs: number; duplicate: boolean }>();
    const fetches: number[] = [];
    let fetchedBytes = 0;
    const uploadFailures: string[] = [];
    const anomalies = { doubleAssignments: 0, disconnects: 0, rejectedUploads: 0 };

    fleet = await ProcessFleet.start('load', { heartbeatMs: P.heartbeatMs, leaseSeconds: 600 });
    const control = await fleet.startControl('control');
    const sampleControl = new ProcessSampler(() => [control.proc.pid]);
    const postgresPid = fleet.postgresPid();
    const samplePostgres = new ProcessSampler(() => withChildren(postgresPid), 1_000);
    const phase = (name: string) => {
      sampleControl.phase(name);
      samplePostgres.phase(name);
    };
    phase('idle, no agents');
    const m = model();
    await insertModel(fleet.db, m);

    sims = new SimAgentFleet({
      address: control.address,
      count: P.agents,
      connections: P.connections || P.agents,
      enrollmentToken: fleet.token,
      heartbeatMs: P.heartbeatMs,
      layerNames: m.layers.map((l) => l.name),
      runMs: () => P.runMs * (0.75 + Math.random() * 0.5),
      fetchers: P.fetchers,
      events: {
        assigned: (e) => assignedAt.set(e.jobId, e.at),
        stored: (e) => stored.set(e.jobId, { at: e.at, uploadMs: e.uploadMs, duplicate: e.duplicate }),
        fetched: (e) => {
          fetches.push(e.ms);
          fetchedBytes += e.bytes;
        },
        uploadFailed: (e) => {
          uploadFailures.push(`${e.code} ${e.details}`);
          if (!e.willRetry) anomalies.rejectedUploads++;
        },
        doubleAssignment: () => anomalies.doubleAssignments++,
        disconnected: () => anomalies.disconnects++,
      },
    });
    await sleep(2_000);

    const rowsPerJob = P.timedRuns + P.profiledRuns * NODES_PER_ITERATION;
    /** Waits until the studies' jobs are stored (or the timeout), then measures them (the audit comes after the run). */
    async function runBatch(studies: SeededStudy[]): Promise<BatchResult> {
      const first = Math.min(...studies.map((s) => s.committedAt));
      const jobs = studies.flatMap((s) => s.jobIds.map((id) => ({ id, committedAt: s.committedAt })));
      const deadline = first + P.burstTimeoutSeconds * 1000;
      while (Date.now() < deadline && !jobs.every((j) => stored.has(j.id))) await sleep(250);
      const assigned = jobs.filter((j) => assignedAt.has(j.id)).map((j) => assignedAt.get(j.id)! - j.committedAt);
      const done = jobs.filter((j) => stored.has(j.id)).map((j) => stored.get(j.id)!);
      const times = done.map((d) => d.at).sort((a, b) => a - b);
      const last = times[times.length - 1] ?? Date.now();
      // Steady rate: between the 10th and the 90th percentile of completions.
      const i10 = Math.floor(times.length * 0.1);
      const i90 = Math.max(i10 + 1, Math.floor(times.length * 0.9) - 1);
      const steady = times.length > 10 ? (i90 - i10) / ((times[i90]! - times[i10]!) / 1000) : Number.NaN;
      const {
        rows: [states],
      } = await fleet!.db.query<Record<string, number>>(
        `SELECT count(*) FILTER (WHERE state = 'completed')::int AS completed, count(*) FILTER (WHERE state = 'queued')::int AS queued,
                count(*) FILTER (WHERE state = 'leased')::int AS leased, count(*) FILTER (WHERE state = 'failed')::int AS failed
           FROM jobs WHERE study_id = ANY($1)`,
        [studies.map((s) => s.studyId)],
      );
      return {
        studies: studies.length,
        jobs: jobs.length,
        assigned: assigned.length,
        stored: done.length,
        assignmentMs: stats(assigned),
        secondsToStoreAll: (last - first) / 1000,
        jobsPerSecondEndToEnd: done.length / ((last - first) / 1000),
        jobsPerSecondSteady: steady,
        rowsPerSecondSteady: steady * rowsPerJob,
        uploadMs: stats(done.map((d) => d.uploadMs)),
        duplicates: done.filter((d) => d.duplicate).length,
        jobStates: states!,
        audit: { problems: [] },
        studyIds: studies.map((s) => s.studyId),
      };
    }

    // 1. Registration.
    phase('registration');
    const t0 = performance.now();
    const registration = await sims.registerAll(P.registerConcurrency);
    const registerSeconds = (performance.now() - t0) / 1000;
    expect(registration.errors.slice(0, 5)).toEqual([]);

    // 2. Every agent opens its session.
    phase('connect');
    const t1 = performance.now();
    sims.connectAll();
    await pollUntil(
      async () => {
        const { rows } = await fleet!.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM devices WHERE state = 'online'`);
        return rows[0]!.n === P.agents;
      },
      { what: `${P.agents} agents online`, timeoutMs: 120_000, intervalMs: 200 },
    );
    const connectSeconds = (performance.now() - t1) / 1000;

    // 3. Heartbeats only.
    phase('heartbeats (all idle)');
    const beats0 = sims.heartbeats;
    const t2 = performance.now();
    const rss0 = controlRssMiB(control.proc.pid);
    await sleep(P.steadySeconds * 1000);
    const heartbeatRssGrowth = controlRssMiB(control.proc.pid) - rss0;
    const heartbeatRate = (sims.heartbeats - beats0) / ((performance.now() - t2) / 1000);
    const {
      rows: [freshness],
    } = await fleet.db.query<{ p50: number; max: number; online: number }>(
      `SELECT (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM now() - last_seen_at)) * 1000)::float8 AS p50,
              (max(extract(epoch FROM now() - last_seen_at)) * 1000)::float8 AS max, count(*) FILTER (WHERE state = 'online')::int AS online
         FROM devices`,
    );

    // 4. A trickle of single-job studies: assignment latency while the fleet is mostly idle.
    phase('trickle');
    const trickle: SeededStudy[] = [];
    const trickleCount = Math.round(P.trickleRate * P.trickleSeconds);
    const t3 = Date.now();
    for (let i = 0; i < trickleCount; i++) {
      await sleep(t3 + (i * 1000) / P.trickleRate - Date.now());
      trickle.push(await seedStudy(fleet.db, { name: `trickle-${i}`, jobs: 1, protocol: PROTOCOL, model: m }));
    }
    await pollUntil(() => trickle.every((s) => stored.has(s.jobIds[0]!)), { what: 'trickle jobs stored', timeoutMs: 60_000, intervalMs: 200 });
    const trickleLatencies = trickle.map((s) => assignedAt.get(s.jobIds[0]!)! - s.committedAt);
    await pollUntil(() => sims!.agents.every((a) => !a.busy), { what: 'every agent idle', timeoutMs: 60_000, intervalMs: 200 });

    // 5. A burst: one study of `burstJobs` jobs lands on an idle fleet.
    phase('burst: 1 study, assign + fetch + run + ingest');
    const burst = await runBatch([await seedStudy(fleet.db, { name: 'burst', jobs: P.burstJobs, protocol: PROTOCOL, model: m })]);

    // 6. The same number of jobs spread over many studies (leasing cost depends on jobs per study).
    let spread: BatchResult | undefined;
    if (P.spreadStudies > 0) {
      await pollUntil(() => sims!.agents.every((a) => !a.busy), { what: 'every agent idle', timeoutMs: 60_000, intervalMs: 200 });
      phase(`spread: ${P.spreadStudies} studies, assign + run + ingest`);
      const studies: SeededStudy[] = [];
      const per = Math.ceil(P.burstJobs / P.spreadStudies);
      for (let i = 0; i < P.spreadStudies; i++) studies.push(await seedStudy(fleet.db, { name: `spread-${i}`, jobs: per, protocol: PROTOCOL, model: m }));
      spread = await runBatch(studies);
    }

    phase('after');
    await sleep(2_000);
    const controlUsage = sampleControl.stop();
    const postgresUsage = samplePostgres.stop();
    for (const batch of [burst, spread]) {
      for (const id of batch?.studyIds ?? []) batch!.audit.problems.push(...(await auditStudyRows(fleet.db, id, { requireCompleted: false })).problems);
    }

    const results: LoadResults = {
      when: new Date(startedAt).toISOString(),
      machine: {
        nproc: os.cpus().length,
        cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
        memGiB: os.totalmem() / 2 ** 30,
        node: process.version,
        loadBefore,
        loadAfter: os.loadavg()[0]!,
        waitedSeconds,
      },
      params: { ...P, connections: P.connections || P.agents, modelBytes: m.onnx.byteLength, rowsPerJob },
      registration: {
        seconds: registerSeconds,
        perSecond: registration.latencies.length / registerSeconds,
        latencyMs: stats(registration.latencies),
        errors: registration.errors.length,
      },
      connect: { seconds: connectSeconds },
      heartbeats: { perSecond: heartbeatRate, lastSeenAgeMs: { p50: freshness!.p50, max: freshness!.max }, online: freshness!.online, rssGrowthMiB: heartbeatRssGrowth },
      trickle: { jobs: trickleCount, ratePerSecond: P.trickleRate, assignmentMs: stats(trickleLatencies) },
      burst,
      spread,
      fetch: { fetches: fetches.length, mib: fetchedBytes / 2 ** 20, ms: stats(fetches) },
      uploadFailures: { count: uploadFailures.length, sample: [...new Set(uploadFailures)].slice(0, 5) },
      anomalies,
      control: controlUsage,
      postgres: postgresUsage,
      totalSeconds: (Date.now() - startedAt) / 1000,
    };
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    if (process.env['LOAD_WRITE_RESULTS'] === '1') writeLoadResults(results);

    expect(anomalies.doubleAssignments).toBe(0);
    for (const batch of [burst, spread]) {
      if (!batch) continue;
      expect(batch.audit.problems).toEqual([]);
      expect(batch.stored).toBe(batch.jobs);
    }
  });
});
