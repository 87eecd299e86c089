import { Controller, Get, Header, Param, Query, type PipeTransform } from '@nestjs/common';
import type { TopLevelSpec } from 'vega-lite';
import { ErrorCode, LatfleetError } from '../lib/errors/index.js';
import { FIGURE_NAMES, type FigureName } from './figure-specs.js';
import { figureQuery, type FigureQuery } from './figure.dto.js';
import { FigureService } from './figure.service.js';
import { IdPipe } from './uuid.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';
import { ApiRoute, INVALID } from './api-route.decorator.js';
import { jsonDocument } from './contract.js';

const FIGURES_DESCRIPTION =
  'Drawn by Vega from a Vega-Lite spec built on the answer of the endpoint that gives the same figures as a table: latency and delta from ' +
  '/comparison (median with its CI; Δ with its CI and the ±MDE noise band), pareto-accuracy and pareto-madds from /pareto (and /predictions where a device has a predictor), layers and ' +
  'blocks from /runs/{run}/layers (kernel + executor overhead stacked), layer-delta from /layer-deltas, history from /devices/{device}/history.';

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
  @ApiRoute({
    tag: 'figures',
    summary: `a figure of the study as SVG; name: ${FIGURE_NAMES.join(', ')}`,
    description: FIGURES_DESCRIPTION,
    answer: 'image/svg+xml',
    ok: 'the figure',
    errors: { ...INVALID, 404: 'unknown study, run or figure' },
  })
  svg(
    @Param('id', new IdPipe('study')) id: string,
    @Param('name', new FigureNamePipe()) name: FigureName,
    @Query(new ZodValidationPipe(figureQuery)) q: FigureQuery,
  ): Promise<string> {
    return this.figures.svg(id, name, q);
  }

  @Get(':name.vl.json')
  @ApiRoute({
    tag: 'figures',
    summary: 'the Vega-Lite spec the figure is drawn from, its data inline (restyle it and render it with Vega)',
    answer: jsonDocument<TopLevelSpec>('Vega-Lite'),
    ok: 'Vega-Lite spec',
    errors: { ...INVALID, 404: 'unknown study, run or figure' },
  })
  spec(
    @Param('id', new IdPipe('study')) id: string,
    @Param('name', new FigureNamePipe()) name: FigureName,
    @Query(new ZodValidationPipe(figureQuery)) q: FigureQuery,
  ): Promise<TopLevelSpec> {
    return this.figures.spec(id, name, q);
  }
}
