import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeviceEntity, REVOKED, updateReturning } from '../lib/store/index.js';

@Injectable()
export class DeviceRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo() {
    return this.ds.getRepository(DeviceEntity);
  }

  findById(id: string): Promise<DeviceEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /**
   * Stores a new device, or gives a revoked device's name (credential hash REVOKED) to the caller,
   * keeping its id and history; null when the name belongs to an enrolled device (left as it is).
   */
  async insertUnlessNameTaken(device: Omit<DeviceEntity, 'id' | 'createdAt' | 'lastSeenAt' | 'state'>): Promise<DeviceEntity | null> {
    const result = await this.repo
      .createQueryBuilder()
      .insert()
      .values({ ...device, state: 'offline' })
      .orIgnore()
      .returning('id')
      .execute();
    const id = (result.raw as Array<{ id: string }>)[0]?.id;
    if (id) return this.repo.findOneByOrFail({ id });
    const rebound = await this.repo
      .createQueryBuilder()
      .update()
      .set({ ...device, state: 'offline' })
      .where('name = :name AND credential_hash = :revoked', { name: device.name, revoked: REVOKED })
      .returning('id')
      .execute();
    const again = (rebound.raw as Array<{ id: string }>)[0]?.id;
    return again ? this.repo.findOneByOrFail({ id: again }) : null;
  }

  async setState(id: string, state: DeviceEntity['state']): Promise<void> {
    await this.repo.update({ id }, { state, lastSeenAt: new Date() });
  }

  /** A heartbeat: the device is alive (and online again after a sweep marked it offline). False: it was revoked meanwhile. */
  async touch(id: string): Promise<boolean> {
    const rows = await updateReturning(this.ds.manager, `UPDATE devices SET last_seen_at = now(), state = 'online' WHERE id = $1 AND credential_hash <> $2 RETURNING id`, [
      id,
      REVOKED,
    ]);
    return rows.length > 0;
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
  /** The id of a valid (not revoked, not expired) enrollment token with this hash; null if there is none. */
  async validEnrollmentToken(tokenHash: string): Promise<string | null> {
    const rows: Array<{ id: string }> = await this.ds.query(
      `SELECT id FROM enrollment_tokens WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
      [tokenHash],
    );
    return rows[0]?.id ?? null;
  }
}
