import { Injectable } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';
import { DeviceRepository } from './device.repository.js';
import type { Page } from './pagination.dto.js';
import type { RunListQuery } from './run.dto.js';
import { RunRepository, type RunSummary } from './run.repository.js';

export interface LayerRow {
  /** Logical layer name; `(unattributed)` for runtime nodes that map to no layer. */
  layer: string;
  block: string | null;
  role: string | null;
  op: string | null;
  medianMs: number;
  /** Share of the summed per-layer medians. */
  share: number;
  madds: number | null;
  runtimeNodes: string[];
  runtimeOps: string[];
}

export interface RunLayers {
  runId: string;
  variant: string;
  device: string;
  /** End-to-end median of the timed (unprofiled) runs. */
  medianMs: number;
  profiledMedianMs: number;
  /** Profiled vs unprofiled median: what profiling itself costs. */
  profilingOverheadPct: number | null;
  layerSumMs: number;
  /** Sum of per-layer medians over the profiled end-to-end median (≈1 when attribution is complete). */
  layerSumRatio: number | null;
  layers: LayerRow[];
}

export const UNATTRIBUTED = '(unattributed)';
const ms = (ns: number) => Math.round(ns) / 1e6;

@Injectable()
export class RunService {
  constructor(
    private readonly runs: RunRepository,
    private readonly devices: DeviceRepository,
  ) {}

  async list(q: RunListQuery): Promise<Page<RunSummary>> {
    if (q.variant !== undefined && q.study === undefined) throw LatfleetError.validation('variant', 'needs study: labels are unique only within a study');
    const [device] = q.device === undefined ? [] : await this.devices.resolve([q.device]);
    return this.runs.list({ studyId: q.study, variantLabel: q.variant, deviceId: device?.id }, q.limit, q.offset);
  }

  async layers(runId: string): Promise<RunLayers> {
    const run = await this.runs.find(runId);
    if (!run) throw LatfleetError.notFound('run', runId);
    const medians = await this.runs.layerMedians(runId);
    const meta = new Map(run.layers.map((l, i) => [l.name, { ...l, order: i }]));
    const total = medians.reduce((a, m) => a + m.medianNs, 0);
    const layers = medians
      .map((m): LayerRow & { order: number } => {
        const info = meta.get(m.layer);
        return {
          layer: m.layer || UNATTRIBUTED,
          block: info?.block ?? null,
          role: info?.role ?? null,
          op: info?.op ?? null,
          medianMs: ms(m.medianNs),
          share: total ? Math.round((m.medianNs / total) * 1e4) / 1e4 : 0,
          madds: info?.madds ?? null,
          runtimeNodes: m.nodes,
          runtimeOps: m.opTypes,
          order: info?.order ?? Number.MAX_SAFE_INTEGER,
        };
      })
      .sort((a, b) => a.order - b.order)
      .map(({ order: _order, ...row }) => row);
    return {
      runId,
      variant: run.variantLabel,
      device: run.deviceName,
      medianMs: ms(run.medianNs),
      profiledMedianMs: ms(run.profiledMedianNs),
      profilingOverheadPct: run.medianNs ? Math.round(((run.profiledMedianNs - run.medianNs) / run.medianNs) * 1e4) / 1e2 : null,
      layerSumMs: ms(total),
      layerSumRatio: run.profiledMedianNs ? Math.round((total / run.profiledMedianNs) * 1e3) / 1e3 : null,
      layers,
    };
  }
}
