import { Controller, Get, Header, HttpCode } from '@nestjs/common';
import { Public } from './api-key.guard.js';
import { MetricsService } from './metrics.service.js';

@Controller()
export class HealthController {
  constructor(private readonly metricsService: MetricsService) {}

  @Get('healthz')
  @Public()
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @Public()
  async ready(): Promise<{ status: 'ok' }> {
    await this.metricsService.ready();
    return { status: 'ok' };
  }

  /** A read like any other: it names devices and studies, so it needs the key when reads do. */
  @Get('metrics')
  @HttpCode(200)
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.metricsService.metrics();
  }
}
