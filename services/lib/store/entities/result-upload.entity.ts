import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type ResultUploadOutcome = 'stored' | 'duplicate' | 'rejected';

/**
 * One result upload as the control plane received it: how many bytes, and whether it was stored,
 * a re-send, or rejected (with the error code and field). The ingest metrics read this table.
 */
@Entity('result_uploads')
export class ResultUploadEntity {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS', type: 'bigint' }) id!: string;
  @Column('uuid', { name: 'device_id', nullable: true }) deviceId!: string | null;
  @Column('uuid', { name: 'job_id', nullable: true }) jobId!: string | null;
  @Column('int', { nullable: true }) attempt!: number | null;
  @Column('uuid', { name: 'run_id', nullable: true }) runId!: string | null;
  @Column('text') outcome!: ResultUploadOutcome;
  /** ErrorCode of a rejected upload */
  @Column('text', { name: 'error_code', nullable: true }) errorCode!: string | null;
  @Column('text', { nullable: true }) field!: string | null;
  /** serialized size of the upload's messages */
  @Column('bigint', { default: 0 }) bytes!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
