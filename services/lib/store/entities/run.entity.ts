import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { JobProtocol } from './job.entity.js';

/** One completed measurement of a job attempt. Latency statistics are computed once, at ingest. */
@Entity('runs')
@Index(['jobId', 'attempt'], { unique: true })
@Index(['studyId', 'variantId', 'deviceId'])
export class RunEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'job_id' }) jobId!: string;
  @Column('int') attempt!: number;
  @Column('uuid', { name: 'study_id' }) studyId!: string;
  @Column('uuid', { name: 'variant_id' }) variantId!: string;
  @Column('uuid', { name: 'device_id' }) deviceId!: string;
  @Column('char', { name: 'model_sha256', length: 64 }) modelSha256!: string;
  @Column('timestamptz', { name: 'started_at' }) startedAt!: Date;
  @Column('timestamptz', { name: 'finished_at' }) finishedAt!: Date;
  @Column('jsonb') protocol!: JobProtocol;
  @Column('jsonb') environment!: Record<string, unknown>;
  @Column('int', { name: 'timed_runs' }) timedRuns!: number;
  @Column('bigint', { name: 'median_ns' }) medianNs!: string;
  @Column('bigint', { name: 'p90_ns' }) p90Ns!: string;
  @Column('bigint', { name: 'min_ns' }) minNs!: string;
  @Column('double precision', { name: 'mean_ns' }) meanNs!: number;
  @Column('bigint', { name: 'profiled_median_ns' }) profiledMedianNs!: string;
  @Column('int', { name: 'latency_rows' }) latencyRows!: number;
  @Column('int', { name: 'layer_rows' }) layerRows!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
