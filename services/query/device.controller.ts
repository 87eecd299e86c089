import { Controller, Get, Inject } from '@nestjs/common';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import { DeviceRepository, type DeviceRow } from './device.repository.js';

@Controller('api/v1/devices')
export class DeviceController {
  constructor(
    @Inject(CONFIG) private readonly config: LatfleetConfig,
    private readonly devices: DeviceRepository,
  ) {}

  @Get()
  async list(): Promise<{ items: DeviceRow[] }> {
    return { items: await this.devices.list(3 * this.config.heartbeatMs) };
  }
}
