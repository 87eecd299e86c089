import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { LayerInfo, VariantSpec } from '../../models/index.js';

/** A built ONNX variant, content-addressed. */
@Entity('models')
export class ModelEntity {
  @PrimaryColumn('char', { length: 64 }) sha256!: string;
  @Column('text') name!: string;
  @Column('text') family!: string;
  @Column('jsonb') spec!: VariantSpec;
  @Column('int') resolution!: number;
  @Column('text', { name: 'input_name' }) inputName!: string;
  @Column('int', { name: 'input_shape', array: true }) inputShape!: number[];
  @Column('bigint', { name: 'size_bytes' }) sizeBytes!: string;
  @Column('bigint') madds!: string;
  @Column('bigint') params!: string;
  @Column('jsonb') layers!: LayerInfo[];
  @Column('bytea', { select: false }) data!: Buffer;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
