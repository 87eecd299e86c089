import { Injectable } from '@nestjs/common';
import { ComparisonService, type Comparison, type ComparisonRow } from './comparison.service.js';
import type { DeviceRef } from './device.repository.js';
import { REWARD_EXPONENTS, mnasnetReward, type LatencyConstraint, type RewardExponents } from './mnasnet-reward.util.js';
import { paretoFront } from './pareto-front.util.js';
import { spearman, type RankCorrelation } from '../lib/measure/index.js';

export interface RewardRow {
  /** 1 = best; null when the variant has no accuracy to rank by */
  rank: number | null;
  variant: string;
  model: string;
  medianMs: number;
  top1: number | null;
  /** ACC · (LAT/T)^w with ACC as a fraction */
  reward: number | null;
  withinTarget: boolean;
}

export interface DeviceReward {
  device: DeviceRef;
  rows: RewardRow[];
}

export interface Reward {
  studyId: string;
  study: string;
  targetMs: number;
  constraint: LatencyConstraint;
  alpha: number;
  beta: number;
  formula: string;
  devices: DeviceReward[];
}

export interface ParetoPoint {
  variant: string;
  model: string;
  medianMs: number;
  madds: number;
  top1: number | null;
  /** on the latency–accuracy front (faster and more accurate than none other) */
  accuracyFront: boolean;
  /** on the latency–MAdds front */
  maddsFront: boolean;
}

export interface DevicePareto {
  device: DeviceRef;
  points: ParetoPoint[];
  /** variants on the latency–accuracy front, fastest first (variants without accuracy take no part) */
  accuracyFront: string[];
  /** variants on the latency–MAdds front, fastest first */
  maddsFront: string[];
  /** Spearman ρ between MAdds and median latency over the variants: how well MAdds rank latency here */
  maddsLatencyCorrelation: RankCorrelation | null;
}

export interface Pareto {
  studyId: string;
  study: string;
  devices: DevicePareto[];
}

export interface RewardOptions {
  targetMs: number;
  constraint: LatencyConstraint;
  alpha?: number;
  beta?: number;
}

@Injectable()
export class ModelSelectionService {
  constructor(private readonly comparisons: ComparisonService) {}

  async reward(studyId: string, opts: RewardOptions, devices?: readonly string[]): Promise<Reward> {
    return rankByReward(await this.comparisons.compare(studyId, devices), opts);
  }

  async pareto(studyId: string, devices?: readonly string[]): Promise<Pareto> {
    return paretoOf(await this.comparisons.compare(studyId, devices));
  }
}

type MeasuredRow = ComparisonRow & { medianMs: number };

/** The device's rows with a latency: a variant whose every run there is flagged takes no part. */
const rowsOn = (c: Comparison, d: DeviceRef) => c.rows.filter((r): r is MeasuredRow => r.deviceId === d.id && r.medianMs !== null);

export function rankByReward(c: Comparison, opts: RewardOptions): Reward {
  const exponents: RewardExponents = { ...REWARD_EXPONENTS[opts.constraint] };
  if (opts.alpha !== undefined) exponents.alpha = opts.alpha;
  if (opts.beta !== undefined) exponents.beta = opts.beta;
  const devices = c.devices.map((device): DeviceReward => {
    const scored = rowsOn(c, device).map((r): RewardRow => ({
      rank: null,
      variant: r.variant,
      model: r.model,
      medianMs: r.medianMs,
      top1: r.top1,
      reward: r.top1 === null ? null : mnasnetReward(r.top1 / 100, r.medianMs, opts.targetMs, exponents),
      withinTarget: r.medianMs <= opts.targetMs,
    }));
    const ranked = scored.filter((r) => r.reward !== null).sort((a, b) => b.reward! - a.reward! || a.medianMs - b.medianMs);
    ranked.forEach((r, i) => (r.rank = i + 1));
    return { device, rows: [...ranked, ...scored.filter((r) => r.reward === null)] };
  });
  return {
    studyId: c.studyId,
    study: c.study,
    targetMs: opts.targetMs,
    constraint: opts.constraint,
    ...exponents,
    formula: 'reward = ACC · (LAT / T)^w, w = alpha if LAT ≤ T else beta; ACC = top-1 / 100, LAT = median ms (Tan et al. 2019, MnasNet)',
    devices,
  };
}

export function paretoOf(c: Comparison): Pareto {
  const devices = c.devices.map((device): DevicePareto => {
    const rows = rowsOn(c, device).sort((a, b) => a.medianMs - b.medianMs);
    const withAccuracy = rows.filter((r) => r.top1 !== null);
    const accuracy = new Set(paretoFront(withAccuracy, [(r) => r.medianMs, (r) => -r.top1!]));
    const madds = new Set(paretoFront(rows, [(r) => r.medianMs, (r) => r.madds]));
    const names = (s: Set<MeasuredRow>) => rows.filter((r) => s.has(r)).map((r) => r.variant);
    return {
      device,
      points: rows.map((r) => ({
        variant: r.variant,
        model: r.model,
        medianMs: r.medianMs,
        madds: r.madds,
        top1: r.top1,
        accuracyFront: accuracy.has(r),
        maddsFront: madds.has(r),
      })),
      accuracyFront: names(accuracy),
      maddsFront: names(madds),
      maddsLatencyCorrelation: spearman(
        rows.map((r) => r.madds),
        rows.map((r) => r.medianMs),
      ),
    };
  });
  return { studyId: c.studyId, study: c.study, devices };
}
