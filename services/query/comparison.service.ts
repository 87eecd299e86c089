import { Injectable } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';
import { ComparisonRepository } from './comparison.repository.js';
import { StudyRepository } from './study.repository.js';

export interface ComparisonRow {
  variant: string;
  baseline: boolean;
  device: string;
  deviceId: string;
  medianMs: number;
  p90Ms: number;
  samples: number;
  /** vs the baseline variant on the same device; null when the baseline has no result there yet. */
  deltaMs: number | null;
  deltaPct: number | null;
  madds: number;
  params: number;
  runIds: string[];
}

export interface Comparison {
  studyId: string;
  study: string;
  status: string;
  baseline: string;
  rows: ComparisonRow[];
}

const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;

@Injectable()
export class ComparisonService {
  constructor(
    private readonly studies: StudyRepository,
    private readonly comparisons: ComparisonRepository,
  ) {}

  async compare(studyId: string): Promise<Comparison> {
    const study = await this.studies.find(studyId);
    if (!study) throw LatfleetError.notFound('study', studyId);
    const cells = await this.comparisons.latencies(studyId);
    const baselineByDevice = new Map(cells.filter((c) => c.isBaseline).map((c) => [c.deviceId, c.medianNs]));
    const rows = cells.map((c): ComparisonRow => {
      const base = baselineByDevice.get(c.deviceId);
      return {
        variant: c.label,
        baseline: c.isBaseline,
        device: c.deviceName,
        deviceId: c.deviceId,
        medianMs: ms(c.medianNs),
        p90Ms: ms(c.p90Ns),
        samples: c.samples,
        deltaMs: base === undefined ? null : ms(c.medianNs - base),
        deltaPct: base === undefined ? null : Math.round(((c.medianNs - base) / base) * 1e4) / 1e2,
        madds: c.madds,
        params: c.params,
        runIds: c.runIds,
      };
    });
    return { studyId, study: study.name, status: study.status, baseline: study.baselineLabel, rows };
  }
}
