import { Injectable } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';
import { MIN_ROUNDS } from '../lib/measure/index.js';
import type { DeviceHistoryQuery } from './device.dto.js';
import { DeviceRepository, type DeviceRef } from './device.repository.js';
import {
  latencyOf,
  latencySummary,
  noCleanReplicate,
  pairedValues,
  replicatedDelta,
  selectReplicates,
  undecidedDelta,
  type LatencySummary,
  type ReplicatedDelta,
} from './latency-statistics.js';
import { ModelRepository } from './model.repository.js';
import { RunRepository, type RunSamples } from './run.repository.js';

export interface VersionSegment extends LatencySummary {
  runtimeVersion: string;
  agentVersion: string;
  /** stored runs of the segment, flagged ones included */
  runs: number;
  firstRunAt: string;
  lastRunAt: string;
  /** the segment's run medians vs those of every earlier segment (independent replicates: Welch); null for the first */
  vsHistory: ReplicatedDelta | null;
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

const HISTORY_NOISE_TEST =
  'each run a replicate; a segment vs all earlier segments: Welch t on the log run medians, 95% interval of the ratio excludes 1; ' +
  `fewer than ${MIN_ROUNDS} runs on a side: undecided; flagged runs left out`;

@Injectable()
export class DeviceHistoryService {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly models: ModelRepository,
    private readonly runs: RunRepository,
  ) {}

  /**
   * One device across runtime and agent versions: per model, the runs in time order cut into
   * segments of one version pair; a segment slower than all earlier ones, beyond the noise, is a
   * regression.
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
    return { device, optimization: q.optimization, noiseTest: HISTORY_NOISE_TEST, models };
  }
}

/** Runs must be in time order. Rounds pair variants within a study, not versions over time: every run counts as an independent replicate here. */
export function modelHistory(model: string, runs: readonly RunSamples[]): ModelHistory {
  const groups: RunSamples[][] = [];
  for (const r of runs) {
    const last = groups[groups.length - 1];
    if (last && last[0]!.runtimeVersion === r.runtimeVersion && last[0]!.agentVersion === r.agentVersion) last.push(r);
    else groups.push([r]);
  }
  const history: RunSamples[] = [];
  const segments = groups.map((g, i): VersionSegment => {
    const sel = selectReplicates(g, false);
    const unpaired = (rs: readonly RunSamples[]) => pairedValues(rs.map((r) => ({ round: null, sortedNs: r.sortedNs })));
    let vsHistory: ReplicatedDelta | null = null;
    if (i > 0) {
      if (sel.used.length === 0) vsHistory = undecidedDelta(noCleanReplicate(sel.flagged));
      else if (history.length === 0) vsHistory = undecidedDelta('no clean replicate in the history');
      else vsHistory = replicatedDelta({ base: unpaired(history), cand: unpaired(sel.used) });
    }
    history.push(...sel.used);
    return {
      runtimeVersion: g[0]!.runtimeVersion,
      agentVersion: g[0]!.agentVersion,
      runs: g.length,
      firstRunAt: g[0]!.createdAt.toISOString(),
      lastRunAt: g[g.length - 1]!.createdAt.toISOString(),
      ...latencySummary(latencyOf(sel.used), sel),
      vsHistory,
      regression: vsHistory?.verdict === 'slower',
    };
  });
  return { model, segments, regression: segments[segments.length - 1]?.regression ?? false };
}
