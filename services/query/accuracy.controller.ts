import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { accuracyListQuery, createAccuracyBody, type AccuracyListQuery, type CreateAccuracyBody } from './accuracy.dto.js';
import { accuracyRow, type AccuracyRow, page } from './contract.js';
import { AccuracyService } from './accuracy.service.js';
import type { Page } from './pagination.dto.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';
import { ApiRoute, INVALID, UNAUTHENTICATED } from './api-route.decorator.js';

@Controller('api/v1/accuracies')
export class AccuracyController {
  constructor(private readonly accuracies: AccuracyService) {}

  @Get()
  @ApiRoute({
    tag: 'accuracy',
    summary: 'the accuracy registry (published top-1 preloaded with their source)',
    answer: page(accuracyRow),
    ok: 'a page of entries',
    errors: INVALID,
  })
  list(@Query(new ZodValidationPipe(accuracyListQuery)) q: AccuracyListQuery): Promise<Page<AccuracyRow>> {
    return this.accuracies.list(q);
  }

  @Post()
  @HttpCode(201)
  @ApiRoute({
    tag: 'accuracy',
    summary: 'attach an accuracy to a model (by name) or to one variant; the latest entry wins',
    answer: accuracyRow,
    ok: 'the entry',
    errors: { ...INVALID, ...UNAUTHENTICATED, 404: 'unknown variant' },
  })
  create(@Body(new ZodValidationPipe(createAccuracyBody)) body: CreateAccuracyBody): Promise<AccuracyRow> {
    return this.accuracies.create(body);
  }
}
