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

  async touch(id: string): Promise<void> {
    await this.repo.update({ id }, { lastSeenAt: new Date() });
  }
}
