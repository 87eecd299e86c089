import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type DeviceState = 'online' | 'offline';

/** The credential hash of a revoked device: no secret hashes to it, and its name may be registered again. */
export const REVOKED = '';

@Entity('devices')
export class DeviceEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index({ unique: true }) @Column('text') name!: string;
  @Column('text', { name: 'device_class' }) deviceClass!: string;
  @Column('text', { name: 'cpu_model' }) cpuModel!: string;
  @Column('int') cores!: number;
  @Column('text') os!: string;
  @Column('text') hostname!: string;
  @Column('text') runner!: string;
  @Column('text', { name: 'runtime_version' }) runtimeVersion!: string;
  @Column('text', { name: 'agent_version' }) agentVersion!: string;
  @Column('jsonb', { default: {} }) tags!: Record<string, string>;
  /** model formats its runner runs (announced at registration): jobs of other formats never reach it */
  @Column('text', { array: true, default: () => `'{onnx}'` }) formats!: string[];
  @Column('text', { name: 'credential_hash' }) credentialHash!: string;
  /** The enrollment token it registered with; null: the bootstrap token (LATFLEET_ENROLLMENT_TOKEN). Revoking the token revokes the device. */
  @Column('uuid', { name: 'enrollment_token_id', nullable: true }) enrollmentTokenId!: string | null;
  @Column('text', { default: 'offline' }) state!: DeviceState;
  @Column('timestamptz', { name: 'last_seen_at', nullable: true }) lastSeenAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
