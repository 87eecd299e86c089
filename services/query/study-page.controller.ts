import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { PAGE_CSP } from './study-page.html.js';
import { StudyPageService } from './study-page.service.js';
import { studyListQuery, type StudyListQuery } from './study.dto.js';
import { IdPipe } from './uuid.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';
import { ApiRoute, INVALID, NOT_FOUND } from './api-route.decorator.js';

/** Server-rendered pages for people: the studies, and one study with its table and figures. Reads like the API (LATFLEET_API_READ). */
@Controller('studies')
export class StudyPageController {
  constructor(private readonly pages: StudyPageService) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', PAGE_CSP)
  @ApiRoute({ tag: 'pages', summary: 'the studies, as a page', answer: 'text/html', ok: 'HTML', errors: INVALID })
  index(@Query(new ZodValidationPipe(studyListQuery)) q: StudyListQuery): Promise<string> {
    return this.pages.index(q);
  }

  @Get(':id')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', PAGE_CSP)
  @ApiRoute({
    tag: 'pages',
    summary: 'one study as a page: the ablation table, the figures (inline SVG), quality flags and links to its runs',
    answer: 'text/html',
    ok: 'HTML',
    errors: NOT_FOUND,
  })
  page(@Param('id', new IdPipe('study')) id: string): Promise<string> {
    return this.pages.page(id);
  }
}
