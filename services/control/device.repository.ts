import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeviceEntity } from '../lib/store/index.js';

@Injectable()
export class DeviceRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo() {
    return this.ds.getRepository(DeviceEntity);
  }

  findById(id: string): Promise<DeviceEntity | null> {
    return this.repo.findOneBy({ id });
  }

  async upsertByName(device: Omit<DeviceEntity, 'id' | 'createdAt' | 'lastSeenAt' | 'state'>): Promise<DeviceEntity> {
    await this.repo.upsert({ ...device, state: 'offline' }, { conflictPaths: ['name'] });
    return this.repo.findOneByOrFail({ name: device.name });
  }

  async setState(id: string, state: DeviceEntity['state']): Promise<void> {
    await this.repo.update({ id }, { state, lastSeenAt: new Date() });
  }

  /** A heartbeat: the device is alive (and online again after a sweep marked it offline). */
  async touch(id: string): Promise<void> {
    await this.repo.update({ id }, { lastSeenAt: new Date(), state: 'online' });
  }

  /**
   * Devices whose heartbeats stopped are offline, whichever replica they were connected to. Their rows
   * are locked in id order, the order a lease batch locks devices in, so the two never deadlock.
   */
  async markStaleOffline(staleSeconds: number): Promise<void> {
    await this.ds.query(
      `UPDATE devices d SET state = 'offline'
         FROM (SELECT id FROM devices WHERE state = 'online' AND last_seen_at < now() - make_interval(secs => $1)
                ORDER BY id FOR UPDATE) stale
        WHERE d.id = stale.id AND d.state = 'online'`,
      [staleSeconds],
    );
  }

  /** An enrollment token that is neither revoked nor expired, by the hash of its secret. */
  async validEnrollmentToken(tokenHash: string): Promise<boolean> {
    const rows = await this.ds.query(
      `SELECT 1 FROM enrollment_tokens WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
      [tokenHash],
    );
    return rows.length > 0;
  }
}
