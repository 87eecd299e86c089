import { Injectable } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';
import { compareMedians } from '../lib/measure/index.js';
import { CONFIDENCE_LEVEL, type Verdict } from './comparison.service.js';
import type { DeviceHistoryQuery } from './device.dto.js';
import { DeviceRepository, type DeviceRef } from './device.repository.js';
import { summarizeRuns, type LatencySummary } from './model.service.js';
import { ModelRepository } from './model.repository.js';
import { RunRepository, type RunSamples } from './run.repository.js';

export interface VersionSegment extends LatencySummary {
  runtimeVersion: string;
  agentVersion: string;
  runs: number;
  firstRunAt: string;
  lastRunAt: string;
  /** vs every earlier segment pooled; null for the first */
  vsHistory: { deltaPct: number; pValue: number; verdict: Verdict } | null;
  /** slower than its history beyond the noise */
  regression: boolean;
}

export interface ModelHistory {
  model: string;
  /** chronological runs of one (runtime, agent) version pair */
  segments: VersionSegment[];
  /** the latest segment is a regression */
  regression: boolean;
}

export interface DeviceHistory {
  device: DeviceRef;
  optimization: string;
  noiseTest: string;
  models: ModelHistory[];
}

const pct = (x: number) => Math.round(x * 1e4) / 1e2;

@Injectable()
export class DeviceHistoryService {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly models: ModelRepository,
    private readonly runs: RunRepository,
  ) {}

  /**
   * One device across runtime and agent versions: per model, the runs in time order cut into
   * segments of one version pair; a segment whose median is slower than all earlier ones pooled,
   * beyond the noise, is a regression.
   */
  async history(deviceId: string, q: DeviceHistoryQuery): Promise<DeviceHistory> {
    const device = await this.devices.find(deviceId);
    if (!device) throw LatfleetError.notFound('device', deviceId);
    let shas: string[];
    if (q.model !== undefined) {
      shas = (await this.models.findByRef(q.model)).map((m) => m.sha256);
      if (shas.length === 0) throw LatfleetError.validation('model', `no model named or with sha256 ${JSON.stringify(q.model)}`);
    } else {
      shas = await this.runs.modelsOnDevice(deviceId);
    }
    const runs = shas.length ? await this.runs.samples(shas, q.optimization, deviceId) : [];
    const byModel = new Map<string, RunSamples[]>();
    for (const r of runs) byModel.set(r.model, [...(byModel.get(r.model) ?? []), r]);
    const models = [...byModel.entries()]
      .map(([model, rs]) => modelHistory(model, rs))
      .sort((a, b) => Number(b.regression) - Number(a.regression) || a.model.localeCompare(b.model));
    return {
      device,
      optimization: q.optimization,
      noiseTest: 'segment vs all earlier segments pooled: bootstrap 95% CI of the median difference excludes 0 and Mann–Whitney U p < 0.05',
      models,
    };
  }
}

/** Runs must be in time order. */
export function modelHistory(model: string, runs: readonly RunSamples[]): ModelHistory {
  const groups: RunSamples[][] = [];
  for (const r of runs) {
    const last = groups[groups.length - 1];
    if (last && last[0]!.runtimeVersion === r.runtimeVersion && last[0]!.agentVersion === r.agentVersion) last.push(r);
    else groups.push([r]);
  }
  const history: number[] = [];
  const segments = groups.map((g): VersionSegment => {
    const samples = g.flatMap((r) => r.samplesNs);
    let vsHistory: VersionSegment['vsHistory'] = null;
    if (history.length) {
      const cmp = compareMedians(history, samples, { alpha: 1 - CONFIDENCE_LEVEL });
      vsHistory = { deltaPct: pct(cmp.relativeDifference), pValue: cmp.mannWhitney.pValue, verdict: cmp.verdict };
    }
    for (const s of samples) history.push(s);
    return {
      runtimeVersion: g[0]!.runtimeVersion,
      agentVersion: g[0]!.agentVersion,
      runs: g.length,
      firstRunAt: g[0]!.createdAt.toISOString(),
      lastRunAt: g[g.length - 1]!.createdAt.toISOString(),
      ...summarizeRuns(g),
      vsHistory,
      regression: vsHistory?.verdict === 'slower',
    };
  });
  return { model, segments, regression: segments[segments.length - 1]?.regression ?? false };
}
