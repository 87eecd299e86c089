import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { LayerInfo, ModelFormat, VariantSpec } from '../../models/index.js';

/** generated: built by latfleet from a variant spec; imported: a file a user uploaded; artifact: a vendor's file a user compiled from a stored model and attached to it. */
export type ModelOrigin = 'generated' | 'imported' | 'artifact';

/** A model's bytes in one format, content-addressed: a built variant (ONNX, or its TFLite twin) or an imported file. */
@Entity('models')
@Index('IDX_models_imported_name', ['name'], { unique: true, where: `"origin" = 'imported'` })
@Index('IDX_models_artifact', ['artifactOf', 'format'], { unique: true, where: `"artifact_of" IS NOT NULL` })
export class ModelEntity {
  @PrimaryColumn('char', { length: 64 }) sha256!: string;
  @Column('text') name!: string;
  @Column('text') family!: string;
  /** the variant's spec; for an imported model, whether the upload gave its input shape */
  @Column('jsonb') spec!: VariantSpec | { imported: true; givenInputShape: number[] | null };
  @Column('int') resolution!: number;
  @Column('text', { name: 'input_name' }) inputName!: string;
  @Column('int', { name: 'input_shape', array: true }) inputShape!: number[];
  @Column('bigint', { name: 'size_bytes' }) sizeBytes!: string;
  @Column('bigint') madds!: string;
  @Column('bigint') params!: string;
  @Column('jsonb') layers!: LayerInfo[];
  @Column('bytea', { select: false }) data!: Buffer;
  /** onnx or tflite; an artifact's vendor format (rknn, …) */
  @Column('text', { default: 'onnx' }) format!: ModelFormat | string;
  /** an artifact: the stored model it was compiled from (its layers, MAdds and params are that model's) */
  @Column('char', { name: 'artifact_of', length: 64, nullable: true }) artifactOf!: string | null;
  @Column('text', { default: 'generated' }) origin!: ModelOrigin;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
