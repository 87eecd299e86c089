import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase } from '../../test/support/test-database.js';
import { insertDevice, insertJob, insertModelRow, insertStudyRow, insertVariant } from '../../test/support/fleet-rows.factory.js';
import type { LatfleetConfig } from '../lib/config/index.js';
import { ErrorCode } from '../lib/errors/index.js';
import { createDataSource } from '../lib/store/index.js';
import { JobRepository } from './job.repository.js';
import { ModelRepository } from './model.repository.js';
import { ModelService } from './model.service.js';

const SHA = 'b'.repeat(64);
const DATA = randomBytes(2.5 * 2 ** 20);
const OTHER_SHA = 'c'.repeat(64);
const OTHER_DATA = randomBytes(2.5 * 2 ** 20);

async function collect(chunks: AsyncIterable<{ offset: number; data: Uint8Array; totalSizeBytes: number }>, total = DATA.length) {
  const parts: Buffer[] = [];
  for await (const c of chunks) {
    expect(c.offset).toBe(parts.reduce((n, p) => n + p.length, 0));
    expect(c.totalSizeBytes).toBe(total);
    parts.push(Buffer.from(c.data));
  }
  return Buffer.concat(parts);
}

describe(ModelService.name, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let models: ModelRepository;
  let jobs: JobRepository;
  let deviceId: string;
  let strangerId: string;
  const service = (cacheBytes: number) => new ModelService({ modelCacheBytes: cacheBytes } as LatfleetConfig, models, jobs);

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, { poolSize: 10 });
    await ds.initialize();
    models = new ModelRepository(ds);
    jobs = new JobRepository(ds);
    for (const [sha, data] of [
      [SHA, DATA],
      [OTHER_SHA, OTHER_DATA],
    ] as const)
      await insertModelRow(ds, { sha256: sha, data });
    const studyId = await insertStudyRow(ds);
    await insertJob(ds, { studyId, variantId: await insertVariant(ds, { studyId, label: 'v0', modelSha256: SHA, baseline: true, position: 0 }) });
    const device = await insertDevice(ds, { name: 'd1' });
    [deviceId, strangerId] = [device.id, (await insertDevice(ds, { name: 'd2' })).id];
    await jobs.leaseNext(device, 60);
    // The same agent leased a job of another model too (a second study), so that it may fetch both.
    const otherId = await insertStudyRow(ds);
    const otherVariant = await insertVariant(ds, { studyId: otherId, label: 'v0', modelSha256: OTHER_SHA, baseline: true, position: 0 });
    await insertJob(ds, { studyId: otherId, variantId: otherVariant, state: 'leased', deviceId, leaseSeconds: 3_600 });
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('reads a model that fits the cache from Postgres once for concurrent fetches', async () => {
    const sut = service(8 * 2 ** 20);
    const whole = vi.spyOn(models, 'findBytes');
    const got = await Promise.all(Array.from({ length: 5 }, () => collect(sut.chunks(deviceId, SHA))));
    for (const g of got) expect(g.equals(DATA)).toBe(true);
    expect((await collect(sut.chunks(deviceId, SHA))).equals(DATA)).toBe(true);
    expect(whole).toHaveBeenCalledTimes(1);
    whole.mockRestore();
  });

  it('reads a model larger than the cache in slices, never whole', async () => {
    const sut = service(2 ** 20);
    const whole = vi.spyOn(models, 'findBytes');
    const slices = vi.spyOn(models, 'findSlice');
    expect((await collect(sut.chunks(deviceId, SHA))).equals(DATA)).toBe(true);
    expect(whole).not.toHaveBeenCalled();
    expect(slices).toHaveBeenCalledTimes(3);
    whole.mockRestore();
    slices.mockRestore();
  });

  it('reads a model in slices while another one streaming whole fills the cache, and whole once that stream is cancelled', async () => {
    const sut = service(3 * 2 ** 20);
    const whole = vi.spyOn(models, 'findBytes');
    const streaming = sut.chunks(deviceId, SHA);
    expect((await streaming.next()).value).toMatchObject({ offset: 0 });
    expect((await collect(sut.chunks(deviceId, OTHER_SHA), OTHER_DATA.length)).equals(OTHER_DATA)).toBe(true);
    expect(whole.mock.calls.map(([sha]) => sha)).toEqual([SHA]);
    await streaming.return(undefined);
    expect((await collect(sut.chunks(deviceId, OTHER_SHA), OTHER_DATA.length)).equals(OTHER_DATA)).toBe(true);
    expect(whole.mock.calls.map(([sha]) => sha)).toEqual([SHA, OTHER_SHA]);
    whole.mockRestore();
  });

  it('fails a fetch whose load fails, keeps nothing of it, and loads again on the next fetch', async () => {
    const sut = service(3 * 2 ** 20);
    const whole = vi.spyOn(models, 'findBytes').mockRejectedValueOnce(new Error('connection reset'));
    await expect(collect(sut.chunks(deviceId, SHA))).rejects.toThrow('connection reset');
    expect((await collect(sut.chunks(deviceId, SHA))).equals(DATA)).toBe(true);
    expect(whole).toHaveBeenCalledTimes(2);
    whole.mockRestore();
  });

  it('refuses a model that is not part of a job leased to the agent', async () => {
    const sut = service(8 * 2 ** 20);
    await expect(collect(sut.chunks(strangerId, SHA))).rejects.toMatchObject({ code: ErrorCode.PermissionDenied });
    await expect(collect(sut.chunks(deviceId, 'nothex'))).rejects.toMatchObject({ code: ErrorCode.ValidationFailed, field: 'sha256' });
  });
});
