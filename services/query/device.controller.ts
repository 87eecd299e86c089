import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { DeviceHistoryService, type DeviceHistory } from './device-history.service.js';
import { deviceHistoryQuery, deviceListQuery, type DeviceHistoryQuery, type DeviceListQuery } from './device.dto.js';
import type { DeviceRef, DeviceRow } from './contract.js';
import { DeviceService } from './device.service.js';
import type { Page } from './pagination.dto.js';
import { IdPipe } from './uuid.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@Controller('api/v1/devices')
export class DeviceController {
  constructor(
    private readonly devices: DeviceService,
    private readonly histories: DeviceHistoryService,
  ) {}

  @Get()
  list(@Query(new ZodValidationPipe(deviceListQuery)) q: DeviceListQuery): Promise<Page<DeviceRow>> {
    return this.devices.list(q);
  }

  /** A write (API key): the device's credential stops working; `ref` is its name or id. */
  @Post(':ref/revoke')
  @HttpCode(200)
  revoke(@Param('ref') ref: string): Promise<DeviceRef & { revoked: true; wasEnrolled: boolean }> {
    return this.devices.revoke(ref);
  }

  @Get(':id/history')
  history(@Param('id', new IdPipe('device')) id: string, @Query(new ZodValidationPipe(deviceHistoryQuery)) q: DeviceHistoryQuery): Promise<DeviceHistory> {
    return this.histories.history(id, q);
  }
}
