import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Vendor artifacts (issue 13): a file a user compiled for an NPU from a stored model (e.g. `.rknn`
 * from a variant's ONNX with the vendor's converter) is stored as a model of its own, in its
 * vendor format, with `artifact_of` naming the model it was compiled from; one artifact per model
 * and format.
 */
export class ModelArtifacts1796400000000 implements MigrationInterface {
  name = 'ModelArtifacts1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "models" ADD "artifact_of" char(64)`);
    await q.query(`CREATE UNIQUE INDEX "IDX_models_artifact" ON "models" ("artifact_of", "format") WHERE "artifact_of" IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "IDX_models_artifact"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "artifact_of"`);
  }
}
