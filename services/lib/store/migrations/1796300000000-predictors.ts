import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Latency predictors learned from the per-layer tables, one version after another per device, runtime and optimization level. */
export class Predictors1796300000000 implements MigrationInterface {
  name = 'Predictors1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "predictors" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "device_id" uuid NOT NULL, "runtime" text NOT NULL, "optimization" text NOT NULL, "version" integer NOT NULL, "training" jsonb NOT NULL, "validation" jsonb, "held_out" jsonb NOT NULL, "model" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_7d0bc071f497421bf9368f1ac00" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "IDX_13cf3d27e938297fd6ca8286f5" ON "predictors" ("device_id", "runtime", "optimization", "version") `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."IDX_13cf3d27e938297fd6ca8286f5"`);
    await q.query(`DROP TABLE "predictors"`);
  }
}
