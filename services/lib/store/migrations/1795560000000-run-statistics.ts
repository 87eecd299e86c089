import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-run dispersion, the median's confidence interval, profiling overhead and the quality flag. */
export class RunStatistics1795560000000 implements MigrationInterface {
  name = 'RunStatistics1795560000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "runs" ADD "max_ns" bigint`);
    await q.query(`ALTER TABLE "runs" ADD "p99_ns" bigint`);
    await q.query(`ALTER TABLE "runs" ADD "std_ns" double precision`);
    await q.query(`ALTER TABLE "runs" ADD "mad_ns" double precision`);
    await q.query(`ALTER TABLE "runs" ADD "median_ci_low_ns" bigint`);
    await q.query(`ALTER TABLE "runs" ADD "median_ci_high_ns" bigint`);
    await q.query(`ALTER TABLE "runs" ADD "profiling_overhead" double precision`);
    await q.query(`ALTER TABLE "runs" ADD "flagged" boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE "runs" ADD "report" jsonb NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const c of ['report', 'flagged', 'profiling_overhead', 'median_ci_high_ns', 'median_ci_low_ns', 'mad_ns', 'std_ns', 'p99_ns', 'max_ns']) {
      await q.query(`ALTER TABLE "runs" DROP COLUMN "${c}"`);
    }
  }
}
