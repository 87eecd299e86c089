import { Injectable } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';
import { describeVariant, isBuiltFormat, type StudySpec } from '../lib/models/index.js';
import { paretoFront } from './pareto-front.util.js';
import { PredictorService } from './predictor.service.js';

/** What a study that measures only some of its variants stored about the ranking (spec.predicted). */
export interface StudyPredictions {
  select: 'top-k' | 'pareto';
  k: number;
  device: string;
  predictorId: string;
  predictorVersion: number;
  validation: Record<string, unknown> | null;
  /** every candidate, measured or not, fastest first */
  variants: Array<{ label: string; name: string; predictedMs: number; intervalLowMs: number; intervalHighMs: number; madds: number; outOfRange: number; measured: boolean }>;
}

/**
 * `measure: {select, k, device}` in a study spec: every variant is ranked by its predicted latency
 * on the device (its latest predictor of the variants' format) and only the k fastest (top-k) or the latency–MAdds Pareto
 * candidates are measured, the baseline always; the ranking is stored with the study.
 */
@Injectable()
export class MeasureSelectionService {
  constructor(private readonly predictors: PredictorService) {}

  async select(spec: StudySpec): Promise<{ spec: StudySpec; predicted: StudyPredictions | null }> {
    const m = spec.measure;
    if (!m) return { spec, predicted: null };
    const imported = spec.variants.find((v) => v.imported || !v.spec);
    if (imported) throw LatfleetError.validation('measure', `${imported.label} is an imported model: only builder variants can be predicted`);
    // one predictor ranks them all: the device's latest of the study's model format
    const formats = [...new Set(spec.variants.map((v) => v.format))];
    const format = formats[0]!;
    if (formats.length > 1 || !isBuiltFormat(format)) {
      throw LatfleetError.validation('measure', `ranks variants of one format that a predictor learns (onnx or tflite); this study has ${formats.join(', ')}`);
    }
    const { predictions } = await this.predictors.predict({ variants: spec.variants.map((v) => v.name), devices: [m.device], layers: false, level: 'live', format });
    const ranked = spec.variants.map((v, i) => ({ variant: v, p: predictions[i]!, madds: describeVariant(v.name).madds })).sort((a, b) => a.p.medianMs - b.p.medianMs);
    const chosen = m.select === 'top-k' ? ranked.slice(0, m.k) : paretoFront(ranked, [(r) => r.p.medianMs, (r) => r.madds]);
    const measured = new Set([spec.baseline, ...chosen.map((r) => r.variant.label)]);
    const first = predictions[0]!.predictor;
    return {
      spec: { ...spec, variants: spec.variants.filter((v) => measured.has(v.label)) },
      predicted: {
        select: m.select,
        k: m.k,
        device: predictions[0]!.device,
        predictorId: first.id,
        predictorVersion: first.version,
        validation: first.validation,
        variants: ranked.map((r) => ({
          label: r.variant.label,
          name: r.variant.name,
          predictedMs: r.p.medianMs,
          intervalLowMs: r.p.intervalLowMs,
          intervalHighMs: r.p.intervalHighMs,
          madds: r.madds,
          outOfRange: r.p.outOfRange.length,
          measured: measured.has(r.variant.label),
        })),
      },
    };
  }
}
