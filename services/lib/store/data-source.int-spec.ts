import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { createTestDatabase } from '../../../test/support/test-database.js';
import { createDataSource, migrate } from './data-source.js';

describe('migrations', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let sut: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    sut = createDataSource(db.url, { poolSize: 2 });
    await sut.initialize();
  });

  afterAll(async () => {
    await sut.destroy();
    await db.drop();
  });

  it('leave the schema exactly as the entities describe it', async () => {
    const pending = await sut.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('run again without effect, and revert and re-apply cleanly', async () => {
    await migrate(sut);
    for (let i = 0; i < sut.migrations.length; i++) await sut.undoLastMigration();
    const tables = await sut.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`);
    expect(tables[0].n).toBe(0);
    await migrate(sut);
    expect((await sut.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  });
});
