import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { Page } from './pagination.dto.js';
import { studyListQuery, type StudyListQuery } from './study.dto.js';
import { jsonDocument, page, studyDetail, type StudyDetail, type StudySummary, studySummary } from './contract.js';
import { StudyService } from './study.service.js';
import { IdPipe } from './uuid.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';
import { ApiRoute, INVALID, NOT_FOUND, UNAUTHENTICATED } from './api-route.decorator.js';

@Controller('api/v1/studies')
export class StudyController {
  constructor(private readonly studies: StudyService) {}

  @Get()
  @ApiRoute({ tag: 'studies', summary: 'studies, newest first', answer: page(studySummary), ok: 'a page of studies', errors: INVALID })
  list(@Query(new ZodValidationPipe(studyListQuery)) q: StudyListQuery): Promise<Page<StudySummary>> {
    return this.studies.list(q);
  }

  @Post()
  @HttpCode(201)
  @ApiRoute({
    tag: 'studies',
    summary: 'create a study from a spec (builds the variants, queues the jobs)',
    body: jsonDocument('study spec: name, base or variants, axes, baseline, protocol (see the README)'),
    answer: studyDetail,
    ok: 'the study with its variants and jobs',
    errors: { ...INVALID, ...UNAUTHENTICATED },
  })
  create(@Body() body: unknown): Promise<StudyDetail> {
    return this.studies.create(body);
  }

  @Get(':id')
  @ApiRoute({
    tag: 'studies',
    summary: 'one study: status, progress, variants (MAdds, params, format), jobs, and why queued jobs wait',
    description:
      '`waiting` lists, per format, the queued jobs no online agent can run now and why: "no online agent runs tflite", or "no online agent that ' +
      'runs tflite matches the study\'s device selection". Such jobs stay queued until an agent that can run them comes online.',
    answer: studyDetail,
    ok: 'the study',
    errors: NOT_FOUND,
  })
  get(@Param('id', new IdPipe('study')) id: string): Promise<StudyDetail> {
    return this.studies.get(id);
  }
}
