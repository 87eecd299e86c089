import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import {
  predictedRewardBody,
  predictionBody,
  predictorListQuery,
  trainPredictorBody,
  type PredictedRewardBody,
  type PredictionBody,
  type PredictorListQuery,
  type TrainPredictorBody,
} from './predictor.dto.js';
import { predictedReward, predictions, predictorSummary, type PredictorSummary, studyPredictedVsMeasured } from './contract.js';
import { PredictorService, type PredictedReward, type PredictedVariant, type StudyPredictedVsMeasured } from './predictor.service.js';
import { IdPipe } from './uuid.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';
import { ApiRoute, INVALID, NOT_FOUND, UNAUTHENTICATED } from './api-route.decorator.js';

@Controller('api/v1')
export class PredictorController {
  constructor(private readonly predictors: PredictorService) {}

  /** Trains the next predictor version of a device from its stored runs (201 with its validation). */
  @Post('predictors')
  @HttpCode(201)
  @ApiRoute({
    tag: 'predictions',
    summary: 'train the next predictor version of a device from its stored per-layer runs',
    description:
      'Kernel predictors (per runtime op type a log-linear model with boosted trees on its residuals, on the layer configuration) summed through the fusion the runtime ran, beside a layer-level model, scaled by a learned overhead model; validated by cross-validation held out by variant (docs/predictors.md).',
    answer: predictorSummary,
    ok: 'the predictor with its validation',
    errors: { ...INVALID, ...UNAUTHENTICATED, ...NOT_FOUND },
  })
  train(@Body(new ZodValidationPipe(trainPredictorBody)) body: TrainPredictorBody): Promise<PredictorSummary> {
    return this.predictors.train(body);
  }

  @Get('predictors')
  @ApiRoute({ tag: 'predictions', summary: 'stored predictors, newest version first', answer: z.array(predictorSummary), ok: 'predictors', errors: { ...INVALID, ...NOT_FOUND } })
  list(@Query(new ZodValidationPipe(predictorListQuery)) q: PredictorListQuery): Promise<PredictorSummary[]> {
    return this.predictors.list(q);
  }

  /** A read, though a POST (the variant list can be long): predicted, never measured. */
  @Post('predictions')
  @HttpCode(200)
  @ApiRoute({
    tag: 'predictions',
    summary: 'predicted latency of variants on devices, with interval, per-layer breakdown and the predictor’s validation',
    answer: predictions,
    ok: 'one prediction per variant and device',
    errors: { ...INVALID, ...UNAUTHENTICATED, ...NOT_FOUND },
  })
  predict(@Body(new ZodValidationPipe(predictionBody)) body: PredictionBody): Promise<{ predictions: PredictedVariant[] }> {
    return this.predictors.predict(body);
  }

  /** MnasNet's reward on predicted latency: a search ranks candidates before measuring any (a read, though a POST). */
  @Post('predictions/reward')
  @HttpCode(200)
  @ApiRoute({
    tag: 'predictions',
    summary: 'the MnasNet reward ACC · (LAT/T)^w of variants from their predicted latency on a device, marked as predicted, best first',
    answer: predictedReward,
    ok: 'per variant its predicted latency, accuracy and reward (with its range over the prediction interval), ranked',
    errors: { ...INVALID, ...UNAUTHENTICATED, ...NOT_FOUND },
  })
  reward(@Body(new ZodValidationPipe(predictedRewardBody)) body: PredictedRewardBody): Promise<PredictedReward> {
    return this.predictors.predictedReward({ ...body, variants: body.variants.map((v) => (typeof v === 'string' ? { name: v } : v)) });
  }

  /** A study created with `measure`: its predicted ranking of every candidate beside the measured medians. */
  @Get('studies/:id/predicted')
  @ApiRoute({
    tag: 'predictions',
    summary: 'a study created with `measure` (top-k or pareto): every candidate’s predicted latency beside the measured median of those measured',
    answer: studyPredictedVsMeasured,
    ok: 'the ranking, its predictor and per candidate predicted vs measured',
    errors: { 400: 'the study was not created with measure', ...NOT_FOUND },
  })
  studyPredicted(@Param('id', new IdPipe('study')) id: string): Promise<StudyPredictedVsMeasured> {
    return this.predictors.studyPredicted(id);
  }
}
