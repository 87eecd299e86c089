import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './api-key.guard.js';
import { EnrollmentTokenController } from './enrollment-token.controller.js';
import { EnrollmentTokenRepository } from './enrollment-token.repository.js';
import { StudyCancelController } from './study-cancel.controller.js';
import { ConfigModule, type LatfleetConfig } from '../lib/config/index.js';
import { StoreModule } from '../lib/store/index.js';
import { ComparisonRepository } from './comparison.repository.js';
import { ComparisonService } from './comparison.service.js';
import { DeviceController } from './device.controller.js';
import { DeviceRepository } from './device.repository.js';
import { HealthController } from './health.controller.js';
import { HttpExceptionFilter } from './http-exception.filter.js';
import { MetricsService } from './metrics.service.js';
import { RunController } from './run.controller.js';
import { RunRepository } from './run.repository.js';
import { RunService } from './run.service.js';
import { StudyController } from './study.controller.js';
import { StudyRepository } from './study.repository.js';
import { StudyService } from './study.service.js';

export class QueryModule {
  static forRoot(config: LatfleetConfig) {
    return {
      module: QueryModule,
      imports: [ConfigModule.forRoot(config), StoreModule],
      controllers: [HealthController, DeviceController, StudyController, StudyCancelController, RunController, EnrollmentTokenController],
      providers: [
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        EnrollmentTokenRepository,
        ComparisonRepository,
        ComparisonService,
        DeviceRepository,
        MetricsService,
        RunRepository,
        RunService,
        StudyRepository,
        StudyService,
      ],
    };
  }
}
Module({})(QueryModule);
