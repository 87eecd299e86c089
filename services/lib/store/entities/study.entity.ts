import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type StudyStatus = 'queued' | 'running' | 'completed' | 'failed';

@Entity('studies')
export class StudyEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') name!: string;
  /** The spec exactly as accepted (after validation), so a study can be re-run. */
  @Column('jsonb') spec!: unknown;
  @Column('text', { name: 'baseline_label' }) baselineLabel!: string;
  @Index() @Column('text', { default: 'queued' }) status!: StudyStatus;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt!: Date | null;
}
