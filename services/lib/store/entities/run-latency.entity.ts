import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Raw end-to-end latency of one timed iteration. Narrow and append-only: no foreign key, COPY in. */
@Entity('run_latencies')
export class RunLatencyEntity {
  @PrimaryColumn('uuid', { name: 'run_id' }) runId!: string;
  @PrimaryColumn('int') iteration!: number;
  @Column('bigint', { name: 'latency_ns' }) latencyNs!: string;
}
