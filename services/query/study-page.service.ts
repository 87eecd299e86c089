import { Injectable } from '@nestjs/common';
import type { TopLevelSpec } from 'vega-lite';
import { LatfleetError } from '../lib/errors/index.js';
import { toAblationTable } from './ablation-table.service.js';
import { ComparisonService } from './comparison.service.js';
import { deltaFigure, latencyFigure, paretoFigure, type FigureName } from './figure-specs.js';
import { renderSvg } from './figure.renderer.js';
import { FigureService } from './figure.service.js';
import { figureQuery } from './figure.dto.js';
import { paretoOf } from './model-selection.service.js';
import { RunService } from './run.service.js';
import { renderStudiesIndex, renderStudyPage, type PageFigure } from './study-page.html.js';
import type { StudyListQuery } from './study.dto.js';
import { StudyService } from './study.service.js';

/** At most this many per-variant layer-delta figures on one page (a study may have dozens of variants). */
const MAX_LAYER_DELTA_FIGURES = 12;
const RUNS_ON_PAGE = 500;

/** The study page and the studies index, server-rendered from the same answers as the API (the comparison is computed once per page). */
@Injectable()
export class StudyPageService {
  constructor(
    private readonly studies: StudyService,
    private readonly comparisons: ComparisonService,
    private readonly runs: RunService,
    private readonly figures: FigureService,
  ) {}

  async index(q: StudyListQuery): Promise<string> {
    return renderStudiesIndex(await this.studies.list(q));
  }

  async page(id: string): Promise<string> {
    const study = await this.studies.get(id);
    const [comparison, runs] = await Promise.all([this.comparisons.compare(id), this.runs.list({ study: id, limit: RUNS_ON_PAGE, offset: 0 })]);
    const pareto = paretoOf(comparison);
    const predicted = await this.figures.predictedPoints(comparison);
    const href = (name: FigureName, params: Record<string, string> = {}) => {
      const qs = new URLSearchParams(params).toString();
      return `/api/v1/studies/${id}/figures/${name}.svg${qs ? `?${qs}` : ''}`;
    };
    const drawn = async (name: FigureName, caption: string, spec: () => Promise<TopLevelSpec>, params?: Record<string, string>): Promise<PageFigure> => {
      const f = { name, caption, href: href(name, params) };
      try {
        return { ...f, svg: await renderSvg(await spec()), unavailable: null };
      } catch (err) {
        if (err instanceof LatfleetError) return { ...f, svg: null, unavailable: err.message };
        throw err;
      }
    };
    const query = (params: Record<string, string>) => figureQuery.parse(params);
    const candidates = comparison.variants.filter((v) => !v.baseline).slice(0, MAX_LAYER_DELTA_FIGURES);
    const figures: PageFigure[] = [
      await drawn('latency', 'Median latency per variant and device, 95% CI', async () => latencyFigure(comparison)),
      await drawn('delta', `Δ vs ${comparison.baseline} with its 95% CI; grey: ±MDE (the noise band)`, async () => deltaFigure(comparison)),
      await drawn('pareto-accuracy', 'Latency–accuracy Pareto front per device', async () => paretoFigure(pareto, 'accuracy', predicted)),
      await drawn('pareto-madds', 'Latency–MAdds Pareto front per device', async () => paretoFigure(pareto, 'madds', predicted)),
      await drawn('blocks', `Where the time went in a run of ${comparison.baseline}, per block`, () => this.figures.spec(id, 'blocks', query({}))),
    ];
    const device = comparison.devices[0];
    for (const v of candidates) {
      const params = { variant: v.label, by: 'block', ...(device ? { device: device.name } : {}) };
      figures.push(
        await drawn(
          'layer-delta',
          `${v.label} vs ${comparison.baseline}${device ? ` on ${device.name}` : ''}: Δ kernel time per block`,
          () => this.figures.spec(id, 'layer-delta', query(params)),
          params,
        ),
      );
    }
    if (comparison.devices.length === 1) {
      figures.push(await drawn('history', `${device!.name} across runtime and agent versions, ${comparison.baseline}'s model`, () => this.figures.spec(id, 'history', query({}))));
    }
    return renderStudyPage({ study, table: toAblationTable(comparison), figures, runs });
  }
}
