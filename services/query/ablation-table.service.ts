import { Injectable } from '@nestjs/common';
import { ComparisonService, type CompareOptions, type Comparison, type ComparisonRow } from './comparison.service.js';
import { csvColumn, csvValue, toCsv } from './csv.util.js';

/** A cell's figures, in table and CSV order. */
export const ABLATION_CELL_FIELDS = [
  'medianMs',
  'ciLowMs',
  'ciHighMs',
  'deltaMs',
  'deltaPct',
  'deltaCiLowPct',
  'deltaCiHighPct',
  'mdePct',
  'verdict',
  'verdictReason',
  'replicates',
  'rounds',
  'flaggedReplicates',
  'flags',
  'samples',
] as const satisfies ReadonlyArray<keyof ComparisonRow>;

export type AblationCell = Pick<ComparisonRow, (typeof ABLATION_CELL_FIELDS)[number]>;

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
export interface AblationTable extends Pick<
  Comparison,
  'studyId' | 'study' | 'status' | 'baseline' | 'confidenceLevel' | 'noiseTest' | 'includeFlagged' | 'devices' | 'reproducibility'
> {
  rows: AblationRow[];
}

@Injectable()
export class AblationTableService {
  constructor(private readonly comparisons: ComparisonService) {}

  async table(studyId: string, devices?: readonly string[], opts: CompareOptions = {}): Promise<AblationTable> {
    return toAblationTable(await this.comparisons.compare(studyId, devices, opts));
  }
}

const pick = (r: ComparisonRow): AblationCell => Object.fromEntries(ABLATION_CELL_FIELDS.map((f) => [f, r[f]])) as AblationCell;

export function toAblationTable(c: Comparison): AblationTable {
  const cell = (variantId: string, deviceId: string): AblationCell | null => {
    const r = c.rows.find((x) => x.variantId === variantId && x.deviceId === deviceId);
    return r ? pick(r) : null;
  };
  return {
    studyId: c.studyId,
    study: c.study,
    status: c.status,
    baseline: c.baseline,
    confidenceLevel: c.confidenceLevel,
    noiseTest: c.noiseTest,
    includeFlagged: c.includeFlagged,
    devices: c.devices,
    reproducibility: c.reproducibility,
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

/** One line per variant; per device the columns `median_ms[<device>]`, `delta_pct[<device>]`, …; flags `;`-separated. */
export function ablationTableCsv(t: AblationTable): string {
  const header = ['variant', 'baseline', 'model', 'madds', 'params', 'top1', ...t.devices.flatMap((d) => ABLATION_CELL_FIELDS.map((f) => `${csvColumn(f)}[${d.name}]`))];
  const rows = t.rows.map((r) => [
    r.variant,
    r.baseline,
    r.model,
    r.madds,
    r.params,
    r.top1,
    ...r.latency.flatMap((c) => ABLATION_CELL_FIELDS.map((f) => (c ? csvValue(c[f]) : null))),
  ]);
  return toCsv(header, rows);
}
