import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type StudyStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

@Entity('studies')
export class StudyEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') name!: string;
  /** The spec exactly as accepted (after validation), so a study can be re-run. */
  @Column('jsonb') spec!: unknown;
  @Column('text', { name: 'baseline_label' }) baselineLabel!: string;
  /** Higher runs first; equal priorities share the fleet between studies. */
  @Column('int', { default: 0 }) priority!: number;
  @Index() @Column('text', { default: 'queued' }) status!: StudyStatus;
  /** Per device group ('*' for any device, else the device id): rounds run and what ended them. */
  @Column('jsonb', { default: {} }) rounds!: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt!: Date | null;
}
