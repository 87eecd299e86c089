import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Formats as a scheduling fact (issue 13): a model is stored in one format (a generated variant may
 * have an ONNX and a TFLite row, each content-addressed), a device lists the formats its runner
 * runs, and a job carries its model's format so that a lease matches it without a join. Devices
 * registered before this announce nothing: their runner says what they run (litert: tflite, any
 * other: onnx, the only format there was). Imported models (`origin = 'imported'`) are found by
 * name, so an imported name names one model.
 */
export class ModelFormats1796000000000 implements MigrationInterface {
  name = 'ModelFormats1796000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "models" ADD "format" text NOT NULL DEFAULT 'onnx'`);
    await q.query(`ALTER TABLE "models" ADD "origin" text NOT NULL DEFAULT 'generated'`);
    await q.query(`CREATE UNIQUE INDEX "IDX_models_imported_name" ON "models" ("name") WHERE "origin" = 'imported'`);
    await q.query(`ALTER TABLE "devices" ADD "formats" text array NOT NULL DEFAULT '{onnx}'`);
    await q.query(`UPDATE "devices" SET "formats" = '{tflite}' WHERE "runner" = 'litert'`);
    await q.query(`ALTER TABLE "jobs" ADD "format" text NOT NULL DEFAULT 'onnx'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "jobs" DROP COLUMN "format"`);
    await q.query(`ALTER TABLE "devices" DROP COLUMN "formats"`);
    await q.query(`DROP INDEX "IDX_models_imported_name"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "origin"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "format"`);
  }
}
