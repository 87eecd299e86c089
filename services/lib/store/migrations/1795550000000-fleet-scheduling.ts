import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Enrollment tokens, the history of job attempts, device selectors and study priorities. */
export class FleetScheduling1795550000000 implements MigrationInterface {
  name = 'FleetScheduling1795550000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "enrollment_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "token_hash" character(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_d9b043a74d8643fde7e6b948591" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "IDX_26dd8dccb908ba72ff0f6fc309" ON "enrollment_tokens" ("token_hash") `);
    await q.query(
      `CREATE TABLE "job_attempts" ("job_id" uuid NOT NULL, "attempt" integer NOT NULL, "device_id" uuid NOT NULL, "leased_at" TIMESTAMP WITH TIME ZONE NOT NULL, "ended_at" TIMESTAMP WITH TIME ZONE, "outcome" text, "error" text, CONSTRAINT "PK_0c36650236fefad798f31a873c7" PRIMARY KEY ("job_id", "attempt"))`,
    );
    await q.query(`ALTER TABLE "jobs" ADD "target_device_id" uuid`);
    await q.query(`ALTER TABLE "jobs" ADD "selector" jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE "studies" ADD "priority" integer NOT NULL DEFAULT '0'`);
    // Attempts leased before this migration keep their history from here on.
    await q.query(
      `INSERT INTO job_attempts (job_id, attempt, device_id, leased_at) SELECT id, attempt, device_id, updated_at FROM jobs WHERE state = 'leased' AND device_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "studies" DROP COLUMN "priority"`);
    await q.query(`ALTER TABLE "jobs" DROP COLUMN "selector"`);
    await q.query(`ALTER TABLE "jobs" DROP COLUMN "target_device_id"`);
    await q.query(`DROP TABLE "job_attempts"`);
    await q.query(`DROP INDEX "public"."IDX_26dd8dccb908ba72ff0f6fc309"`);
    await q.query(`DROP TABLE "enrollment_tokens"`);
  }
}
