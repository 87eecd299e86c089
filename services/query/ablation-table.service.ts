import { Injectable } from '@nestjs/common';
import { ComparisonService, type Comparison, type Verdict } from './comparison.service.js';
import { toCsv } from './csv.util.js';

export interface AblationCell {
  medianMs: number;
  ciLowMs: number;
  ciHighMs: number;
  deltaMs: number | null;
  deltaPct: number | null;
  verdict: Verdict | null;
  samples: number;
}

export interface AblationRow {
  variant: string;
  baseline: boolean;
  model: string;
  madds: number;
  params: number;
  top1: number | null;
  top1Source: string | null;
  /** one cell per entry of `devices`, null where the variant has no result on that device */
  latency: Array<AblationCell | null>;
}

/** A paper's ablation table: one row per variant; latency per device, Δ, MAdds, params, top-1. */
export interface AblationTable extends Pick<Comparison, 'studyId' | 'study' | 'status' | 'baseline' | 'confidenceLevel' | 'noiseTest' | 'devices'> {
  rows: AblationRow[];
}

@Injectable()
export class AblationTableService {
  constructor(private readonly comparisons: ComparisonService) {}

  async table(studyId: string, devices?: readonly string[]): Promise<AblationTable> {
    return toAblationTable(await this.comparisons.compare(studyId, devices));
  }
}

export function toAblationTable(c: Comparison): AblationTable {
  const cell = (variantId: string, deviceId: string): AblationCell | null => {
    const r = c.rows.find((x) => x.variantId === variantId && x.deviceId === deviceId);
    return r
      ? { medianMs: r.medianMs, ciLowMs: r.ciLowMs, ciHighMs: r.ciHighMs, deltaMs: r.deltaMs, deltaPct: r.deltaPct, verdict: r.verdict, samples: r.samples }
      : null;
  };
  return {
    studyId: c.studyId,
    study: c.study,
    status: c.status,
    baseline: c.baseline,
    confidenceLevel: c.confidenceLevel,
    noiseTest: c.noiseTest,
    devices: c.devices,
    rows: c.variants.map((v) => ({
      variant: v.label,
      baseline: v.baseline,
      model: v.model,
      madds: v.madds,
      params: v.params,
      top1: v.top1,
      top1Source: v.top1Source,
      latency: c.devices.map((d) => cell(v.id, d.id)),
    })),
  };
}

const CELL_COLUMNS = ['median_ms', 'ci_low_ms', 'ci_high_ms', 'delta_ms', 'delta_pct', 'verdict', 'samples'] as const;

/** One line per variant; per device the columns `median_ms[<device>]`, `delta_pct[<device>]`, …. */
export function ablationTableCsv(t: AblationTable): string {
  const header = ['variant', 'baseline', 'model', 'madds', 'params', 'top1', ...t.devices.flatMap((d) => CELL_COLUMNS.map((c) => `${c}[${d.name}]`))];
  const rows = t.rows.map((r) => [
    r.variant,
    r.baseline,
    r.model,
    r.madds,
    r.params,
    r.top1,
    ...r.latency.flatMap((c) => (c ? [c.medianMs, c.ciLowMs, c.ciHighMs, c.deltaMs, c.deltaPct, c.verdict, c.samples] : CELL_COLUMNS.map(() => null))),
  ]);
  return toCsv(header, rows);
}
