import type { MigrationInterface, QueryRunner } from 'typeorm';
import { PUBLISHED_TOP1 } from './1795600000000-accuracies-and-uploads.js';

const MBV1 = 'Howard et al. 2017, "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications" (arXiv:1704.04861)';
const MBV2 = 'Sandler et al. 2018, "MobileNetV2: Inverted Residuals and Linear Bottlenecks" (CVPR 2018), Table 4';
/** Table 4 of the paper lists 1.4 and 1.0 only; the smaller multipliers' top-1 are those of the released checkpoints. */
const MBV2_SLIM = 'tensorflow/models, research/slim/nets/mobilenet/README.md, the MobileNetV2 checkpoints table (Sandler et al. 2018)';
const MBV3 = 'Howard et al. 2019, "Searching for MobileNetV3" (ICCV 2019), Table 3';
const MNAS = 'Tan et al. 2019, "MnasNet: Platform-Aware Neural Architecture Search for Mobile" (CVPR 2019), Table 1';
const MIXNET = 'Tan and Le 2019, "MixConv: Mixed Depthwise Convolutional Kernels" (BMVC 2019), the ImageNet results table';
const EFFNET = 'Tan and Le 2019, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks" (ICML 2019), Table 2';

/**
 * Where each preloaded top-1 is printed: the paper (title) and its table. The rows cited a file that
 * is not in the repository. Literal, as a migration's data must stay (a unit spec checks every
 * preloaded model has one).
 */
export const PUBLISHED_TOP1_SOURCES: Readonly<Record<string, string>> = {
  'mobilenetv1-1.0-224': `${MBV1}, Tables 6 and 7`,
  'mobilenetv1-1.0-192': `${MBV1}, Table 7 (resolution multiplier)`,
  'mobilenetv1-1.0-160': `${MBV1}, Table 7 (resolution multiplier)`,
  'mobilenetv1-1.0-128': `${MBV1}, Table 7 (resolution multiplier)`,
  'mobilenetv1-0.75-224': `${MBV1}, Table 6 (width multiplier)`,
  'mobilenetv1-0.5-224': `${MBV1}, Table 6 (width multiplier)`,
  'mobilenetv1-0.25-224': `${MBV1}, Table 6 (width multiplier)`,
  'mobilenetv2-1.4': MBV2,
  'mobilenetv2-1.0': MBV2,
  'mobilenetv2-0.75': MBV2_SLIM,
  'mobilenetv2-0.5': MBV2_SLIM,
  'mobilenetv2-0.35': MBV2_SLIM,
  'mobilenetv3-large-1.0': MBV3,
  'mobilenetv3-large-0.75': MBV3,
  'mobilenetv3-small-1.0': MBV3,
  'mobilenetv3-small-0.75': MBV3,
  'mnasnet-a1': MNAS,
  'mixnet-s': MIXNET,
  'mixnet-m': MIXNET,
  'mixnet-l': MIXNET,
  'efficientnet-b0': EFFNET,
  'efficientnet-b1': EFFNET,
  'efficientnet-b2': EFFNET,
  'efficientnet-b3': EFFNET,
  'efficientnet-b4': EFFNET,
  'efficientnet-b5': EFFNET,
  'efficientnet-b6': EFFNET,
  'efficientnet-b7': EFFNET,
};

const columns = () => {
  const rows = PUBLISHED_TOP1.map((p) => [p.model, p.source, PUBLISHED_TOP1_SOURCES[p.model]!] as const);
  return [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])];
};

/**
 * The preloaded published top-1 cite the papers (title, table) and carry the time they were loaded,
 * not the epoch: a `published` flag, not an old date, lets a user's entry win over them.
 * Rows a user added are left as they are.
 */
export class PublishedAccuracySources1796200000000 implements MigrationInterface {
  name = 'PublishedAccuracySources1796200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "accuracies" ADD "published" boolean NOT NULL DEFAULT false`);
    await q.query(
      `UPDATE accuracies a SET source = s.source, published = true, created_at = now()
         FROM unnest($1::text[], $2::text[], $3::text[]) AS s(model, old_source, source)
        WHERE a.model_name = s.model AND a.source = s.old_source AND a.created_at = 'epoch'::timestamptz`,
      columns(),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE accuracies a SET source = s.old_source, created_at = 'epoch'::timestamptz
         FROM unnest($1::text[], $2::text[], $3::text[]) AS s(model, old_source, source)
        WHERE a.published AND a.model_name = s.model AND a.source = s.source`,
      columns(),
    );
    await q.query(`ALTER TABLE "accuracies" DROP COLUMN "published"`);
  }
}
