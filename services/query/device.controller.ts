import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { DeviceHistoryService, type DeviceHistory } from './device-history.service.js';
import { deviceHistoryQuery, deviceListQuery, type DeviceHistoryQuery, type DeviceListQuery } from './device.dto.js';
import { deviceHistory, type DeviceRef, type DeviceRow, deviceRow, page, revokedDevice } from './contract.js';
import { DeviceService } from './device.service.js';
import type { Page } from './pagination.dto.js';
import { IdPipe } from './uuid.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';
import { ApiRoute, INVALID, NOT_FOUND, UNAUTHENTICATED } from './api-route.decorator.js';

@Controller('api/v1/devices')
export class DeviceController {
  constructor(
    private readonly devices: DeviceService,
    private readonly histories: DeviceHistoryService,
  ) {}

  @Get()
  @ApiRoute({ tag: 'devices', summary: 'devices with their state', answer: page(deviceRow), ok: 'a page of devices', errors: INVALID })
  list(@Query(new ZodValidationPipe(deviceListQuery)) q: DeviceListQuery): Promise<Page<DeviceRow>> {
    return this.devices.list(q);
  }

  /** A write (API key): the device's credential stops working; `ref` is its name or id. */
  @Post(':ref/revoke')
  @HttpCode(200)
  @ApiRoute({
    tag: 'devices',
    summary: 'revoke a device by name or id (API key)',
    description:
      'Its credential stops working: the agent is refused from its next call or heartbeat and its jobs go back to the queue. Its results stay, and ' +
      'its name may be registered again with an enrollment token (keeping the device id).',
    answer: revokedDevice,
    ok: 'the device',
    errors: { ...UNAUTHENTICATED, ...NOT_FOUND },
  })
  revoke(@Param('ref') ref: string): Promise<DeviceRef & { revoked: true; wasEnrolled: boolean }> {
    return this.devices.revoke(ref);
  }

  @Get(':id/history')
  @ApiRoute({
    tag: 'devices',
    summary: 'one device across runtime and agent versions, with regressions flagged',
    description:
      'Per model, the runs in time order cut into segments of one (runtime, agent) version pair, each run a replicate; a segment whose run medians are ' +
      'slower than those of all earlier segments (Welch t on the log run medians), beyond the noise, is a regression. Flagged runs are left out and counted.',
    answer: deviceHistory,
    ok: 'history',
    errors: { ...INVALID, ...NOT_FOUND },
  })
  history(@Param('id', new IdPipe('device')) id: string, @Query(new ZodValidationPipe(deviceHistoryQuery)) q: DeviceHistoryQuery): Promise<DeviceHistory> {
    return this.histories.history(id, q);
  }
}
