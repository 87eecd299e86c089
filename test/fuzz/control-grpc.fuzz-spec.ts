import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { INestMicroservice } from '@nestjs/common';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/lib/config/index.js';
import {
  AgentState,
  JobPhase,
  type ConnectRequest,
  type ConnectResponse,
  type DeviceFacts,
  type JobAssignment,
  type UploadResultsRequest,
} from '../../services/lib/proto/index.js';
import { startControl } from '../../services/control/main.js';
import { agentServiceClient, bearer, type AgentServiceStub } from '../support/agent-service.client.js';
import { freePort } from '../support/free-port.js';
import { pollUntil } from '../support/poll-until.js';
import { auditStudyRows, type RowAudit } from '../support/row-audit.js';
import { FakeResults } from '../support/sim-agent.js';
import { insertModel, model, seedStudy } from '../support/study-seed.js';
import { createTestDatabase } from '../support/test-database.js';
import { countAnswer, FUZZ_RUNS, fuzzSurface, type SurfaceCounts } from './fuzz-settings.js';
import { nastyNumber, nastyString, nearValid } from './nasty.arbitrary.js';
import { RowSnapshot } from './row-snapshot.js';

const ENROLLMENT_TOKEN = 'fuzz-enrollment-token-0123456789';
/** Stands for the job the main agent holds when the case runs: each stored upload moves it on to its next lease. */
const LEASED_JOB = 'the-leased-job';
const CALL_DEADLINE_MS = 30_000;
const ALIVE_WITHIN_MS = 5_000;
/** What no client may ever see: a handler that threw something other than a domain error. */
const SERVER_ERRORS = new Set([GrpcStatus.INTERNAL, GrpcStatus.UNKNOWN]);
const statusName = (code: number) => GrpcStatus[code] ?? String(code);

interface Outcome {
  code: number;
  details: string;
}

const outcomeOf = (err: ServiceError | null): Outcome => (err ? { code: err.code, details: err.details } : { code: GrpcStatus.OK, details: '' });
const deadline = () => ({ deadline: Date.now() + CALL_DEADLINE_MS });

function register(stub: AgentServiceStub, enrollmentToken: string, facts: DeviceFacts): Promise<Outcome & { credential?: string }> {
  return new Promise((resolve) => stub.register({ enrollmentToken, facts }, new Metadata(), deadline(), (err, res) => resolve({ ...outcomeOf(err), credential: res?.credential })));
}

function upload(stub: AgentServiceStub, md: Metadata, parts: UploadResultsRequest[]): Promise<Outcome & { duplicate?: boolean }> {
  return new Promise((resolve) => {
    const call = stub.uploadResults(md, deadline(), (err, res) => resolve({ ...outcomeOf(err), duplicate: res?.duplicate }));
    call.on('error', () => undefined);
    for (const p of parts) call.write(p);
    call.end();
  });
}

/** Opens a Connect stream, sends the messages, ends it, and waits for the status. */
function connectOnce(stub: AgentServiceStub, md: Metadata, messages: ConnectRequest[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const call = stub.connect(md, deadline());
    call.on('data', () => undefined);
    call.on('error', () => undefined);
    call.on('status', (s) => resolve({ code: s.code, details: s.details }));
    for (const m of messages) call.write(m);
    call.end();
  });
}

/** Asks for a model and stops reading at the first chunk (a real model is megabytes). */
function fetchFirstChunk(stub: AgentServiceStub, md: Metadata, sha256: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const call = stub.fetchModel({ sha256 }, md, deadline());
    let took = false;
    call.on('data', () => {
      if (took) return;
      took = true;
      resolve({ code: GrpcStatus.OK, details: 'first chunk' });
      call.cancel();
    });
    call.on('error', () => undefined);
    call.on('status', (s) => resolve({ code: s.code, details: s.details }));
  });
}

const facts = (name: string): DeviceFacts => ({
  name,
  deviceClass: 'cpu',
  cpuModel: 'fuzz',
  cores: 2,
  os: 'linux',
  hostname: 'fuzz',
  runner: 'sim',
  runtimeVersion: 'sim',
  agentVersion: 'sim',
  tags: { lab: 'fuzz' },
  formats: ['onnx'],
});

describe('control gRPC under fuzzing', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  let app: INestMicroservice;
  let stub: AgentServiceStub;
  let snapshot: RowSnapshot;
  let studyId = '';
  let studyAudit: RowAudit;
  const main = { credential: '', md: new Metadata(), leased: undefined as JobAssignment | undefined, validUpload: [] as UploadResultsRequest[] };
  const other = { credential: '', md: new Metadata() };
  const closeMain: Array<() => void> = [];
  const assignments: JobAssignment[] = [];
  const stored = new Set<string>();
  let mainIdle = () => undefined as void;

  /** Credentials a case may send: the leasing agent's, another agent's, none, or garbage. */
  const credential = fc.oneof(
    { weight: 5, arbitrary: fc.constant(() => main.md) },
    fc.constant(() => other.md),
    fc.constant(() => new Metadata()),
    nastyString.map((s) => () => {
      const md = new Metadata();
      md.set('authorization', s.replace(/[^\x20-\x7e]/g, ''));
      return md;
    }),
    nastyString.map((s) => () => bearer(s.replace(/[^\x20-\x7e]/g, ''))),
  );

  /**
   * The rows once what an accepted call set going has landed: a stored run can plan the study's next
   * round, whose jobs are then leased to the idle agent, after the acknowledgement.
   */
  async function settled(): Promise<Map<string, string>> {
    let last = await snapshot.take(pool);
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const now = await snapshot.take(pool);
      if (RowSnapshot.changed(last, now).length === 0) return now;
      last = now;
    }
    return last;
  }

  async function check(outcome: Outcome, before: Map<string, string>, counts: SurfaceCounts, what: string): Promise<void> {
    countAnswer(counts, statusName(outcome.code));
    const started = Date.now();
    const alive = await register(stub, '', facts('alive-probe'));
    if (alive.code === GrpcStatus.DEADLINE_EXCEEDED || alive.code === GrpcStatus.UNAVAILABLE || Date.now() - started > ALIVE_WITHIN_MS) {
      counts.crashes++;
      throw new Error(`${what}: control did not answer a Register within ${ALIVE_WITHIN_MS} ms afterwards (${statusName(alive.code)})`);
    }
    if (SERVER_ERRORS.has(outcome.code) || outcome.code === GrpcStatus.DEADLINE_EXCEEDED) {
      counts.serverErrors++;
      throw new Error(`${what}: ${statusName(outcome.code)} ${outcome.details}`);
    }
    if (outcome.code !== GrpcStatus.OK && outcome.code !== GrpcStatus.CANCELLED) {
      const changed = RowSnapshot.changed(before, await snapshot.take(pool));
      if (changed.length) {
        counts.rowsChanged++;
        throw new Error(`${what}: refused with ${statusName(outcome.code)}, yet rows changed in ${changed.join(', ')}`);
      }
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const m = model();
    await insertModel(pool, m);
    const port = await freePort();
    // Heartbeats and leases far apart: nothing changes rows behind the fuzzer's back.
    app = await startControl(
      loadConfig({
        DATABASE_URL: db.url,
        LATFLEET_GRPC_PORT: String(port),
        LATFLEET_ENROLLMENT_TOKEN: ENROLLMENT_TOKEN,
        LATFLEET_LOG_LEVEL: 'error',
        LATFLEET_HEARTBEAT_MS: '600000',
        LATFLEET_LEASE_SECONDS: '86400',
      }),
    );
    stub = agentServiceClient(`127.0.0.1:${port}`);
    for (const [who, name] of [
      [main, 'fuzz-main'],
      [other, 'fuzz-other'],
    ] as const) {
      const r = await register(stub, ENROLLMENT_TOKEN, facts(name));
      expect(r.code).toBe(GrpcStatus.OK);
      who.credential = r.credential!;
      who.md = bearer(r.credential!);
    }
    // The main agent leases the study's first job, stores it, then leases the second and keeps it.
    const call = stub.connect(main.md);
    call.on('data', (msg: ConnectResponse) => {
      if (msg.assignment) assignments.push(msg.assignment);
      if (msg.round) assignments.push(...msg.round.jobs);
    });
    call.on('error', () => undefined);
    closeMain.push(() => call.end());
    const idle = () => void call.write({ heartbeat: { state: AgentState.AGENT_STATE_IDLE, jobId: '' } });
    mainIdle = idle;
    const seeded = await seedStudy(pool, { name: 'fuzz', jobs: 2, protocol: { warmupRuns: 1, timedRuns: 20, profiledRuns: 2, graphOptimizationLevel: 'all' }, model: m });
    studyId = seeded.studyId;
    idle();
    await pollUntil(() => assignments.length >= 1, { what: 'first assignment', timeoutMs: 30_000, intervalMs: 50 });
    const results = new FakeResults(m.layers.map((l) => l.name));
    expect((await upload(stub, main.md, results.upload(assignments[0]!, Date.now() - 1_000))).code).toBe(GrpcStatus.OK);
    stored.add(assignments[0]!.jobId);
    idle();
    await pollUntil(() => assignments.length >= 2, { what: 'second assignment', timeoutMs: 30_000, intervalMs: 50 });
    main.leased = assignments[1]!;
    call.write({ heartbeat: { state: AgentState.AGENT_STATE_BUSY, jobId: main.leased.jobId } });
    main.validUpload = results.upload({ ...main.leased, jobId: LEASED_JOB }, Date.now() - 1_000);
    // result_uploads logs every upload attempt, refused ones included (the ingest metrics): it grows
    // by design. Device presence (state, last seen) follows Connect.
    snapshot = await RowSnapshot.of(pool, { devices: ['last_seen_at', 'state'] }, ['result_uploads']);
    studyAudit = await auditStudyRows(pool, studyId, { requireCompleted: false });
  }, 120_000);

  afterAll(async () => {
    for (const close of closeMain) close();
    // let control mark the agent offline before its database goes
    await new Promise((r) => setTimeout(r, 200));
    stub?.close();
    await app?.close();
    await pool?.end();
    await db?.drop();
  });

  it(`answers ${FUZZ_RUNS} arbitrary Register calls without INTERNAL or UNKNOWN`, async () => {
    const arb = fc.record({
      token: fc.oneof(fc.constant(ENROLLMENT_TOKEN), nastyString),
      facts: fc.oneof({ weight: 4, arbitrary: nearValid(facts('fuzz-main'), { sameType: true }) }, { weight: 1, arbitrary: nearValid(facts('fuzz-new'), { sameType: true }) }),
    });
    let before = await snapshot.take(pool);
    await fuzzSurface('grpc Register', arb, async ({ token, facts: f }, counts) => {
      const outcome = await register(stub, token, f);
      await check(outcome, before, counts, `Register ${JSON.stringify({ token, facts: f }).slice(0, 400)}`);
      if (outcome.code === GrpcStatus.OK) before = await settled();
    });
  });

  it(`answers ${FUZZ_RUNS} Connect streams of arbitrary messages without INTERNAL or UNKNOWN, changing nothing`, async () => {
    const jobId = fc.oneof(fc.constant(main.leased!.jobId), nastyString);
    const message: fc.Arbitrary<ConnectRequest> = fc.oneof(
      fc.record({ heartbeat: fc.record({ state: fc.oneof(fc.constantFrom(0, 1, 2), nastyNumber), jobId }) }),
      fc.record({
        status: fc.record({
          jobId,
          attempt: fc.oneof(fc.constant(main.leased!.attempt), nastyNumber),
          phase: fc.oneof(fc.constantFrom(...Object.values(JobPhase).filter((v): v is JobPhase => typeof v === 'number')), nastyNumber),
          progress: nastyNumber,
          message: nastyString,
        }),
      }),
      fc.constant({}),
    );
    // The main agent's own credential could legitimately fail its own job: the others may not touch it.
    const notMain = fc.oneof(
      fc.constant(() => other.md),
      fc.constant(() => new Metadata()),
      nastyString.map((s) => () => bearer(s.replace(/[^\x20-\x7e]/g, ''))),
    );
    const arb = fc.record({ md: notMain, messages: fc.array(message, { maxLength: 6 }) });
    const before = await snapshot.take(pool);
    await fuzzSurface('grpc Connect', arb, async ({ md, messages }, counts) => {
      const outcome = await connectOnce(stub, md(), messages as ConnectRequest[]);
      // a session's messages are handled as they come: give the last one time to land before comparing
      await new Promise((r) => setTimeout(r, 5));
      const changed = RowSnapshot.changed(before, await snapshot.take(pool));
      if (changed.length) {
        counts.rowsChanged++;
        throw new Error(`Connect ${JSON.stringify(messages).slice(0, 400)}: another agent's messages changed rows in ${changed.join(', ')}`);
      }
      await check(outcome, before, counts, `Connect ${JSON.stringify(messages).slice(0, 400)}`);
    });
  });

  it(`answers ${FUZZ_RUNS} arbitrary and near-valid UploadResults streams without INTERNAL or UNKNOWN, storing nothing it refuses`, async () => {
    const valid = main.validUpload;
    const nearValidParts = fc.oneof(
      { weight: 5, arbitrary: nearValid(valid, { sameType: true }) },
      { weight: 1, arbitrary: fc.shuffledSubarray(valid) },
      { weight: 1, arbitrary: fc.array(fc.constantFrom(...valid), { maxLength: 8 }) },
    );
    const arbitraryParts = fc.array(
      fc.record(
        {
          jobId: fc.oneof(fc.constant(LEASED_JOB), nastyString),
          attempt: nastyNumber,
          sequence: nastyNumber,
          latencies: fc.record({ latenciesNs: fc.array(nastyNumber, { maxLength: 20 }) }),
          layers: fc.record({
            timings: fc.array(
              fc.record({ iteration: nastyNumber, nodeName: nastyString, opType: nastyString, layer: nastyString, durationNs: nastyNumber, provider: nastyString }),
              { maxLength: 5 },
            ),
          }),
        },
        { requiredKeys: ['jobId', 'attempt', 'sequence'] },
      ),
      { maxLength: 5 },
    );
    const arb = fc.record({ md: credential, parts: fc.oneof({ weight: 3, arbitrary: nearValidParts }, { weight: 1, arbitrary: arbitraryParts }) });
    let before = await snapshot.take(pool);
    await fuzzSurface('grpc UploadResults', arb, async ({ md, parts }, counts) => {
      const leased = main.leased!;
      const sent = (parts as UploadResultsRequest[]).map((p) => (p && typeof p === 'object' && p.jobId === LEASED_JOB ? { ...p, jobId: leased.jobId } : p));
      const outcome = await upload(stub, md(), sent);
      // what protobuf cannot encode never leaves this process: a case of the generator, not of control
      fc.pre(!(outcome.code === GrpcStatus.INTERNAL && outcome.details.startsWith('Request message serialization failure')));
      await check(outcome, before, counts, `UploadResults ${JSON.stringify(sent).slice(0, 400)}`);
      if (outcome.code !== GrpcStatus.OK) return;
      if (!outcome.duplicate) {
        // what it accepted must be rows a study can be read from: one run per job, every count as the job asks
        const { problems } = await auditStudyRows(pool, studyId, { requireCompleted: false });
        if (problems.length) throw new Error(`UploadResults ${JSON.stringify(sent).slice(0, 400)}: stored, and now ${problems.join('; ')}`);
        // stored: the main agent takes its next job (the study's next round), if there is one
        stored.add(leased.jobId);
        mainIdle();
      }
      before = await settled();
      main.leased = assignments.find((a) => !stored.has(a.jobId)) ?? leased;
    });
    expect((await auditStudyRows(pool, studyId, { requireCompleted: false })).problems).toEqual(studyAudit.problems);
    expect(studyAudit.problems).toEqual([]);
  });

  it(`answers ${FUZZ_RUNS} arbitrary FetchModel calls without INTERNAL or UNKNOWN`, async () => {
    const sha = fc.oneof(fc.constant(main.leased!.modelSha256), fc.constant(main.leased!.modelSha256.toUpperCase()), nastyString, fc.stringMatching(/^[0-9a-f]{64}$/));
    const arb = fc.record({ md: credential, sha });
    const before = await snapshot.take(pool);
    await fuzzSurface('grpc FetchModel', arb, async ({ md, sha: sha256 }, counts) => {
      const outcome = await fetchFirstChunk(stub, md(), sha256);
      await check(outcome, before, counts, `FetchModel ${JSON.stringify(sha256).slice(0, 200)}`);
    });
  });
});
