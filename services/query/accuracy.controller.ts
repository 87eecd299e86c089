import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { accuracyListQuery, createAccuracyBody, type AccuracyListQuery, type CreateAccuracyBody } from './accuracy.dto.js';
import type { AccuracyRow } from './contract.js';
import { AccuracyService } from './accuracy.service.js';
import type { Page } from './pagination.dto.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@Controller('api/v1/accuracies')
export class AccuracyController {
  constructor(private readonly accuracies: AccuracyService) {}

  @Get()
  list(@Query(new ZodValidationPipe(accuracyListQuery)) q: AccuracyListQuery): Promise<Page<AccuracyRow>> {
    return this.accuracies.list(q);
  }

  @Post()
  @HttpCode(201)
  create(@Body(new ZodValidationPipe(createAccuracyBody)) body: CreateAccuracyBody): Promise<AccuracyRow> {
    return this.accuracies.create(body);
  }
}
