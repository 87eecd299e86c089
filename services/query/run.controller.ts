import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Page } from './pagination.dto.js';
import { runLatenciesQuery, runListQuery, type RunLatenciesQuery, type RunListQuery } from './run.dto.js';
import { page, runDetail, runLatencies, runLayers, type RunSummary, runSummary } from './contract.js';
import { RunService, runLatenciesCsv, type RunDetail, type RunLatencies, type RunLayers } from './run.service.js';
import { IdPipe } from './uuid.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';
import { ApiRoute, INVALID, NOT_FOUND } from './api-route.decorator.js';

@Controller('api/v1/runs')
export class RunController {
  constructor(private readonly runs: RunService) {}

  @Get()
  @ApiRoute({ tag: 'runs', summary: 'runs, newest first', answer: page(runSummary), ok: 'a page of runs', errors: INVALID })
  list(@Query(new ZodValidationPipe(runListQuery)) q: RunListQuery): Promise<Page<RunSummary>> {
    return this.runs.list(q);
  }

  @Get(':id')
  @ApiRoute({
    tag: 'runs',
    summary: 'one run: study, variant, device, job, attempt, round, times, environment, protocol, statistics, quality flags, attempts and the whole report',
    answer: runDetail,
    ok: 'the run',
    errors: NOT_FOUND,
  })
  get(@Param('id', new IdPipe('run')) id: string): Promise<RunDetail> {
    return this.runs.get(id);
  }

  @Get(':id/latencies')
  @ApiRoute({
    tag: 'runs',
    summary: 'the run’s raw timed latencies (profiling off) in iteration order',
    answer: runLatencies,
    csv: true,
    ok: 'latencies (JSON, or CSV iteration,latency_ns with format=csv)',
    errors: { ...INVALID, ...NOT_FOUND },
  })
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
  @ApiRoute({
    tag: 'runs',
    summary: 'per logical layer of one run: kernel, executor overhead and total medians with their shares; the session bucket; layer-sum ratios',
    description:
      'Kernel medians per layer come from the stored node timings. Executor overhead (the runtime’s time between kernels), totals, ' +
      'the `(session)` bucket (time in `model_run` outside every node: neither a layer nor `(unattributed)`), the per-block and per-op-type ' +
      'tables and the ratios come from the agent’s report; runs stored before agents reported overhead have them null (kernel time only).',
    answer: runLayers,
    ok: 'layers',
    errors: NOT_FOUND,
  })
  layers(@Param('id', new IdPipe('run')) id: string): Promise<RunLayers> {
    return this.runs.layers(id);
  }
}
