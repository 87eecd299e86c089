import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { AblationTableService, ablationTableCsv, type AblationTable } from './ablation-table.service.js';
import { ComparisonService, type Comparison } from './comparison.service.js';
import { LayerDeltaService, type LayerDeltas } from './layer-delta.service.js';
import { ModelSelectionService, type Pareto, type Reward } from './model-selection.service.js';
import {
  ablationTableQuery,
  comparisonQuery,
  includesFlagged,
  layerDeltaQuery,
  paretoQuery,
  rewardQuery,
  type AblationTableQuery,
  type ComparisonQuery,
  type LayerDeltaQuery,
  type ParetoQuery,
  type RewardQuery,
} from './study.dto.js';
import { IdPipe } from './uuid.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

/** Answers about one study's results: comparisons, ablation tables, per-layer deltas, reward, Pareto fronts. */
@Controller('api/v1/studies/:id')
export class StudyAnalysisController {
  constructor(
    private readonly comparisons: ComparisonService,
    private readonly tables: AblationTableService,
    private readonly layerDeltas: LayerDeltaService,
    private readonly selection: ModelSelectionService,
  ) {}

  @Get('comparison')
  comparison(@Param('id', new IdPipe('study')) id: string, @Query(new ZodValidationPipe(comparisonQuery)) q: ComparisonQuery): Promise<Comparison> {
    return this.comparisons.compare(id, q.device, { includeFlagged: includesFlagged(q) });
  }

  @Get('table')
  async table(
    @Param('id', new IdPipe('study')) id: string,
    @Query(new ZodValidationPipe(ablationTableQuery)) q: AblationTableQuery,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AblationTable | string> {
    const table = await this.tables.table(id, q.device, { includeFlagged: includesFlagged(q) });
    if (q.format === 'json') return table;
    res.type('text/csv; charset=utf-8');
    return ablationTableCsv(table);
  }

  @Get('layer-deltas')
  deltas(@Param('id', new IdPipe('study')) id: string, @Query(new ZodValidationPipe(layerDeltaQuery)) q: LayerDeltaQuery): Promise<LayerDeltas> {
    return this.layerDeltas.deltas(id, q);
  }

  @Get('reward')
  reward(@Param('id', new IdPipe('study')) id: string, @Query(new ZodValidationPipe(rewardQuery)) q: RewardQuery): Promise<Reward> {
    return this.selection.reward(id, { targetMs: q.target, constraint: q.constraint, alpha: q.alpha, beta: q.beta }, q.device);
  }

  @Get('pareto')
  pareto(@Param('id', new IdPipe('study')) id: string, @Query(new ZodValidationPipe(paretoQuery)) q: ParetoQuery): Promise<Pareto> {
    return this.selection.pareto(id, q.device);
  }
}
