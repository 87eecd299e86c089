import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ConfigModule, type LatfleetConfig } from '../lib/config/index.js';
import { StoreModule } from '../lib/store/index.js';
import { AblationTableService } from './ablation-table.service.js';
import { AccuracyController } from './accuracy.controller.js';
import { AccuracyRepository } from './accuracy.repository.js';
import { AccuracyService } from './accuracy.service.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { ComparisonRepository } from './comparison.repository.js';
import { ComparisonService } from './comparison.service.js';
import { DeviceHistoryService } from './device-history.service.js';
import { DeviceController } from './device.controller.js';
import { DeviceRepository } from './device.repository.js';
import { DeviceService } from './device.service.js';
import { DocsController } from './docs.controller.js';
import { EnrollmentTokenController } from './enrollment-token.controller.js';
import { EnrollmentTokenRepository } from './enrollment-token.repository.js';
import { EnrollmentTokenService } from './enrollment-token.service.js';
import { FigureController } from './figure.controller.js';
import { FigureService } from './figure.service.js';
import { HealthController } from './health.controller.js';
import { HttpExceptionFilter } from './http-exception.filter.js';
import { HttpMetricsMiddleware } from './http-metrics.middleware.js';
import { MeasureSelectionService } from './measure-selection.service.js';
import { LayerDeltaRepository } from './layer-delta.repository.js';
import { LayerDeltaService } from './layer-delta.service.js';
import { MetricsRepository } from './metrics.repository.js';
import { MetricsService } from './metrics.service.js';
import { NulCharacterPipe } from './nul-character.pipe.js';
import { ModelBuilder } from '../lib/models/model-builder.js';
import { PredictorTrainer } from '../lib/predict/index.js';
import { PredictorController } from './predictor.controller.js';
import { PredictorRepository } from './predictor.repository.js';
import { PredictorService } from './predictor.service.js';
import { StatementTimeout } from './statement-timeout.js';
import { ModelSelectionService } from './model-selection.service.js';
import { ModelController } from './model.controller.js';
import { ModelRepository } from './model.repository.js';
import { ModelService } from './model.service.js';
import { RunController } from './run.controller.js';
import { RunRepository } from './run.repository.js';
import { RunService } from './run.service.js';
import { StudyAnalysisController } from './study-analysis.controller.js';
import { StudyCancelController } from './study-cancel.controller.js';
import { StudyController } from './study.controller.js';
import { StudyPageController } from './study-page.controller.js';
import { StudyPageService } from './study-page.service.js';
import { StudyRepository } from './study.repository.js';
import { StudyService } from './study.service.js';

export const QUERY_CONTROLLERS = [
  HealthController,
  DocsController,
  DeviceController,
  StudyController,
  StudyCancelController,
  StudyAnalysisController,
  FigureController,
  StudyPageController,
  RunController,
  ModelController,
  AccuracyController,
  EnrollmentTokenController,
  PredictorController,
];

export class QueryModule implements NestModule {
  static forRoot(config: LatfleetConfig) {
    return {
      module: QueryModule,
      imports: [ConfigModule.forRoot(config), StoreModule],
      controllers: QUERY_CONTROLLERS,
      providers: [
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_PIPE, useClass: NulCharacterPipe },
        AblationTableService,
        AccuracyRepository,
        AccuracyService,
        ComparisonRepository,
        ComparisonService,
        DeviceHistoryService,
        DeviceRepository,
        DeviceService,
        EnrollmentTokenRepository,
        EnrollmentTokenService,
        FigureService,
        HttpMetricsMiddleware,
        LayerDeltaRepository,
        LayerDeltaService,
        MeasureSelectionService,
        MetricsRepository,
        MetricsService,
        ModelRepository,
        ModelSelectionService,
        ModelService,
        PredictorRepository,
        PredictorService,
        PredictorTrainer,
        ModelBuilder,
        RunRepository,
        RunService,
        StatementTimeout,
        StudyPageService,
        StudyRepository,
        StudyService,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*');
  }
}
Module({})(QueryModule);
