import type { MeasurementProtocolInput } from '../../measure/protocol.js';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type JobState = 'queued' | 'leased' | 'completed' | 'failed' | 'cancelled';
export const JOB_STATES: readonly JobState[] = ['queued', 'leased', 'completed', 'failed', 'cancelled'];

/** Which devices may run a job; every given field must match. */
export interface DeviceSelector {
  class?: string;
  cpuModel?: string;
  tags?: Record<string, string>;
}

/** How a job is measured: the study's protocol as stored (fields it omits take their defaults). */
export type JobProtocol = MeasurementProtocolInput;

@Entity('jobs')
@Index(['state', 'priority', 'createdAt'])
@Index('IDX_jobs_study_round', ['studyId', 'round'])
export class JobEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index() @Column('uuid', { name: 'study_id' }) studyId!: string;
  @Column('uuid', { name: 'variant_id' }) variantId!: string;
  @Column('text', { default: 'queued' }) state!: JobState;
  @Column('int', { default: 0 }) priority!: number;
  @Column('int', { default: 0 }) attempt!: number;
  @Column('int', { name: 'max_attempts', default: 3 }) maxAttempts!: number;
  @Column('uuid', { name: 'device_id', nullable: true }) deviceId!: string | null;
  /** Only this device may run the job (a study that runs every variant on each selected device). */
  @Column('uuid', { name: 'target_device_id', nullable: true }) targetDeviceId!: string | null;
  @Column('jsonb', { default: {} }) selector!: DeviceSelector;
  /** its model's format: only a device that runs it may lease the job */
  @Column('text', { default: 'onnx' }) format!: string;
  @Column('timestamptz', { name: 'lease_expires_at', nullable: true }) leaseExpiresAt!: Date | null;
  /** The round (replicate) this job belongs to: a round's jobs, one per variant, run together on one device. */
  @Column('int', { default: 0 }) round!: number;
  /** Place in the round's random order. */
  @Column('int', { name: 'round_position', default: 0 }) roundPosition!: number;
  @Column('jsonb') protocol!: JobProtocol;
  @Column('text', { nullable: true }) phase!: string | null;
  @Column('double precision', { default: 0 }) progress!: number;
  @Column('text', { nullable: true }) error!: string | null;
  /** The agent's last status line for this attempt (e.g. "retry 2/3: busy-system"). */
  @Column('text', { name: 'status_message', nullable: true }) statusMessage!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
