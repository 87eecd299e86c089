import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { Page } from './pagination.dto.js';
import { studyListQuery, type StudyListQuery } from './study.dto.js';
import type { StudyDetail, StudySummary } from './contract.js';
import { StudyService } from './study.service.js';
import { IdPipe } from './uuid.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@Controller('api/v1/studies')
export class StudyController {
  constructor(private readonly studies: StudyService) {}

  @Get()
  list(@Query(new ZodValidationPipe(studyListQuery)) q: StudyListQuery): Promise<Page<StudySummary>> {
    return this.studies.list(q);
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
}
