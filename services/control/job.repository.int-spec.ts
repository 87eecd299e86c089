import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { createTestDatabase } from '../../test/support/test-database.js';
import { insertDevice, insertJob, insertModelRow, insertStudyRow, insertVariant } from '../../test/support/fleet-rows.factory.js';
import { cancelStudy, createDataSource, insertRound, type DeviceEntity } from '../lib/store/index.js';
import { JobRepository } from './job.repository.js';

const PROTOCOL = { warmupRuns: 1, timedRuns: 2, profiledRuns: 1, graphOptimizationLevel: 'all' };
type Device = Pick<DeviceEntity, 'id' | 'deviceClass' | 'cpuModel' | 'tags'>;

interface StudyOpts {
  jobs?: number;
  maxAttempts?: number;
  priority?: number;
  selector?: Record<string, unknown>;
  target?: string;
  /** all jobs in one round (else each job is a round of its own) */
  oneRound?: boolean;
}

const SHA = 'a'.repeat(64);

async function seedStudy(ds: DataSource, o: StudyOpts = {}): Promise<string> {
  await insertModelRow(ds, { sha256: SHA });
  const studyId = await insertStudyRow(ds, { priority: o.priority ?? 0 });
  const jobs = o.jobs ?? 1;
  for (let i = 0; i < jobs; i++) {
    const variantId = await insertVariant(ds, { studyId, label: `v${i}`, modelSha256: SHA, baseline: i === 0, position: i });
    await insertJob(ds, {
      studyId,
      variantId,
      protocol: PROTOCOL,
      maxAttempts: o.maxAttempts ?? 3,
      priority: o.priority ?? 0,
      selector: o.selector ?? {},
      targetDeviceId: o.target ?? null,
      round: o.oneRound ? 0 : i,
      roundPosition: o.oneRound ? (i * 7) % jobs : 0,
    });
  }
  return studyId;
}

async function seedDevice(ds: DataSource, over: Partial<{ deviceClass: string; cpuModel: string; tags: Record<string, string> }> = {}): Promise<Device> {
  const { id, deviceClass, cpuModel, tags } = await insertDevice(ds, { cpuModel: 'x', ...over });
  return { id, deviceClass, cpuModel, tags };
}

const studyStatus = async (ds: DataSource, id: string) => (await ds.query(`SELECT status FROM studies WHERE id = $1`, [id]))[0].status;

describe(JobRepository.name, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let sut: JobRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, { poolSize: 10 });
    await ds.initialize();
    sut = new JobRepository(ds);
  });

  beforeEach(async () => {
    await ds.query('TRUNCATE jobs, job_attempts, variants, studies, devices');
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('leases a round’s jobs together to one device, in the round’s order; another device takes the next round', async () => {
    const study = await seedStudy(ds, { jobs: 3, oneRound: true });
    const [next] = await ds.query(`SELECT id FROM variants WHERE study_id = $1 ORDER BY position LIMIT 1`, [study]);
    await insertJob(ds, { studyId: study, variantId: next.id, round: 1 });
    const [a, b] = [await seedDevice(ds), await seedDevice(ds)];
    const leases = await sut.leaseBatch([a, b], 60);
    const byDevice = (d: Device) => leases.filter((l) => l.deviceId === d.id).map((l) => [l.round, l.roundPosition]);
    // positions 0, 7 % 3 = 1, 14 % 3 = 2 for variants v0, v1, v2: leased in position order
    expect(byDevice(a)).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
    ]);
    expect(byDevice(b)).toEqual([[1, 0]]);
    expect(leases.filter((l) => l.deviceId === a.id).map((l) => l.variantLabel)).toEqual(['v0', 'v1', 'v2']);
  });

  it('never leases one job twice, however many devices ask at once', async () => {
    await seedStudy(ds, { jobs: 3 });
    const devices = await Promise.all([1, 2, 3, 4].map(() => seedDevice(ds)));
    const leases = await Promise.all([...devices, ...devices].map((d) => sut.leaseNext(d, 60)));
    const jobIds = leases.filter((l) => l !== null).map((l) => l!.jobId);
    expect(jobIds).toHaveLength(3);
    expect(new Set(jobIds).size).toBe(3);
  });

  it('leases while a cancellation holds the study row, instead of waiting for it (the two would deadlock)', async () => {
    const study = await seedStudy(ds, { jobs: 1 });
    const device = await seedDevice(ds);
    const cancel = ds.createQueryRunner();
    await cancel.connect();
    try {
      await cancel.startTransaction();
      await cancel.query(`SELECT id FROM studies WHERE id = $1 FOR UPDATE`, [study]);
      const waited = new Promise<'waited'>((r) => setTimeout(() => r('waited'), 5_000));
      await expect(Promise.race([sut.leaseNext(device, 60), waited])).resolves.toMatchObject({ studyId: study });
    } finally {
      await cancel.rollbackTransaction();
      await cancel.release();
    }
  });

  it('gives a device one job at a time', async () => {
    await seedStudy(ds, { jobs: 2 });
    const device = await seedDevice(ds);
    const [a, b] = await Promise.all([sut.leaseNext(device, 60), sut.leaseNext(device, 60)]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect(await sut.leaseNext(device, 60)).toBeNull();
  });

  it('leases a job only to devices its selector or target matches', async () => {
    const phone = await seedDevice(ds, { deviceClass: 'android', cpuModel: 'Tensor G2', tags: { lab: 'b', big: '1' } });
    const otherPhone = await seedDevice(ds, { deviceClass: 'android', cpuModel: 'Tensor G2', tags: { lab: 'a' } });
    const cpu = await seedDevice(ds);
    await seedStudy(ds, { selector: { class: 'android', tags: { lab: 'b' } } });
    expect(await sut.leaseNext(cpu, 60)).toBeNull();
    expect(await sut.leaseNext(otherPhone, 60)).toBeNull();
    expect(await sut.leaseNext(phone, 60)).not.toBeNull();
    await seedStudy(ds, { target: cpu.id });
    expect(await sut.leaseNext(otherPhone, 60)).toBeNull();
    expect(await sut.leaseNext(cpu, 60)).not.toBeNull();
  });

  it('runs higher priorities first and shares equal priorities between studies', async () => {
    const low = await seedStudy(ds, { jobs: 3 });
    const busy = await seedStudy(ds, { jobs: 3 });
    const urgent = await seedStudy(ds, { jobs: 1, priority: 5 });
    const devices = await Promise.all([1, 2, 3].map(() => seedDevice(ds)));
    const order = [];
    for (const d of devices) order.push((await sut.leaseNext(d, 60))!.studyId);
    expect(order[0]).toBe(urgent);
    expect(new Set(order.slice(1))).toEqual(new Set([low, busy]));
  });

  it('marks the study running on the first lease and completed when its last job is stored', async () => {
    const studyId = await seedStudy(ds);
    const lease = await sut.leaseNext(await seedDevice(ds), 60);
    expect(await studyStatus(ds, studyId)).toBe('running');
    await ds.transaction(async (m) => {
      await sut.complete(lease!.jobId, lease!.attempt, m);
      await sut.refreshStudyStatus(studyId, m);
    });
    expect(await studyStatus(ds, studyId)).toBe('completed');
  });

  it('re-queues a failed attempt, records each attempt and its error, and fails the job after max_attempts', async () => {
    const studyId = await seedStudy(ds, { maxAttempts: 2 });
    const [d1, d2] = [await seedDevice(ds), await seedDevice(ds)];
    const first = await sut.leaseNext(d1, 60);
    await sut.failAttempt(first!.jobId, d1.id, first!.attempt, 'boom');
    const second = await sut.leaseNext(d2, 60);
    expect(second).toMatchObject({ jobId: first!.jobId, attempt: 2 });
    await sut.failAttempt(second!.jobId, d2.id, second!.attempt, 'boom again');
    expect((await ds.query(`SELECT state, error FROM jobs WHERE id = $1`, [first!.jobId]))[0]).toEqual({ state: 'failed', error: 'boom again' });
    const attempts = await ds.query(`SELECT attempt, device_id, outcome, error FROM job_attempts WHERE job_id = $1 ORDER BY attempt`, [first!.jobId]);
    expect(attempts).toEqual([
      { attempt: 1, device_id: d1.id, outcome: 'failed', error: 'boom' },
      { attempt: 2, device_id: d2.id, outcome: 'failed', error: 'boom again' },
    ]);
    expect(await studyStatus(ds, studyId)).toBe('failed');
  });

  it('re-queues a job the agent handed back as busy without counting the attempt', async () => {
    await seedStudy(ds, { maxAttempts: 1 });
    const [d1, d2] = [await seedDevice(ds), await seedDevice(ds)];
    const first = await sut.leaseNext(d1, 60);
    await sut.rejectAttempt(first!.jobId, d1.id, first!.attempt, 'agent busy with job x');
    const second = await sut.leaseNext(d2, 60);
    expect(second).toMatchObject({ jobId: first!.jobId, attempt: 2 });
    const attempts = await ds.query(`SELECT attempt, outcome FROM job_attempts WHERE job_id = $1 ORDER BY attempt`, [first!.jobId]);
    expect(attempts).toEqual([
      { attempt: 1, outcome: 'rejected' },
      { attempt: 2, outcome: null },
    ]);
  });

  it('ignores a failure reported for an attempt that is no longer the current lease', async () => {
    await seedStudy(ds);
    const [d1, d2] = [await seedDevice(ds), await seedDevice(ds)];
    const lease = await sut.leaseNext(d1, 60);
    await sut.failAttempt(lease!.jobId, d2.id, lease!.attempt, 'not my job');
    expect((await ds.query(`SELECT state FROM jobs WHERE id = $1`, [lease!.jobId]))[0].state).toBe('leased');
  });

  it('re-queues expired leases and the jobs of agents whose heartbeats stopped', async () => {
    await seedStudy(ds, { jobs: 2 });
    const [d1, d2, d3] = [await seedDevice(ds), await seedDevice(ds), await seedDevice(ds)];
    const a = await sut.leaseNext(d1, 60);
    const b = await sut.leaseNext(d2, 60);
    await ds.query(`UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [a!.jobId]);
    await ds.query(`UPDATE devices SET last_seen_at = now() - interval '1 minute' WHERE id = $1`, [d2.id]);
    expect(await sut.requeueExpired(3_600)).toEqual([{ jobId: a!.jobId, deviceId: d1.id, overran: false }]);
    expect(await sut.requeueLost(30)).toBe(1);
    const outcomes = await ds.query(`SELECT outcome FROM job_attempts ORDER BY outcome`);
    expect(outcomes.map((o: { outcome: string }) => o.outcome)).toEqual(['expired', 'lost']);
    expect(await sut.leaseNext(d3, 60)).toMatchObject({ jobId: a!.jobId, attempt: 2 });
    expect(b).not.toBeNull();
  });

  it('lets a device deliver an attempt it was given even after the lease moved on, until the job is done', async () => {
    await seedStudy(ds);
    const [d1, d2] = [await seedDevice(ds), await seedDevice(ds)];
    const lease = await sut.leaseNext(d1, 60);
    await ds.query(`UPDATE devices SET last_seen_at = now() - interval '1 minute' WHERE id = $1`, [d1.id]);
    await sut.requeueLost(30);
    await sut.leaseNext(d2, 60);
    expect(await sut.findGrantedAttempt(lease!.jobId, d1.id, 1)).toMatchObject({ attempt: 1, jobState: 'leased', modelSha256: 'a'.repeat(64) });
    expect(await sut.findGrantedAttempt(lease!.jobId, d2.id, 1)).toBeNull();
    await ds.transaction((m) => sut.complete(lease!.jobId, 1, m));
    const attempts = await ds.query(`SELECT attempt, outcome FROM job_attempts ORDER BY attempt`);
    expect(attempts).toEqual([
      { attempt: 1, outcome: 'completed' },
      { attempt: 2, outcome: 'superseded' },
    ]);
  });

  it('cancels a study: queued jobs never run, leased ones are reported for their agents', async () => {
    const studyId = await seedStudy(ds, { jobs: 2 });
    const device = await seedDevice(ds);
    const lease = await sut.leaseNext(device, 60);
    const cancelled = await cancelStudy(ds, studyId);
    expect(cancelled).toEqual([{ jobId: lease!.jobId, deviceId: device.id }]);
    expect(await studyStatus(ds, studyId)).toBe('cancelled');
    expect(await sut.leaseNext(await seedDevice(ds), 60)).toBeNull();
    await sut.failAttempt(lease!.jobId, device.id, lease!.attempt, 'aborted');
    expect((await ds.query(`SELECT state FROM jobs WHERE id = $1`, [lease!.jobId]))[0].state).toBe('cancelled');
    expect(await cancelStudy(ds, '00000000-0000-0000-0000-000000000000')).toBeNull();
  });

  it('leases a batch: one job per device and no job twice, with two replicas leasing overlapping devices at once', async () => {
    await seedStudy(ds, { jobs: 30 });
    await seedStudy(ds, { jobs: 30 });
    const devices = await Promise.all(Array.from({ length: 40 }, () => seedDevice(ds)));
    for (let round = 0; round < 3; round++) {
      const [a, b] = await Promise.all([sut.leaseBatch(devices.slice(0, 30), 60), sut.leaseBatch(devices.slice(10), 60)]);
      const all = [...a, ...b];
      expect(new Set(all.map((l) => l.jobId)).size).toBe(all.length);
      expect(new Set(all.map((l) => l.deviceId)).size).toBe(all.length);
    }
    const [leased] = await ds.query(`SELECT count(*)::int AS jobs, count(DISTINCT device_id)::int AS devices FROM jobs WHERE state = 'leased'`);
    expect(leased).toEqual({ jobs: 40, devices: 40 });
    expect(await sut.leaseBatch(devices, 60)).toEqual([]);
    const [attempts] = await ds.query(`SELECT count(*)::int AS n FROM job_attempts`);
    expect(attempts.n).toBe(40);
  });

  it('fills a batch by priority, shares it between studies and respects selectors', async () => {
    const first = await seedStudy(ds, { jobs: 5 });
    const second = await seedStudy(ds, { jobs: 5 });
    const urgent = await seedStudy(ds, { jobs: 1, priority: 5 });
    const phoneJob = await seedStudy(ds, { selector: { class: 'android' } });
    const phone = await seedDevice(ds, { deviceClass: 'android' });
    const cpus = await Promise.all([1, 2, 3, 4, 5].map(() => seedDevice(ds)));
    const leases = await sut.leaseBatch([...cpus, phone], 60);
    expect(leases.map((l) => l.deviceId)).toEqual([...cpus, phone].map((d) => d.id));
    const studies = leases.map((l) => l.studyId);
    expect(studies[0]).toBe(urgent);
    expect(studies.filter((s) => s === first)).toHaveLength(2);
    expect(studies.filter((s) => s === second)).toHaveLength(2);
    expect(studies[5]).toBe(phoneJob);
  });

  it('extends a lease by heartbeats only up to the maximum job duration, and records why the attempt ended', async () => {
    await seedStudy(ds);
    const device = await seedDevice(ds);
    const lease = await sut.leaseNext(device, 60);
    await ds.query(`UPDATE job_attempts SET leased_at = now() - interval '2 hours'`);
    await sut.extendLease(lease!.jobId, device.id, 60, 3_600);
    const [job] = await ds.query(`SELECT lease_expires_at < now() AS past FROM jobs`);
    expect(job.past).toBe(true);
    expect(await sut.requeueExpired(3_600)).toEqual([{ jobId: lease!.jobId, deviceId: device.id, overran: true }]);
    const [attempt] = await ds.query(`SELECT outcome, error FROM job_attempts`);
    expect(attempt.outcome).toBe('expired');
    expect(attempt.error).toMatch(/maximum job duration \(3600 s/);
    expect((await ds.query(`SELECT state FROM jobs`))[0].state).toBe('queued');
  });

  describe('formats', () => {
    /** A study whose round holds an ONNX and a TFLite variant, queued the way studies queue rounds. */
    async function seedFormatsStudy(): Promise<{ study: string; onnxVariant: string; tfliteVariant: string }> {
      for (const [sha, format] of [
        ['c', 'onnx'],
        ['d', 'tflite'],
      ])
        await insertModelRow(ds, { sha256: sha.repeat(64), format, layers: [{ name: 'stem' }] });
      const studyId = await insertStudyRow(ds, { name: 'formats', baselineLabel: 'onnx' });
      const variant = (label: string, sha: string, position: number) => insertVariant(ds, { studyId, label, modelSha256: sha.repeat(64), baseline: position === 0, position });
      const onnxVariant = await variant('onnx', 'c', 0);
      const tfliteVariant = await variant('tflite', 'd', 1);
      await insertRound(ds, {
        studyId,
        round: 0,
        variantIds: [onnxVariant, tfliteVariant],
        protocol: { ...PROTOCOL, graphOptimizationLevel: 'all' },
        priority: 0,
        selector: {},
        target: null,
      });
      return { study: studyId, onnxVariant, tfliteVariant };
    }

    it('queues each job with its model’s format and leases it only to a device that runs that format', async () => {
      const { onnxVariant, tfliteVariant } = await seedFormatsStudy();
      const jobs: Array<{ variant_id: string; format: string }> = await ds.query(`SELECT variant_id, format FROM jobs ORDER BY format`);
      expect(jobs).toEqual([
        { variant_id: onnxVariant, format: 'onnx' },
        { variant_id: tfliteVariant, format: 'tflite' },
      ]);

      const ortNode = { ...(await seedDevice(ds)), formats: ['onnx'] };
      const litert = { ...(await seedDevice(ds)), formats: ['tflite'] };
      const first = await sut.leaseBatch([ortNode], 60);
      expect(first.map((l) => [l.variantLabel, l.modelFormat, l.modelSha256])).toEqual([['onnx', 'onnx', 'c'.repeat(64)]]);
      const second = await sut.leaseBatch([ortNode, litert], 60);
      expect(second.map((l) => [l.deviceId, l.variantLabel, l.modelFormat, l.modelSha256])).toEqual([[litert.id, 'tflite', 'tflite', 'd'.repeat(64)]]);
    });

    it('leaves a job that no device runs queued', async () => {
      await seedFormatsStudy();
      const onnxOnly = await seedDevice(ds);

      const leases = [...(await sut.leaseBatch([onnxOnly], 60)), ...(await sut.leaseBatch([{ ...onnxOnly, id: (await seedDevice(ds)).id }], 60))];

      expect(leases.map((l) => l.modelFormat)).toEqual(['onnx']);
      expect(await ds.query(`SELECT format, state FROM jobs ORDER BY format`)).toEqual([
        { format: 'onnx', state: 'leased' },
        { format: 'tflite', state: 'queued' },
      ]);
    });
  });
});
