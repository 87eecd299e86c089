import { Column, Entity, PrimaryColumn } from 'typeorm';

export type AttemptOutcome = 'completed' | 'failed' | 'expired' | 'lost' | 'cancelled' | 'superseded' | 'rejected';

/** One lease of a job to a device: who ran which attempt, how it ended, and why it failed. */
@Entity('job_attempts')
export class JobAttemptEntity {
  @PrimaryColumn('uuid', { name: 'job_id' }) jobId!: string;
  @PrimaryColumn('int') attempt!: number;
  @Column('uuid', { name: 'device_id' }) deviceId!: string;
  @Column('timestamptz', { name: 'leased_at' }) leasedAt!: Date;
  @Column('timestamptz', { name: 'ended_at', nullable: true }) endedAt!: Date | null;
  @Column('text', { nullable: true }) outcome!: AttemptOutcome | null;
  @Column('text', { nullable: true }) error!: string | null;
}
