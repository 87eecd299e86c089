import { Controller, Get, Param, Query } from '@nestjs/common';
import type { Page } from './pagination.dto.js';
import { runListQuery, type RunListQuery } from './run.dto.js';
import type { RunSummary } from './run.repository.js';
import { RunService, type RunLayers } from './run.service.js';
import { IdPipe } from './uuid.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

@Controller('api/v1/runs')
export class RunController {
  constructor(private readonly runs: RunService) {}

  @Get()
  list(@Query(new ZodValidationPipe(runListQuery)) q: RunListQuery): Promise<Page<RunSummary>> {
    return this.runs.list(q);
  }

  @Get(':id/layers')
  layers(@Param('id', new IdPipe('run')) id: string): Promise<RunLayers> {
    return this.runs.layers(id);
  }
}
