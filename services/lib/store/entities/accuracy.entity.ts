import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An accuracy figure for a model (by canonical variant name, e.g. `mobilenetv3-large-1.0`) or for one
 * variant of one study. The published ImageNet top-1 of the standard models is preloaded by a
 * migration with its source (paper, table); users add their own. A user's latest entry wins, then the published one.
 */
@Entity('accuracies')
@Check('CHK_accuracies_subject', `("model_name" IS NULL) <> ("variant_id" IS NULL)`)
@Check('CHK_accuracies_top1', `"top1" >= 0 AND "top1" <= 100`)
export class AccuracyEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index() @Column('text', { name: 'model_name', nullable: true }) modelName!: string | null;
  @Index() @Column('uuid', { name: 'variant_id', nullable: true }) variantId!: string | null;
  /** top-1 accuracy in percent */
  @Column('double precision') top1!: number;
  @Column('double precision', { nullable: true }) top5!: number | null;
  @Column('text', { default: 'imagenet-1k' }) dataset!: string;
  /** where the figure comes from: a paper, a training run, a URL */
  @Column('text') source!: string;
  /** preloaded from a paper: a user's entry for the same model wins over it, whenever either was made */
  @Column('boolean', { default: false }) published!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
