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
  /** The round its job belonged to: runs of one round on one device are paired; null for runs stored before rounds. */
  @Column('int', { nullable: true }) round!: number | null;
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
  @Column('bigint', { name: 'max_ns', nullable: true }) maxNs!: string | null;
  @Column('bigint', { name: 'p99_ns', nullable: true }) p99Ns!: string | null;
  @Column('double precision', { name: 'std_ns', nullable: true }) stdNs!: number | null;
  /** Median absolute deviation from the median (unscaled). */
  @Column('double precision', { name: 'mad_ns', nullable: true }) madNs!: number | null;
  /** Bootstrap 95% confidence interval of the median. */
  @Column('bigint', { name: 'median_ci_low_ns', nullable: true }) medianCiLowNs!: string | null;
  @Column('bigint', { name: 'median_ci_high_ns', nullable: true }) medianCiHighNs!: string | null;
  /** Profiled median over timed median, minus one: what profiling itself costs. */
  @Column('double precision', { name: 'profiling_overhead', nullable: true }) profilingOverhead!: number | null;
  /** Throttling or a busy core persisted through the agent's retries. */
  @Column('boolean', { default: false }) flagged!: boolean;
  /** The agent's measurement report: attempts, environment before/after, quality, attribution. */
  @Column('jsonb', { default: {} }) report!: Record<string, unknown>;
  @Column('int', { name: 'latency_rows' }) latencyRows!: number;
  @Column('int', { name: 'layer_rows' }) layerRows!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
