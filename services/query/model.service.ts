import { Injectable } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';
import { CONFIDENCE_LEVEL } from './comparison.service.js';
import type { DeviceRef } from './device.repository.js';
import type { ModelDevicesQuery, ModelListQuery } from './model.dto.js';
import { ModelRepository, type ModelRow } from './model.repository.js';
import type { Page } from './pagination.dto.js';
import { sampleStats } from './latency-statistics.js';
import { RunRepository, type RunSamples } from './run.repository.js';

export interface LatencySummary {
  medianMs: number;
  p90Ms: number;
  ciLowMs: number;
  ciHighMs: number;
  samples: number;
}

export interface ModelOnDevice extends LatencySummary {
  device: DeviceRef;
  runs: number;
  /** this device's median over the fastest device's */
  relativeToFastest: number;
  runtimeVersions: string[];
  lastRunAt: string;
}

export interface ModelAcrossDevices {
  model: string;
  sha256s: string[];
  madds: number;
  params: number;
  optimization: string;
  /** fastest first */
  devices: ModelOnDevice[];
}

const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;

/** Median, p90 and the median's bootstrap CI of the pooled latencies of some runs. */
export function summarizeRuns(runs: ReadonlyArray<Pick<RunSamples, 'id' | 'samplesNs'>>): LatencySummary {
  const sorted = Array.from(Float64Array.from(runs.flatMap((r) => r.samplesNs)).sort());
  const s = sampleStats(sorted, runs.map((r) => r.id).join(','), CONFIDENCE_LEVEL);
  return { medianMs: ms(s.median), p90Ms: ms(s.p90), ciLowMs: ms(s.ci.low), ciHighMs: ms(s.ci.high), samples: sorted.length };
}

@Injectable()
export class ModelService {
  constructor(
    private readonly models: ModelRepository,
    private readonly runs: RunRepository,
  ) {}

  list(q: ModelListQuery): Promise<Page<ModelRow>> {
    return this.models.list(q);
  }

  /** One model side by side on every device that ran it, pooling its runs from every study. */
  async acrossDevices(ref: string, q: ModelDevicesQuery): Promise<ModelAcrossDevices> {
    const builds = await this.models.findByRef(ref);
    if (builds.length === 0) throw LatfleetError.notFound('model', ref);
    const runs = await this.runs.samples(
      builds.map((b) => b.sha256),
      q.optimization,
    );
    const byDevice = new Map<string, RunSamples[]>();
    for (const r of runs) byDevice.set(r.deviceId, [...(byDevice.get(r.deviceId) ?? []), r]);
    const devices = [...byDevice.values()].map((rs) => {
      const first = rs[0]!;
      return {
        device: { id: first.deviceId, name: first.deviceName, deviceClass: first.deviceClass },
        ...summarizeRuns(rs),
        runs: rs.length,
        relativeToFastest: 0,
        runtimeVersions: [...new Set(rs.map((r) => r.runtimeVersion))],
        lastRunAt: rs[rs.length - 1]!.createdAt.toISOString(),
      };
    });
    devices.sort((a, b) => a.medianMs - b.medianMs);
    const fastest = devices[0]?.medianMs;
    for (const d of devices) d.relativeToFastest = fastest ? Math.round((d.medianMs / fastest) * 1e3) / 1e3 : 1;
    const latest = builds[builds.length - 1]!;
    return { model: latest.name, sha256s: builds.map((b) => b.sha256), madds: latest.madds, params: latest.params, optimization: q.optimization, devices };
  }
}
