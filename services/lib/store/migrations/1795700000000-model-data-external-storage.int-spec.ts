import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertModelRow } from '../../../../test/support/fleet-rows.factory.js';
import { createTestDatabase } from '../../../../test/support/test-database.js';
import { createDataSource } from '../data-source.js';
import { ModelDataExternalStorage1795700000000 } from './1795700000000-model-data-external-storage.js';

describe(ModelDataExternalStorage1795700000000.name, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  const sut = new ModelDataExternalStorage1795700000000();

  const storage = async () =>
    (await ds.query(`SELECT attstorage FROM pg_attribute WHERE attrelid = 'models'::regclass AND attname = 'data' AND NOT attisdropped`))[0].attstorage as string;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, { poolSize: 2 });
    await ds.initialize();
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('stores model bytes out of line uncompressed, and reverts to the default (compressed) storage', async () => {
    expect(await storage()).toBe('e');
    const q = ds.createQueryRunner();
    try {
      await sut.down(q);
      expect(await storage()).toBe('x');
      await sut.up(q);
      expect(await storage()).toBe('e');
    } finally {
      await q.release();
    }
  });

  it('leaves a newly stored model uncompressed, however well it compresses', async () => {
    const compressible = Buffer.concat([Buffer.alloc(4 * 2 ** 20), randomBytes(1024)]);
    await insertModelRow(ds, { sha256: 'e'.repeat(64), data: compressible });
    const [row] = await ds.query(`SELECT pg_column_compression(data) AS method, pg_column_size(data) AS stored FROM models WHERE sha256 = $1`, ['e'.repeat(64)]);
    expect(row.method).toBeNull();
    expect(Number(row.stored)).toBeGreaterThanOrEqual(compressible.length);
  });
});
