import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Kernel time (and executor overhead) of one runtime node in one profiled iteration. Narrow and append-only, COPY in:
 * the primary key doubles as the by-run index; no foreign key (per-row checks dominate COPY).
 */
@Entity('layer_timings')
export class LayerTimingEntity {
  @PrimaryColumn('uuid', { name: 'run_id' }) runId!: string;
  @PrimaryColumn('int') iteration!: number;
  @PrimaryColumn('text', { name: 'node_name' }) nodeName!: string;
  @Column('text', { name: 'op_type' }) opType!: string;
  /** Logical layer of the builder; '' when the node could not be attributed. */
  @Column('text') layer!: string;
  @Column('bigint', { name: 'duration_ns' }) durationNs!: string;
  @Column('text') provider!: string;
  /** Executor time on the node outside its kernel (NodeTiming.overheadNs); null where the runtime does not tell. */
  @Column('bigint', { name: 'overhead_ns', nullable: true }) overheadNs!: string | null;
}
