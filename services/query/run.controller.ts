import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Page } from './pagination.dto.js';
import { runLatenciesQuery, runListQuery, type RunLatenciesQuery, type RunListQuery } from './run.dto.js';
import type { RunSummary } from './contract.js';
import { RunService, runLatenciesCsv, type RunDetail, type RunLatencies, type RunLayers } from './run.service.js';
import { IdPipe } from './uuid.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@Controller('api/v1/runs')
export class RunController {
  constructor(private readonly runs: RunService) {}

  @Get()
  list(@Query(new ZodValidationPipe(runListQuery)) q: RunListQuery): Promise<Page<RunSummary>> {
    return this.runs.list(q);
  }

  @Get(':id')
  get(@Param('id', new IdPipe('run')) id: string): Promise<RunDetail> {
    return this.runs.get(id);
  }

  @Get(':id/latencies')
  async latencies(
    @Param('id', new IdPipe('run')) id: string,
    @Query(new ZodValidationPipe(runLatenciesQuery)) q: RunLatenciesQuery,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RunLatencies | string> {
    const latencies = await this.runs.latencies(id);
    if (q.format === 'json') return latencies;
    res.type('text/csv; charset=utf-8');
    return runLatenciesCsv(latencies);
  }

  @Get(':id/layers')
  layers(@Param('id', new IdPipe('run')) id: string): Promise<RunLayers> {
    return this.runs.layers(id);
  }
}
