import { Controller, Get, Header, HttpCode } from '@nestjs/common';
import { Public } from './api-key.guard.js';
import { MetricsService } from './metrics.service.js';
import { ApiRoute, UNAUTHENTICATED } from './api-route.decorator.js';
import { status } from './contract.js';

@Controller()
export class HealthController {
  constructor(private readonly metricsService: MetricsService) {}

  @Get('healthz')
  @Public()
  @ApiRoute({ tag: 'health', summary: 'liveness', answer: status, ok: 'ok' })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @Public()
  @ApiRoute({ tag: 'health', summary: 'readiness (database reachable)', answer: status, ok: 'ok', errors: { 503: 'database unreachable' } })
  async ready(): Promise<{ status: 'ok' }> {
    await this.metricsService.ready();
    return { status: 'ok' };
  }

  /** A read like any other: it names devices and studies, so it needs the key when reads do. */
  @Get('metrics')
  @HttpCode(200)
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiRoute({ tag: 'health', summary: 'Prometheus exposition (see the README for every metric)', answer: 'text/plain', ok: 'metrics', errors: UNAUTHENTICATED })
  metrics(): Promise<string> {
    return this.metricsService.metrics();
  }
}
