import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Logger } from '@nestjs/common';
import { createTestDatabase } from '../../test/support/test-database.js';
import { insertDevice, insertJob, insertModelRow, insertStudyRow, insertVariant } from '../../test/support/fleet-rows.factory.js';
import { ErrorCode } from '../lib/errors/index.js';
import { toWireProtocol, type RunSummary, type UploadResultsRequest } from '../lib/proto/index.js';
import { createDataSource } from '../lib/store/index.js';
import { JobRepository, type LeasingDevice } from './job.repository.js';
import { RunRepository } from './run.repository.js';
import { RunService } from './run.service.js';
import { RoundPlanner } from './round-planner.js';

const SHA = 'a'.repeat(64);
const PROTOCOL = { warmupRuns: 1, timedRuns: 3, profiledRuns: 1, graphOptimizationLevel: 'all' as const };

async function seedJob(ds: DataSource): Promise<void> {
  await insertModelRow(ds, { sha256: SHA });
  const studyId = await insertStudyRow(ds);
  const variantId = await insertVariant(ds, { studyId, label: 'v0', modelSha256: SHA, baseline: true, position: 0 });
  await insertJob(ds, { studyId, variantId, protocol: PROTOCOL });
}

const seedDevice = (ds: DataSource): Promise<LeasingDevice> => insertDevice(ds, { cpuModel: 'x' });

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

describe(RunService.name, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let jobs: JobRepository;
  let sut: RunService;
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
    sut = new RunService(new RunRepository(ds, jobs, new RoundPlanner()), jobs);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
    vi.restoreAllMocks();
  });

  it('refuses an upload naming a model other than the job’s, storing nothing, then takes the right one', async () => {
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
