import { Injectable } from '@nestjs/common';
import type { TopLevelSpec } from 'vega-lite';
import { LatfleetError } from '../lib/errors/index.js';
import { ComparisonService, type Comparison } from './comparison.service.js';
import { DeviceHistoryService } from './device-history.service.js';
import { DeviceRepository, type DeviceRef } from './device.repository.js';
import { deltaFigure, historyFigure, latencyFigure, layerDeltaFigure, paretoFigure, runBarsFigure, type FigureName, type PredictedPoint } from './figure-specs.js';
import { renderSvg } from './figure.renderer.js';
import type { FigureQuery } from './figure.dto.js';
import { LayerDeltaService } from './layer-delta.service.js';
import { paretoOf } from './model-selection.service.js';
import { PredictorService } from './predictor.service.js';
import { RunRepository } from './run.repository.js';
import { RunService } from './run.service.js';

/**
 * A study's figures: each one's Vega-Lite spec is built from the answer of the endpoint that
 * serves the same figures as a table (comparison, pareto, a run's layers, layer-deltas, a device's
 * history), then drawn by Vega as SVG.
 */
@Injectable()
export class FigureService {
  constructor(
    private readonly comparisons: ComparisonService,
    private readonly layerDeltas: LayerDeltaService,
    private readonly runs: RunService,
    private readonly runRows: RunRepository,
    private readonly histories: DeviceHistoryService,
    private readonly devices: DeviceRepository,
    private readonly predictors: PredictorService,
  ) {}

  async svg(studyId: string, name: FigureName, q: FigureQuery): Promise<string> {
    return renderSvg(await this.spec(studyId, name, q));
  }

  async spec(studyId: string, name: FigureName, q: FigureQuery): Promise<TopLevelSpec> {
    const includeFlagged = q.include === 'flagged';
    switch (name) {
      case 'latency':
        return latencyFigure(await this.comparisons.compare(studyId, q.device, { includeFlagged }));
      case 'delta':
        return deltaFigure(await this.comparisons.compare(studyId, q.device, { includeFlagged }));
      case 'pareto-accuracy':
      case 'pareto-madds': {
        const c = await this.comparisons.compare(studyId, q.device);
        return paretoFigure(paretoOf(c), name === 'pareto-accuracy' ? 'accuracy' : 'madds', await this.predictedPoints(c));
      }
      case 'layers':
      case 'blocks':
        return this.runFigure(studyId, name === 'layers' ? 'layer' : 'block', q.run);
      case 'layer-delta': {
        const variant = q.variant ?? firstCandidate(await this.comparisons.compare(studyId));
        const device = q.device === undefined ? undefined : (await this.oneDevice(q.device)).id;
        const d = await this.layerDeltas.deltas(studyId, { variant, baseline: q.baseline, device, include: q.include });
        return layerDeltaFigure(d, q.by);
      }
      case 'history': {
        const c = await this.comparisons.compare(studyId);
        const device = q.device === undefined ? onlyDevice(c) : await this.oneDevice(q.device);
        const model = q.model ?? c.variants.find((v) => v.baseline)?.model;
        return historyFigure(await this.histories.history(device.id, { model, optimization: q.optimization }));
      }
    }
  }

  /** The study's variants as the latest predictor of each of its devices predicts them; none where no device has a predictor. */
  async predictedPoints(c: Comparison): Promise<PredictedPoint[]> {
    const models = [...new Set(c.variants.map((v) => v.model))];
    if (models.length === 0 || c.devices.length === 0) return [];
    let predictions: Awaited<ReturnType<PredictorService['predict']>>['predictions'];
    try {
      ({ predictions } = await this.predictors.predict({ variants: models, layers: false, level: 'live' }));
    } catch (err) {
      // no device has a predictor yet, or a variant the builder cannot describe (an imported model): nothing predicted to draw
      if (err instanceof LatfleetError) return [];
      throw err;
    }
    const devices = new Set(c.devices.map((d) => d.name));
    return predictions
      .filter((p) => devices.has(p.device))
      .flatMap((p) =>
        c.variants
          .filter((v) => v.model === p.variant)
          .map((v) => ({
            device: p.device,
            variant: v.label,
            medianMs: p.medianMs,
            intervalLowMs: p.intervalLowMs,
            intervalHighMs: p.intervalHighMs,
            top1: v.top1,
            madds: v.madds,
          })),
      );
  }

  private async runFigure(studyId: string, by: 'layer' | 'block', runId: string | undefined): Promise<TopLevelSpec> {
    const id = runId ?? defaultRun(await this.comparisons.compare(studyId));
    const row = await this.runRows.find(id);
    if (row?.studyId !== studyId) throw LatfleetError.notFound('run', id);
    const layers = await this.runs.layers(id);
    if (by === 'block' && layers.blocks === null) {
      throw LatfleetError.validation('run', `run ${id} was stored without per-block times (an agent that did not report executor overhead): draw its layers figure instead`);
    }
    return runBarsFigure(layers, by);
  }

  private async oneDevice(refs: readonly string[]): Promise<DeviceRef> {
    if (refs.length !== 1) throw LatfleetError.validation('device', `this figure is of one device; got ${refs.length}`);
    return (await this.devices.resolve(refs))[0]!;
  }
}

function firstCandidate(c: Comparison): string {
  const v = c.variants.find((x) => !x.baseline);
  if (!v) throw LatfleetError.validation('variant', `study ${c.study} has no variant besides its baseline`);
  return v.label;
}

function onlyDevice(c: Comparison): DeviceRef {
  if (c.devices.length === 1) return c.devices[0]!;
  if (c.devices.length === 0) throw LatfleetError.validation('device', `study ${c.study} has no results on any device yet`);
  throw LatfleetError.validation('device', `required: study ${c.study} ran on ${c.devices.map((d) => d.name).join(', ')}`);
}

/** The baseline's first run on the first device, else the first run of any variant. */
function defaultRun(c: Comparison): string {
  const rows = [...c.rows.filter((r) => r.baseline), ...c.rows];
  const id = rows.flatMap((r) => [...r.runIds, ...r.flaggedRunIds])[0];
  if (!id) throw LatfleetError.validation('run', `study ${c.study} has no stored run yet`);
  return id;
}
