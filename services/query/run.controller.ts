import { Controller, Get, Param } from '@nestjs/common';
import { RunService, type RunLayers } from './run.service.js';
import { IdPipe } from './uuid.pipe.js';

@Controller('api/v1/runs')
export class RunController {
  constructor(private readonly runs: RunService) {}

  @Get(':id/layers')
  layers(@Param('id', new IdPipe('run')) id: string): Promise<RunLayers> {
    return this.runs.layers(id);
  }
}
