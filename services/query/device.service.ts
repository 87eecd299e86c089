import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, offlineAfterMs, type LatfleetConfig } from '../lib/config/index.js';
import { LatfleetError } from '../lib/errors/index.js';
import type { DeviceListQuery } from './device.dto.js';
import { DeviceRepository, type DeviceRef, type DeviceRow } from './device.repository.js';
import type { Page } from './pagination.dto.js';

/** Devices as the API shows and manages them. */
@Injectable()
export class DeviceService {
  constructor(
    @Inject(CONFIG) private readonly config: LatfleetConfig,
    private readonly devices: DeviceRepository,
  ) {}

  /** Online = a session open and a heartbeat within MISSED_HEARTBEATS_OFFLINE intervals. */
  list(q: DeviceListQuery): Promise<Page<DeviceRow>> {
    return this.devices.list(offlineAfterMs(this.config), q);
  }

  /** Revokes a device (by name or id): its agent is cut off within a heartbeat and must enroll again. */
  async revoke(ref: string): Promise<DeviceRef & { revoked: true; wasEnrolled: boolean }> {
    const [device] = await this.devices.resolve([ref]).catch(() => {
      throw LatfleetError.notFound('device', ref);
    });
    const row = await this.devices.revoke(device!.id);
    if (!row) throw LatfleetError.notFound('device', ref);
    return { id: row.id, name: row.name, deviceClass: row.deviceClass, revoked: true, wasEnrolled: row.revokedNow };
  }
}
