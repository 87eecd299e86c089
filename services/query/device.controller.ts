import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import { DeviceHistoryService, type DeviceHistory } from './device-history.service.js';
import { deviceHistoryQuery, deviceListQuery, type DeviceHistoryQuery, type DeviceListQuery } from './device.dto.js';
import { DeviceRepository, type DeviceRow } from './device.repository.js';
import type { Page } from './pagination.dto.js';
import { IdPipe } from './uuid.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@Controller('api/v1/devices')
export class DeviceController {
  constructor(
    @Inject(CONFIG) private readonly config: LatfleetConfig,
    private readonly devices: DeviceRepository,
    private readonly histories: DeviceHistoryService,
  ) {}

  @Get()
  list(@Query(new ZodValidationPipe(deviceListQuery)) q: DeviceListQuery): Promise<Page<DeviceRow>> {
    return this.devices.list(3 * this.config.heartbeatMs, q);
  }

  @Get(':id/history')
  history(@Param('id', new IdPipe('device')) id: string, @Query(new ZodValidationPipe(deviceHistoryQuery)) q: DeviceHistoryQuery): Promise<DeviceHistory> {
    return this.histories.history(id, q);
  }
}
