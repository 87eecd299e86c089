import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rounds: a study measures every variant on a device in several replicates, grouped in rounds that
 * one agent runs together (interleaved), so that each comparison pairs runs taken under the same
 * host state. A job belongs to one round (`round`), holds its place in the round's random order
 * (`round_position`); control leases a round's queued jobs together, to one device. The agent's
 * last status line for a job (e.g. "retry 2/3: busy-system") is kept in `status_message`. A run
 * keeps its job's round. `studies.rounds` records, per device group, how many rounds ran and
 * what ended them (adaptive stopping).
 * Runs stored before have no round (null): they are compared as independent replicates.
 * `layer_timings.overhead_ns`: each node's executor overhead, typed on the wire instead of only in
 * the run's report (null for rows stored before, and where the runtime does not tell).
 */
export class ReplicatedRounds1795800000000 implements MigrationInterface {
  name = 'ReplicatedRounds1795800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "jobs" ADD "round" integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE "jobs" ADD "round_position" integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE "jobs" ADD "status_message" text`);
    await q.query(`CREATE INDEX "IDX_jobs_study_round" ON "jobs" ("study_id", "round")`);
    await q.query(`ALTER TABLE "runs" ADD "round" integer`);
    await q.query(`ALTER TABLE "studies" ADD "rounds" jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE "layer_timings" ADD "overhead_ns" bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "layer_timings" DROP COLUMN "overhead_ns"`);
    await q.query(`ALTER TABLE "studies" DROP COLUMN "rounds"`);
    await q.query(`ALTER TABLE "runs" DROP COLUMN "round"`);
    await q.query(`DROP INDEX "IDX_jobs_study_round"`);
    await q.query(`ALTER TABLE "jobs" DROP COLUMN "status_message"`);
    await q.query(`ALTER TABLE "jobs" DROP COLUMN "round_position"`);
    await q.query(`ALTER TABLE "jobs" DROP COLUMN "round"`);
  }
}
