import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One arm of a study: a label and the model it runs. */
@Entity('variants')
@Index(['studyId', 'label'], { unique: true })
export class VariantEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'study_id' }) studyId!: string;
  @Column('text') label!: string;
  @Column('char', { name: 'model_sha256', length: 64 }) modelSha256!: string;
  @Column('boolean', { name: 'is_baseline' }) isBaseline!: boolean;
  @Column('int') position!: number;
}
