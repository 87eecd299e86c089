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
  @Column('timestamptz', { name: 'lease_expires_at', nullable: true }) leaseExpiresAt!: Date | null;
  @Column('jsonb') protocol!: JobProtocol;
  @Column('text', { nullable: true }) phase!: string | null;
  @Column('double precision', { default: 0 }) progress!: number;
  @Column('text', { nullable: true }) error!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
