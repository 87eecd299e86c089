import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { createTestDatabase } from '../../test/support/test-database.js';
import { createDataSource } from '../lib/store/index.js';
import { JobRepository } from './job.repository.js';

const PROTOCOL = { warmupRuns: 1, timedRuns: 2, profiledRuns: 1, graphOptimizationLevel: 'all' };

async function seedStudy(ds: DataSource, jobs: number, maxAttempts = 3): Promise<{ studyId: string; deviceIds: string[] }> {
  await ds.query(
    `INSERT INTO models (sha256, name, family, spec, resolution, input_name, input_shape, size_bytes, madds, params, layers, data)
     VALUES (repeat('a', 64), 'm', 'f', '{}', 224, 'input', '{1,3,224,224}', 1, 1, 1, '[]', '\\x00') ON CONFLICT DO NOTHING`,
  );
  const [study] = await ds.query(`INSERT INTO studies (name, spec, baseline_label) VALUES ('s', '{}', 'v0') RETURNING id`);
  for (let i = 0; i < jobs; i++) {
    const [v] = await ds.query(
      `INSERT INTO variants (study_id, label, model_sha256, is_baseline, position) VALUES ($1, $2, repeat('a', 64), $3, $4) RETURNING id`,
      [study.id, `v${i}`, i === 0, i],
    );
    await ds.query(`INSERT INTO jobs (study_id, variant_id, protocol, max_attempts) VALUES ($1, $2, $3, $4)`, [study.id, v.id, PROTOCOL, maxAttempts]);
  }
  const deviceIds: string[] = [];
  for (let i = 0; i < 4; i++) {
    const [d] = await ds.query(
      `INSERT INTO devices (name, device_class, cpu_model, cores, os, hostname, runner, runtime_version, agent_version, credential_hash)
       VALUES ($1, 'cpu', 'x', 1, 'linux', 'h', 'ort-node', '1', '1', 'h') RETURNING id`,
      [`d${i}-${Math.random()}`],
    );
    deviceIds.push(d.id);
  }
  return { studyId: study.id, deviceIds };
}

describe(JobRepository.name, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let sut: JobRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, { poolSize: 8 });
    await ds.initialize();
    sut = new JobRepository(ds);
  });

  beforeEach(async () => {
    await ds.query('TRUNCATE jobs, variants, studies, devices');
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('never leases one job twice, however many devices ask at once', async () => {
    const { deviceIds } = await seedStudy(ds, 3);
    const leases = await Promise.all([...deviceIds, ...deviceIds].map((d) => sut.leaseNext(d, 60)));
    const jobIds = leases.filter((l) => l !== null).map((l) => l!.jobId);
    expect(jobIds).toHaveLength(3);
    expect(new Set(jobIds).size).toBe(3);
  });

  it('marks the study running on the first lease and completed when its last job is stored', async () => {
    const { studyId, deviceIds } = await seedStudy(ds, 1);
    const lease = await sut.leaseNext(deviceIds[0]!, 60);
    expect((await ds.query(`SELECT status FROM studies WHERE id = $1`, [studyId]))[0].status).toBe('running');
    await ds.transaction(async (m) => {
      await sut.complete(lease!.jobId, m);
      await sut.refreshStudyStatus(studyId, m);
    });
    expect((await ds.query(`SELECT status FROM studies WHERE id = $1`, [studyId]))[0].status).toBe('completed');
  });

  it('re-queues a failed attempt, and fails the job for good after max_attempts', async () => {
    const { studyId, deviceIds } = await seedStudy(ds, 1, 2);
    const first = await sut.leaseNext(deviceIds[0]!, 60);
    await sut.failAttempt(first!.jobId, deviceIds[0]!, first!.attempt, 'boom');
    const second = await sut.leaseNext(deviceIds[1]!, 60);
    expect(second).toMatchObject({ jobId: first!.jobId, attempt: 2 });
    await sut.failAttempt(second!.jobId, deviceIds[1]!, second!.attempt, 'boom again');
    const [job] = await ds.query(`SELECT state, error FROM jobs WHERE id = $1`, [first!.jobId]);
    expect(job).toEqual({ state: 'failed', error: 'boom again' });
    expect((await ds.query(`SELECT status FROM studies WHERE id = $1`, [studyId]))[0].status).toBe('failed');
  });

  it('ignores a failure reported for an attempt that is no longer the current lease', async () => {
    const { deviceIds } = await seedStudy(ds, 1);
    const lease = await sut.leaseNext(deviceIds[0]!, 60);
    await sut.failAttempt(lease!.jobId, deviceIds[1]!, lease!.attempt, 'not my job');
    const [job] = await ds.query(`SELECT state FROM jobs WHERE id = $1`, [lease!.jobId]);
    expect(job.state).toBe('leased');
  });

  it('re-queues expired leases', async () => {
    const { deviceIds } = await seedStudy(ds, 1);
    const lease = await sut.leaseNext(deviceIds[0]!, 60);
    await ds.query(`UPDATE jobs SET lease_expires_at = now() - interval '1 second'`);
    expect(await sut.requeueExpired()).toBe(1);
    const again = await sut.leaseNext(deviceIds[1]!, 60);
    expect(again).toMatchObject({ jobId: lease!.jobId, attempt: 2 });
  });
});
