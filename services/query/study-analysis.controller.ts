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
import { ApiRoute, INVALID, NOT_FOUND } from './api-route.decorator.js';
import { ablationTable, comparison, layerDeltas, pareto, reward } from './contract.js';

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
  @ApiRoute({
    tag: 'analysis',
    summary: 'per variant and device: median with its CI, Δ vs the baseline and whether it exceeds the noise',
    description:
      'Each run is a replicate: a cell’s median is the median of its runs’ medians, its CI a hierarchical bootstrap (runs, then iterations). ' +
      'Δ vs the baseline comes from the runs’ medians paired by round on the device (t interval of the log ratios; Welch for runs without a round); ' +
      'fewer than 3 rounds: undecided, with the reason. Flagged runs are left out of figures and verdicts unless include=flagged, and always counted.',
    answer: comparison,
    ok: 'comparison',
    errors: { ...INVALID, ...NOT_FOUND },
  })
  comparison(@Param('id', new IdPipe('study')) id: string, @Query(new ZodValidationPipe(comparisonQuery)) q: ComparisonQuery): Promise<Comparison> {
    return this.comparisons.compare(id, q.device, { includeFlagged: includesFlagged(q) });
  }

  @Get('table')
  @ApiRoute({
    tag: 'analysis',
    summary: "the study as a paper's ablation table: rows variants; latency per device, Δ, MAdds, params, top-1",
    answer: ablationTable,
    csv: true,
    ok: 'table (JSON, or CSV with format=csv)',
    errors: { ...INVALID, ...NOT_FOUND },
  })
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
  @ApiRoute({
    tag: 'analysis',
    summary: 'where the time went between two variants: deltas per block, op, role, runtime op type and layer',
    description:
      'Per group and run the median over the run’s profiled iterations of the group’s kernel time; runs paired by round on the device, a paired t test per group, ' +
      'Benjamini–Hochberg within each grouping (one family per grouping); verdict from the adjusted p < 0.05, undecided with fewer than 3 rounds. ' +
      'Flagged runs are left out unless include=flagged.',
    answer: layerDeltas,
    ok: 'deltas',
    errors: { ...INVALID, ...NOT_FOUND },
  })
  deltas(@Param('id', new IdPipe('study')) id: string, @Query(new ZodValidationPipe(layerDeltaQuery)) q: LayerDeltaQuery): Promise<LayerDeltas> {
    return this.layerDeltas.deltas(id, q);
  }

  @Get('reward')
  @ApiRoute({ tag: 'analysis', summary: 'MnasNet reward ACC·(LAT/T)^w per device and the ranking by it', answer: reward, ok: 'ranking', errors: { ...INVALID, ...NOT_FOUND } })
  reward(@Param('id', new IdPipe('study')) id: string, @Query(new ZodValidationPipe(rewardQuery)) q: RewardQuery): Promise<Reward> {
    return this.selection.reward(id, { targetMs: q.target, constraint: q.constraint, alpha: q.alpha, beta: q.beta }, q.device);
  }

  @Get('pareto')
  @ApiRoute({
    tag: 'analysis',
    summary: 'Pareto fronts latency–accuracy and latency–MAdds per device, and the MAdds–latency rank correlation',
    answer: pareto,
    ok: 'fronts',
    errors: { ...INVALID, ...NOT_FOUND },
  })
  pareto(@Param('id', new IdPipe('study')) id: string, @Query(new ZodValidationPipe(paretoQuery)) q: ParetoQuery): Promise<Pareto> {
    return this.selection.pareto(id, q.device);
  }
}
