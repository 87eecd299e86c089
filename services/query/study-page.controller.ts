import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { PAGE_CSP } from './study-page.html.js';
import { StudyPageService } from './study-page.service.js';
import { studyListQuery, type StudyListQuery } from './study.dto.js';
import { IdPipe } from './uuid.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

/** Server-rendered pages for people: the studies, and one study with its table and figures. Reads like the API (LATFLEET_API_READ). */
@Controller('studies')
export class StudyPageController {
  constructor(private readonly pages: StudyPageService) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', PAGE_CSP)
  index(@Query(new ZodValidationPipe(studyListQuery)) q: StudyListQuery): Promise<string> {
    return this.pages.index(q);
  }

  @Get(':id')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', PAGE_CSP)
  page(@Param('id', new IdPipe('study')) id: string): Promise<string> {
    return this.pages.page(id);
  }
}
