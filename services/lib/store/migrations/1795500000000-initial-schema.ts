import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Devices, models, studies, variants, jobs, runs, raw latencies and per-layer timings. */
export class InitialSchema1795500000000 implements MigrationInterface {
  name = 'InitialSchema1795500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "devices" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "device_class" text NOT NULL, "cpu_model" text NOT NULL, "cores" integer NOT NULL, "os" text NOT NULL, "hostname" text NOT NULL, "runner" text NOT NULL, "runtime_version" text NOT NULL, "agent_version" text NOT NULL, "tags" jsonb NOT NULL DEFAULT '{}', "credential_hash" text NOT NULL, "state" text NOT NULL DEFAULT 'offline', "last_seen_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b1514758245c12daf43486dd1f0" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "IDX_25a895dfc7796eab1da289796f" ON "devices" ("name") `);
    await q.query(
      `CREATE TABLE "jobs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "study_id" uuid NOT NULL, "variant_id" uuid NOT NULL, "state" text NOT NULL DEFAULT 'queued', "priority" integer NOT NULL DEFAULT '0', "attempt" integer NOT NULL DEFAULT '0', "max_attempts" integer NOT NULL DEFAULT '3', "device_id" uuid, "lease_expires_at" TIMESTAMP WITH TIME ZONE, "protocol" jsonb NOT NULL, "phase" text, "progress" double precision NOT NULL DEFAULT '0', "error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_cf0a6c42b72fcc7f7c237def345" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_8d5932aa893874ed1cd3179947" ON "jobs" ("study_id") `);
    await q.query(`CREATE INDEX "IDX_8b12e5a6d415aa92aefd2d96c5" ON "jobs" ("state", "priority", "created_at") `);
    await q.query(
      `CREATE TABLE "layer_timings" ("run_id" uuid NOT NULL, "iteration" integer NOT NULL, "node_name" text NOT NULL, "op_type" text NOT NULL, "layer" text NOT NULL, "duration_ns" bigint NOT NULL, "provider" text NOT NULL, CONSTRAINT "PK_a539b1ff05b259c7c6b36c8d9f1" PRIMARY KEY ("run_id", "iteration", "node_name"))`,
    );
    await q.query(
      `CREATE TABLE "models" ("sha256" character(64) NOT NULL, "name" text NOT NULL, "family" text NOT NULL, "spec" jsonb NOT NULL, "resolution" integer NOT NULL, "input_name" text NOT NULL, "input_shape" integer array NOT NULL, "size_bytes" bigint NOT NULL, "madds" bigint NOT NULL, "params" bigint NOT NULL, "layers" jsonb NOT NULL, "data" bytea NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_055d942111b87aa773bc8325f2d" PRIMARY KEY ("sha256"))`,
    );
    await q.query(
      `CREATE TABLE "run_latencies" ("run_id" uuid NOT NULL, "iteration" integer NOT NULL, "latency_ns" bigint NOT NULL, CONSTRAINT "PK_6deb95f53f0be57888ce4e636cf" PRIMARY KEY ("run_id", "iteration"))`,
    );
    await q.query(
      `CREATE TABLE "runs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "job_id" uuid NOT NULL, "attempt" integer NOT NULL, "study_id" uuid NOT NULL, "variant_id" uuid NOT NULL, "device_id" uuid NOT NULL, "model_sha256" character(64) NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "finished_at" TIMESTAMP WITH TIME ZONE NOT NULL, "protocol" jsonb NOT NULL, "environment" jsonb NOT NULL, "timed_runs" integer NOT NULL, "median_ns" bigint NOT NULL, "p90_ns" bigint NOT NULL, "min_ns" bigint NOT NULL, "mean_ns" double precision NOT NULL, "profiled_median_ns" bigint NOT NULL, "latency_rows" integer NOT NULL, "layer_rows" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_46d6a1e257c38ba58f1a3c30836" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_009d05c3e42cb3bfd3be52113e" ON "runs" ("study_id", "variant_id", "device_id") `);
    await q.query(`CREATE UNIQUE INDEX "IDX_82215e04d230862e3461c4bcb3" ON "runs" ("job_id", "attempt") `);
    await q.query(
      `CREATE TABLE "studies" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "spec" jsonb NOT NULL, "baseline_label" text NOT NULL, "status" text NOT NULL DEFAULT 'queued', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_b100ff0c4a0ad02a9c2270d45b6" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_54723b72e60e001eb7f7540662" ON "studies" ("status") `);
    await q.query(
      `CREATE TABLE "variants" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "study_id" uuid NOT NULL, "label" text NOT NULL, "model_sha256" character(64) NOT NULL, "is_baseline" boolean NOT NULL, "position" integer NOT NULL, CONSTRAINT "PK_672d13d1a6de0197f20c6babb5e" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "IDX_2b5c533b5df2c2473842719377" ON "variants" ("study_id", "label") `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."IDX_2b5c533b5df2c2473842719377"`);
    await q.query(`DROP TABLE "variants"`);
    await q.query(`DROP INDEX "public"."IDX_54723b72e60e001eb7f7540662"`);
    await q.query(`DROP TABLE "studies"`);
    await q.query(`DROP INDEX "public"."IDX_82215e04d230862e3461c4bcb3"`);
    await q.query(`DROP INDEX "public"."IDX_009d05c3e42cb3bfd3be52113e"`);
    await q.query(`DROP TABLE "runs"`);
    await q.query(`DROP TABLE "run_latencies"`);
    await q.query(`DROP TABLE "models"`);
    await q.query(`DROP TABLE "layer_timings"`);
    await q.query(`DROP INDEX "public"."IDX_8b12e5a6d415aa92aefd2d96c5"`);
    await q.query(`DROP INDEX "public"."IDX_8d5932aa893874ed1cd3179947"`);
    await q.query(`DROP TABLE "jobs"`);
    await q.query(`DROP INDEX "public"."IDX_25a895dfc7796eab1da289796f"`);
    await q.query(`DROP TABLE "devices"`);
  }
}
