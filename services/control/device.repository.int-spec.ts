import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { createTestDatabase } from '../../test/support/test-database.js';
import { insertDevice } from '../../test/support/fleet-rows.factory.js';
import { createDataSource } from '../lib/store/index.js';
import { DeviceRepository } from './device.repository.js';

const seedDevice = async (ds: DataSource, lastSeenSecondsAgo: number, id?: string): Promise<string> => (await insertDevice(ds, { lastSeenSecondsAgo, ...(id ? { id } : {}) })).id;

const stateOf = async (ds: DataSource, id: string) => (await ds.query(`SELECT state FROM devices WHERE id = $1`, [id]))[0].state;

describe(DeviceRepository.name, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let sut: DeviceRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, { poolSize: 4 });
    await ds.initialize();
    sut = new DeviceRepository(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('marks devices whose heartbeats stopped offline and leaves the others online', async () => {
    const stale = await seedDevice(ds, 60);
    const fresh = await seedDevice(ds, 1);

    await sut.markStaleOffline(15);

    expect(await stateOf(ds, stale)).toBe('offline');
    expect(await stateOf(ds, fresh)).toBe('online');
  });

  it('locks stale devices in id order, as a lease batch does, so the two cannot deadlock', async () => {
    // stored (and scanned) in the opposite order of their ids
    const high = await seedDevice(ds, 60, 'ffffffff-0000-4000-8000-000000000000');
    const low = await seedDevice(ds, 60, '00000000-0000-4000-8000-000000000000');
    const batch = ds.createQueryRunner();
    await batch.connect();
    try {
      await batch.startTransaction();
      await batch.query(`SELECT id FROM devices WHERE id = $1 FOR UPDATE`, [low]);
      const sweep = sut.markStaleOffline(15);
      await new Promise((r) => setTimeout(r, 300));
      // the sweep waits for `low` and holds nothing else: the batch takes its next device at once
      await expect(batch.query(`SELECT id FROM devices WHERE id = $1 FOR UPDATE NOWAIT`, [high])).resolves.toHaveLength(1);
      await batch.commitTransaction();
      await sweep;
    } finally {
      if (batch.isTransactionActive) await batch.rollbackTransaction();
      await batch.release();
    }

    expect([await stateOf(ds, low), await stateOf(ds, high)]).toEqual(['offline', 'offline']);
  });
});
