import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase } from '../../test/support/test-database.js';
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
    ] as const) {
      await ds.query(
        `INSERT INTO models (sha256, name, family, spec, resolution, input_name, input_shape, size_bytes, madds, params, layers, data)
         VALUES ($1, 'm', 'f', '{}', 224, 'input', '{1,3,224,224}', $2, 1, 1, '[]', $3)`,
        [sha, data.length, data],
      );
    }
    const [study] = await ds.query(`INSERT INTO studies (name, spec, baseline_label) VALUES ('s', '{}', 'v0') RETURNING id`);
    const [variant] = await ds.query(`INSERT INTO variants (study_id, label, model_sha256, is_baseline, position) VALUES ($1, 'v0', $2, true, 0) RETURNING id`, [study.id, SHA]);
    await ds.query(`INSERT INTO jobs (study_id, variant_id, protocol) VALUES ($1, $2, '{}')`, [study.id, variant.id]);
    const ids: Array<{ id: string }> = await ds.query(
      `INSERT INTO devices (name, device_class, cpu_model, cores, os, hostname, runner, runtime_version, agent_version, credential_hash, tags, last_seen_at)
       SELECT 'd' || g, 'cpu', 'x', 1, 'linux', 'h', 'ort-node', '1', '1', 'h', '{}', now() FROM generate_series(1, 2) g RETURNING id`,
    );
    [deviceId, strangerId] = ids.map((r) => r.id) as [string, string];
    await jobs.leaseNext({ id: deviceId, deviceClass: 'cpu', cpuModel: 'x', tags: {} }, 60);
    // The same agent leased a job of another model too (a second study), so that it may fetch both.
    const [other] = await ds.query(`INSERT INTO studies (name, spec, baseline_label) VALUES ('s2', '{}', 'v0') RETURNING id`);
    const [otherVariant] = await ds.query(`INSERT INTO variants (study_id, label, model_sha256, is_baseline, position) VALUES ($1, 'v0', $2, true, 0) RETURNING id`, [
      other.id,
      OTHER_SHA,
    ]);
    await ds.query(`INSERT INTO jobs (study_id, variant_id, protocol, state, device_id, lease_expires_at) VALUES ($1, $2, '{}', 'leased', $3, now() + interval '1 hour')`, [
      other.id,
      otherVariant.id,
      deviceId,
    ]);
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
