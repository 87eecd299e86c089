import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Logger } from '@nestjs/common';
import { createTestDatabase } from '../../test/support/test-database.js';
import { ErrorCode } from '../lib/errors/index.js';
import { toWireProtocol, type RunSummary, type UploadResultsRequest } from '../lib/proto/index.js';
import { createDataSource } from '../lib/store/index.js';
import { JobRepository, type LeasingDevice } from './job.repository.js';
import { ResultRepository } from './result.repository.js';
import { ResultService } from './result.service.js';
import { RoundPlanner } from './round-planner.js';

const SHA = 'a'.repeat(64);
const PROTOCOL = { warmupRuns: 1, timedRuns: 3, profiledRuns: 1, graphOptimizationLevel: 'all' as const };

async function seedJob(ds: DataSource): Promise<void> {
  await ds.query(
    `INSERT INTO models (sha256, name, family, spec, resolution, input_name, input_shape, size_bytes, madds, params, layers, data)
     VALUES ($1, 'm', 'f', '{}', 224, 'input', '{1,3,224,224}', 1, 1, 1, '[]', '\\x00') ON CONFLICT DO NOTHING`,
    [SHA],
  );
  const [study] = await ds.query(`INSERT INTO studies (name, spec, baseline_label) VALUES ('s', '{}', 'v0') RETURNING id`);
  const [v] = await ds.query(`INSERT INTO variants (study_id, label, model_sha256, is_baseline, position) VALUES ($1, 'v0', $2, true, 0) RETURNING id`, [study.id, SHA]);
  await ds.query(`INSERT INTO jobs (study_id, variant_id, protocol) VALUES ($1, $2, $3)`, [study.id, v.id, PROTOCOL]);
}

async function seedDevice(ds: DataSource): Promise<LeasingDevice> {
  const [row] = await ds.query(
    `INSERT INTO devices (name, device_class, cpu_model, cores, os, hostname, runner, runtime_version, agent_version, credential_hash, last_seen_at)
     VALUES ($1, 'cpu', 'x', 1, 'linux', 'h', 'ort-node', '1', '1', 'h', now()) RETURNING id`,
    [`d-${Math.random()}`],
  );
  return { id: row.id, deviceClass: 'cpu', cpuModel: 'x', tags: {} };
}

function upload(jobId: string, summary: Partial<RunSummary> = {}): UploadResultsRequest[] {
  const base = { jobId, attempt: 1 };
  return [
    {
      ...base,
      sequence: 0,
      summary: {
        startedAtUnixMs: Date.now() - 2_000,
        finishedAtUnixMs: Date.now() - 1_000,
        protocol: toWireProtocol(PROTOCOL),
        environment: undefined,
        modelSha256: SHA,
        profiledMedianNs: 4_000_000,
        flagged: false,
        reportJson: '',
        messageCount: 2,
        ...summary,
      },
    },
    { ...base, sequence: 1, latencies: { latenciesNs: [3_000_000, 1_000_000, 2_000_000] } },
  ];
}

describe(ResultService.name, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let jobs: JobRepository;
  let sut: ResultService;
  const stored = async () => ({
    runs: await ds.query(`SELECT * FROM runs ORDER BY id`),
    latencies: await ds.query(`SELECT count(*)::int AS n FROM run_latencies`),
    jobs: await ds.query(`SELECT id, state, attempt, device_id FROM jobs ORDER BY id`),
  });

  beforeAll(async () => {
    vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    db = await createTestDatabase();
    ds = createDataSource(db.url, { poolSize: 4 });
    await ds.initialize();
    jobs = new JobRepository(ds);
    sut = new ResultService(new ResultRepository(ds, jobs, new RoundPlanner()), jobs);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
    vi.restoreAllMocks();
  });

  it('refuses results naming a model other than the job’s, storing nothing, then takes the right ones', async () => {
    await seedJob(ds);
    const device = await seedDevice(ds);
    const lease = (await jobs.leaseNext(device, 60))!;

    for (const modelSha256 of ['', '../../etc/passwd', 'b'.repeat(64), 'a'.repeat(65)]) {
      const before = await stored();
      await expect(sut.ingest(device.id, upload(lease.jobId, { modelSha256 }))).rejects.toMatchObject({
        code: ErrorCode.ValidationFailed,
        field: 'summary.model_sha256',
      });
      expect(await stored()).toEqual(before);
    }
    await expect(sut.ingest(device.id, upload(lease.jobId))).resolves.toMatchObject({ duplicate: false, latencyRows: 3 });
  });

  it("refuses an agent uploading for another agent's completed job, without naming that job's run", async () => {
    await seedJob(ds);
    const [owner, other] = [await seedDevice(ds), await seedDevice(ds)];
    const lease = (await jobs.leaseNext(owner, 60))!;
    const ack = await sut.ingest(owner.id, upload(lease.jobId));
    const before = await stored();

    const refused = sut.ingest(other.id, upload(lease.jobId));

    await expect(refused).rejects.toMatchObject({ code: ErrorCode.PermissionDenied });
    await expect(refused).rejects.not.toMatchObject({ message: expect.stringContaining(ack.runId) });
    expect(await stored()).toEqual(before);
    await expect(sut.ingest(owner.id, upload(lease.jobId))).resolves.toMatchObject({ runId: ack.runId, duplicate: true });
  });
});
