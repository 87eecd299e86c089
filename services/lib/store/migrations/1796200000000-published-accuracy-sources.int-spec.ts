import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../test/support/test-database.js';
import { insertModel, insertStudy } from '../../../../test/support/study-results.factory.js';
import { insertAccuracy } from '../../../../test/support/fleet-rows.factory.js';
import { AccuracyRepository } from '../../../query/accuracy.repository.js';
import { createDataSource } from '../data-source.js';
import { PUBLISHED_TOP1 } from './1795600000000-accuracies-and-uploads.js';
import { PublishedAccuracySources1796200000000, PUBLISHED_TOP1_SOURCES } from './1796200000000-published-accuracy-sources.js';

describe(PublishedAccuracySources1796200000000.name, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  const sut = new PublishedAccuracySources1796200000000();
  const preloaded = async () =>
    (await ds.query(`SELECT model_name AS model, source, published, created_at AS "createdAt" FROM accuracies WHERE published ORDER BY model_name`)) as Array<{
      model: string;
      source: string;
      createdAt: Date;
    }>;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, { poolSize: 2 });
    await ds.initialize();
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('cites the paper and table of every preloaded top-1, loaded now rather than at the epoch', async () => {
    const sut = await preloaded();

    expect(sut.map((r) => [r.model, r.source])).toEqual(PUBLISHED_TOP1.map((p) => [p.model, PUBLISHED_TOP1_SOURCES[p.model]]).sort(([a], [b]) => a!.localeCompare(b!)));
    expect(sut.every((r) => r.createdAt.getUTCFullYear() > 1970)).toBe(true);
  });

  it('puts the old rows back on the way down and leaves a user entry alone both ways', async () => {
    await insertAccuracy(ds, { model: 'mixnet-s', top1: 76.1, source: 'my training run' });
    const q = ds.createQueryRunner();
    try {
      await sut.down(q);
      const down = await ds.query(`SELECT model_name AS model, source, created_at AS "createdAt" FROM accuracies WHERE source <> 'my training run' ORDER BY model_name`);
      expect(down.map((r: { model: string; source: string }) => [r.model, r.source])).toEqual(
        PUBLISHED_TOP1.map((p) => [p.model, p.source]).sort(([a], [b]) => a!.localeCompare(b!)),
      );
      expect(down.every((r: { createdAt: Date }) => r.createdAt.getTime() === 0)).toBe(true);

      await sut.up(q);
      expect((await preloaded()).map((r) => r.source)).not.toContain('my training run');
      expect(await ds.query(`SELECT published FROM accuracies WHERE source = 'my training run'`)).toEqual([{ published: false }]);
    } finally {
      await q.release();
    }
  });

  it("lets a user's entry for a model win over the published one, however old the user's is", async () => {
    const model = await insertModel(ds, 'mobilenetv2-1.0');
    const study = await insertStudy(ds, { baseline: 'v2', variants: [{ label: 'v2', model }] });
    await insertAccuracy(ds, { model: 'mobilenetv2-1.0', top1: 71.5, source: 'retrained here', createdAt: new Date('2001-01-01') });

    const sut = await new AccuracyRepository(ds).forVariants([study.variantIds.v2!]);

    expect(sut.get(study.variantIds.v2!)).toEqual({ top1: 71.5, source: 'retrained here', scope: 'model' });
  });
});
