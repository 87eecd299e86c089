import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { predictionBody, predictorListQuery, trainPredictorBody, type PredictionBody, type PredictorListQuery, type TrainPredictorBody } from './predictor.dto.js';
import type { PredictorSummary } from './contract.js';
import { PredictorService, type PredictedVariant, type StudyPredictedVsMeasured } from './predictor.service.js';
import { IdPipe } from './uuid.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@Controller('api/v1')
export class PredictorController {
  constructor(private readonly predictors: PredictorService) {}

  /** Trains the next predictor version of a device from its stored runs (201 with its validation). */
  @Post('predictors')
  @HttpCode(201)
  train(@Body(new ZodValidationPipe(trainPredictorBody)) body: TrainPredictorBody): Promise<PredictorSummary> {
    return this.predictors.train(body);
  }

  @Get('predictors')
  list(@Query(new ZodValidationPipe(predictorListQuery)) q: PredictorListQuery): Promise<PredictorSummary[]> {
    return this.predictors.list(q);
  }

  /** A read, though a POST (the variant list can be long): predicted, never measured. */
  @Post('predictions')
  @HttpCode(200)
  predict(@Body(new ZodValidationPipe(predictionBody)) body: PredictionBody): Promise<{ predictions: PredictedVariant[] }> {
    return this.predictors.predict(body);
  }

  /** A study created with `measure`: its predicted ranking of every candidate beside the measured medians. */
  @Get('studies/:id/predicted')
  studyPredicted(@Param('id', new IdPipe('study')) id: string): Promise<StudyPredictedVsMeasured> {
    return this.predictors.studyPredicted(id);
  }
}
