import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A latency predictor of one device, runtime and graph optimization level, learned from the
 * device's stored per-layer timings: its kernel predictors, fusion table and overhead model
 * (`model`), what it was trained on and how it did on variants it never saw. Versions count up
 * per device, runtime and optimization level; a predictor is never changed once stored.
 */
@Entity('predictors')
@Index(['deviceId', 'runtime', 'optimization', 'version'], { unique: true })
export class PredictorEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'device_id' }) deviceId!: string;
  /** the runs' environment.runtimeVersion, e.g. `onnxruntime-node 1.30.0` */
  @Column('text') runtime!: string;
  /** the runs' graph optimization level */
  @Column('text') optimization!: string;
  @Column('int') version!: number;
  /** studies, variants and runs it learned from, and the kernel model settings */
  @Column('jsonb') training!: Record<string, unknown>;
  /** cross-validation held out by variant (PredictorAccuracy); null with fewer than 2 variants */
  @Column('jsonb', { nullable: true }) validation!: Record<string, unknown> | null;
  /** every held-out prediction of the cross-validation: variant, measured, predicted, error */
  @Column('jsonb', { name: 'held_out' }) heldOut!: unknown[];
  /** PredictorModel */
  @Column('jsonb') model!: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
