import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Model bytes are stored out of line uncompressed (bytea's default, EXTENDED, compresses them).
 * FetchModel reads a large model 1 MiB at a time with substring(); on a compressed value each
 * slice decompresses from the start (quadratic in the model's size), on an uncompressed one it
 * reads only the TOAST chunks it needs. ONNX weights hardly compress, so little space is lost.
 * Rows already stored keep their storage until rewritten (an UPDATE of data, or a table rewrite):
 * only models inserted from here on are stored uncompressed.
 */
export class ModelDataExternalStorage1795700000000 implements MigrationInterface {
  name = 'ModelDataExternalStorage1795700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "models" ALTER COLUMN "data" SET STORAGE EXTERNAL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "models" ALTER COLUMN "data" SET STORAGE EXTENDED`);
  }
}
