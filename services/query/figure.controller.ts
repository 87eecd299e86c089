import { Controller, Get, Header, Param, Query, type PipeTransform } from '@nestjs/common';
import type { TopLevelSpec } from 'vega-lite';
import { ErrorCode, LatfleetError } from '../lib/errors/index.js';
import { FIGURE_NAMES, type FigureName } from './figure-specs.js';
import { figureQuery, type FigureQuery } from './figure.dto.js';
import { FigureService } from './figure.service.js';
import { IdPipe } from './uuid.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

/** An unknown figure is a resource that does not exist (404), naming the ones that do. */
class FigureNamePipe implements PipeTransform<string, FigureName> {
  transform(value: string): FigureName {
    if ((FIGURE_NAMES as readonly string[]).includes(value)) return value as FigureName;
    throw new LatfleetError(ErrorCode.NotFound, `no figure ${JSON.stringify(value)}; figures: ${FIGURE_NAMES.join(', ')}`);
  }
}

/** A study's figures as SVG, and as the Vega-Lite spec they are drawn from (data inline), for restyling. */
@Controller('api/v1/studies/:id/figures')
export class FigureController {
  constructor(private readonly figures: FigureService) {}

  @Get(':name.svg')
  @Header('Content-Type', 'image/svg+xml; charset=utf-8')
  @Header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
  svg(
    @Param('id', new IdPipe('study')) id: string,
    @Param('name', new FigureNamePipe()) name: FigureName,
    @Query(new ZodValidationPipe(figureQuery)) q: FigureQuery,
  ): Promise<string> {
    return this.figures.svg(id, name, q);
  }

  @Get(':name.vl.json')
  spec(
    @Param('id', new IdPipe('study')) id: string,
    @Param('name', new FigureNamePipe()) name: FigureName,
    @Query(new ZodValidationPipe(figureQuery)) q: FigureQuery,
  ): Promise<TopLevelSpec> {
    return this.figures.spec(id, name, q);
  }
}
