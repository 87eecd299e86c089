import type { MigrationInterface, QueryRunner } from 'typeorm';

const REFERENCE = 'latfleet reference/architectures.md, "Published ImageNet top-1"';

/**
 * Published ImageNet-1k top-1 (percent, single crop) of the standard models, keyed by the builder's
 * canonical model name. Literal values, not read from the builder: a migration must mean the same
 * thing whenever it runs (a unit spec checks them against `listModels()`).
 */
export const PUBLISHED_TOP1: ReadonlyArray<{ model: string; top1: number; source: string }> = [
  ...(
    [
      ['mobilenetv1-1.0-224', 70.6],
      ['mobilenetv1-1.0-192', 69.1],
      ['mobilenetv1-1.0-160', 67.2],
      ['mobilenetv1-1.0-128', 64.4],
      ['mobilenetv1-0.75-224', 68.4],
      ['mobilenetv1-0.5-224', 63.7],
      ['mobilenetv1-0.25-224', 50.6],
    ] as const
  ).map(([model, top1]) => ({ model, top1, source: `Howard et al. 2017, MobileNets (arXiv:1704.04861); ${REFERENCE}` })),
  ...(
    [
      ['mobilenetv2-1.4', 74.7],
      ['mobilenetv2-1.0', 72.0],
      ['mobilenetv2-0.75', 69.8],
      ['mobilenetv2-0.5', 65.4],
      ['mobilenetv2-0.35', 60.3],
    ] as const
  ).map(([model, top1]) => ({ model, top1, source: `Sandler et al. 2018, MobileNetV2 (CVPR 2018); ${REFERENCE}` })),
  ...(
    [
      ['mobilenetv3-large-1.0', 75.2],
      ['mobilenetv3-large-0.75', 73.3],
      ['mobilenetv3-small-1.0', 67.4],
      ['mobilenetv3-small-0.75', 65.4],
    ] as const
  ).map(([model, top1]) => ({ model, top1, source: `Howard et al. 2019, Searching for MobileNetV3 (ICCV 2019); ${REFERENCE}` })),
  { model: 'mnasnet-a1', top1: 75.2, source: `Tan et al. 2019, MnasNet (CVPR 2019); ${REFERENCE}` },
  ...(
    [
      ['mixnet-s', 75.8],
      ['mixnet-m', 77.0],
      ['mixnet-l', 78.9],
    ] as const
  ).map(([model, top1]) => ({
    model,
    top1,
    source: `Tan and Le 2019, MixConv (BMVC 2019); ${REFERENCE}`,
  })),
  ...(
    [
      ['efficientnet-b0', 76.3],
      ['efficientnet-b1', 78.8],
      ['efficientnet-b2', 79.8],
      ['efficientnet-b3', 81.1],
      ['efficientnet-b4', 82.6],
      ['efficientnet-b5', 83.3],
      ['efficientnet-b6', 84.0],
      ['efficientnet-b7', 84.4],
    ] as const
  ).map(([model, top1]) => ({ model, top1, source: `Tan and Le 2019, EfficientNet (ICML 2019); ${REFERENCE}` })),
];

/** The accuracy registry (preloaded with the published top-1) and the log of result uploads. */
export class AccuraciesAndUploads1795600000000 implements MigrationInterface {
  name = 'AccuraciesAndUploads1795600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "accuracies" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "model_name" text, "variant_id" uuid, "top1" double precision NOT NULL, "top5" double precision, "dataset" text NOT NULL DEFAULT 'imagenet-1k', "source" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_accuracies_top1" CHECK ("top1" >= 0 AND "top1" <= 100), CONSTRAINT "CHK_accuracies_subject" CHECK (("model_name" IS NULL) <> ("variant_id" IS NULL)), CONSTRAINT "PK_053ae936715d72cc3199617dd15" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_7fae920dc30da3f661ca2cb4a0" ON "accuracies" ("model_name") `);
    await q.query(`CREATE INDEX "IDX_756a8ea4b1d2cc3d58dd9270e7" ON "accuracies" ("variant_id") `);
    await q.query(
      `CREATE TABLE "result_uploads" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "device_id" uuid, "job_id" uuid, "attempt" integer, "run_id" uuid, "outcome" text NOT NULL, "error_code" text, "field" text, "bytes" bigint NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c74d651da0e93799667cea9747e" PRIMARY KEY ("id"))`,
    );
    // Preloaded rows predate every user entry: the epoch keeps "latest wins" from ever preferring them.
    await q.query(
      `INSERT INTO accuracies (model_name, top1, source, created_at)
       SELECT * FROM unnest($1::text[], $2::float8[], $3::text[]) CROSS JOIN (VALUES ('epoch'::timestamptz)) t`,
      [PUBLISHED_TOP1.map((p) => p.model), PUBLISHED_TOP1.map((p) => p.top1), PUBLISHED_TOP1.map((p) => p.source)],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "result_uploads"`);
    await q.query(`DROP INDEX "public"."IDX_756a8ea4b1d2cc3d58dd9270e7"`);
    await q.query(`DROP INDEX "public"."IDX_7fae920dc30da3f661ca2cb4a0"`);
    await q.query(`DROP TABLE "accuracies"`);
  }
}
