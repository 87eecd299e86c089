import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';
import { ComparisonService, type Comparison } from './comparison.service.js';
import { StudyService } from './study.service.js';
import type { StudyDetail, StudySummary } from './study.repository.js';
import { IdPipe } from './uuid.pipe.js';

function intParam(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max) throw LatfleetError.validation(name, `expected an integer from 0 to ${max}`);
  return n;
}

@Controller('api/v1/studies')
export class StudyController {
  constructor(
    private readonly studies: StudyService,
    private readonly comparisons: ComparisonService,
  ) {}

  @Get()
  async list(@Query('limit') limit?: string, @Query('offset') offset?: string): Promise<{ items: StudySummary[]; limit: number; offset: number }> {
    const l = intParam('limit', limit, 50, 500);
    const o = intParam('offset', offset, 0, 1e9);
    return { items: await this.studies.list(l, o), limit: l, offset: o };
  }

  @Post()
  @HttpCode(201)
  create(@Body() body: unknown): Promise<StudyDetail> {
    return this.studies.create(body);
  }

  @Get(':id')
  get(@Param('id', new IdPipe('study')) id: string): Promise<StudyDetail> {
    return this.studies.get(id);
  }

  @Get(':id/comparison')
  comparison(@Param('id', new IdPipe('study')) id: string): Promise<Comparison> {
    return this.comparisons.compare(id);
  }
}
