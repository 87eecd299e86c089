import { Injectable } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';
import { median } from '../lib/measure/stats.js';
import { nsToMs } from '../lib/measure/units.js';
import { describeVariant, ModelSpecError, type VariantDescription } from '../lib/models/index.js';
import {
  DEFAULT_KERNEL_MODEL,
  DISTURBED_TIMED_RATIO,
  LIVE_LEVEL_RUNS,
  liveLevel,
  PREDICTOR_FORMAT,
  predictorOf,
  PredictorTrainer,
  type AnyPredictorModel,
  type LatencyPredictor,
  type LiveLevel,
  type MeasuredVariant,
  type PredictorKind,
  type PredictorModel,
} from '../lib/predict/index.js';
import { LruCache } from './lru-cache.util.js';
import { REWARD_EXPONENTS, sourcedReward, type LatencyConstraint, type SourcedReward } from './mnasnet-reward.util.js';
import type { PredictionBody, PredictorListQuery, TrainPredictorBody } from './predictor.dto.js';
import { PredictorRepository, type PredictorSummary, type TrainingKernel, type TrainingRun } from './predictor.repository.js';

export interface PredictedVariant {
  variant: string;
  device: string;
  /** always true: a latency the fleet predicted, not one it measured */
  predicted: true;
  medianMs: number;
  intervalLowMs: number;
  intervalHighMs: number;
  kernelSumMs: number;
  overheadMs: number;
  /** why the variant lies outside what the predictor learned from; empty when inside */
  outOfRange: string[];
  predictor: Pick<PredictorSummary, 'id' | 'version' | 'runtime' | 'optimization' | 'format' | 'kind' | 'validation' | 'createdAt'> & { live: LiveLevel };
  layers?: Array<{ layer: string; predictedMs: number; kernels: Array<{ opType: string; predictedMs: number }> }>;
}

/** The least share of the CPU a run's timed phase may have had to teach a predictor while its model has a run that had more. */
const MIN_CPU_SHARE = 0.9;

/** The host speed the runs were measured at, typically: the median of their host probes (null when none has one). */
export function referenceHostProbe(runs: readonly Pick<TrainingRun, 'hostProbeNs'>[]): number | null {
  const probes = runs.map((r) => r.hostProbeNs).filter((p): p is number => p !== null && p > 0);
  return probes.length ? median(probes) : null;
}

/**
 * Groups a device's stored runs into the predictor's training variants: one per model (its runs'
 * end-to-end medians and each runtime node's kernel medians, median over runs). Each run's times
 * are first scaled to the reference host speed (× reference probe / the run's own probe: a VM's
 * host drifts by several percent over minutes, which the agent's probe around the timed runs
 * measures). Runs slowed by other work — timed median above DISTURBED_TIMED_RATIO × their own
 * kernel sum (profiled runs), or less than MIN_CPU_SHARE of the CPU — are left out while the model
 * has another.
 * Models the builder can no longer describe (an imported model, a removed knob) are left out.
 */
export function measuredVariants(runs: readonly TrainingRun[], kernels: readonly TrainingKernel[], referenceProbeNs = referenceHostProbe(runs)): MeasuredVariant[] {
  const kernelsByRun = new Map<string, TrainingKernel[]>();
  for (const k of kernels) {
    const list = kernelsByRun.get(k.runId);
    if (list) list.push(k);
    else kernelsByRun.set(k.runId, [k]);
  }
  const byModel = new Map<string, TrainingRun[]>();
  for (const r of runs) byModel.set(r.modelSha256, [...(byModel.get(r.modelSha256) ?? []), r]);
  const scale = (r: TrainingRun) => (referenceProbeNs && r.hostProbeNs && r.hostProbeNs > 0 ? referenceProbeNs / r.hostProbeNs : 1);
  const variants: MeasuredVariant[] = [];
  for (const all of byModel.values()) {
    const first = all[0]!;
    const agreesWithKernels = (r: TrainingRun) => {
      const own = kernelsByRun.get(r.runId);
      return !own || r.medianNs <= DISTURBED_TIMED_RATIO * own.reduce((a, k) => a + (k.layer === '' ? 0 : k.medianNs), 0);
    };
    const clean = all.filter((r) => (r.cpuShare ?? 1) >= MIN_CPU_SHARE && agreesWithKernels(r));
    const list = clean.length ? clean : all;
    let spec: VariantDescription['spec'];
    try {
      spec = describeVariant(first.spec).spec;
    } catch {
      continue;
    }
    const nodes = new Map<string, { nodeName: string; opType: string; layer: string; values: number[] }>();
    for (const r of list) {
      for (const k of kernelsByRun.get(r.runId) ?? []) {
        const key = `${k.nodeName}\u0000${k.opType}\u0000${k.layer}`;
        const n = nodes.get(key) ?? { nodeName: k.nodeName, opType: k.opType, layer: k.layer, values: [] };
        n.values.push(k.medianNs * scale(r));
        nodes.set(key, n);
      }
    }
    variants.push({
      name: first.modelName,
      family: first.family,
      spec,
      layers: first.layers,
      kernels: [...nodes.values()].map((n) => ({ nodeName: n.nodeName, opType: n.opType, layer: n.layer, medianNs: median(n.values) })),
      medianNs: median(list.map((r) => r.medianNs * scale(r))),
    });
  }
  return variants;
}

/** Variants to rank by the MnasNet reward of their predicted latency on one device. */
export interface PredictedRewardInput {
  /** variant names, each with its top-1 (percent) when known; otherwise the latest stored for the variant's name is used */
  variants: Array<{ name: string; top1?: number }>;
  device: string;
  targetMs: number;
  constraint: LatencyConstraint;
  alpha?: number;
  beta?: number;
  /** the device's latest predictor of this model format (default: its latest) */
  format?: 'onnx' | 'tflite';
}

export interface PredictedRewardRow extends Partial<SourcedReward> {
  /** 1 = best; null without an accuracy to rank by */
  rank: number | null;
  variant: string;
  top1: number | null;
  /** where top1 came from: the request, the accuracies table, or nowhere */
  accuracySource: 'given' | 'stored' | null;
  latencyMs: number;
  /** always 'predicted': these latencies were never measured */
  latencySource: 'predicted';
  outOfRange: string[];
}

export interface PredictedReward {
  device: string;
  targetMs: number;
  constraint: LatencyConstraint;
  alpha: number;
  beta: number;
  predictor: PredictedVariant['predictor'];
  rows: PredictedRewardRow[];
}

/** A `measure` study's ranking beside what was measured: predicted vs measured per variant. */
export interface StudyPredictedVsMeasured {
  study: string;
  select: string;
  k: number;
  device: string;
  predictor: { id: string; version: number; validation: Record<string, unknown> | null };
  rows: Array<{
    label: string;
    name: string;
    predictedMs: number;
    intervalLowMs: number;
    intervalHighMs: number;
    measured: boolean;
    /** median of the variant's runs (flagged ones included: `flaggedRuns`); null until measured */
    measuredMs: number | null;
    runs: number;
    flaggedRuns: number;
    /** (predicted − measured) / measured, % */
    errorPct: number | null;
  }>;
}

@Injectable()
export class PredictorService {
  private readonly loaded = new LruCache<string, LatencyPredictor>(16);
  /** per predictor: the live level of the runs read last time (their ids), so a scrape with nothing new loads no model */
  private readonly live = new LruCache<string, { runs: string; live: LiveLevel }>(1024);

  constructor(
    private readonly predictors: PredictorRepository,
    private readonly trainer: PredictorTrainer,
  ) {}

  private async device(ref: string): Promise<{ id: string; name: string }> {
    const device = await this.predictors.deviceId(ref);
    if (!device) throw LatfleetError.notFound('device', ref);
    return device;
  }

  /**
   * Learns a new predictor version from the device's stored runs, validated on variants held out by
   * name: a kernel predictor from profiled runs, else (or when asked) a layer-sum predictor from
   * end-to-end medians (runtimes that time whole runs only: LiteRT, TFLite's benchmark tool).
   */
  async train(body: TrainPredictorBody): Promise<PredictorSummary> {
    const device = await this.device(body.device);
    const latest = await this.predictors.latestKey(device.id, body.format ?? null);
    if (!latest) throw LatfleetError.validation('device', `${device.name} has no runs of builder variants${body.format ? ` in ${body.format}` : ''} to learn from`);
    // a runtime named by the request: its own level and profiling decide, not the latest run's
    const key = { deviceId: device.id, runtime: body.runtime ?? latest.runtime, optimization: body.optimization ?? latest.optimization };
    const flagged = body.includeFlagged ? '' : 'clean ';
    const profiled = body.model === 'layer-sum' ? [] : await this.predictors.trainingRuns(key, body.studies ?? null, body.includeFlagged, true);
    const kind: PredictorKind = body.model ?? (profiled.length ? 'kernels' : 'layer-sum');
    if (kind === 'kernels' && profiled.length === 0) {
      throw LatfleetError.validation(
        'model',
        `${device.name} has no ${flagged}profiled runs of builder variants with ${key.runtime} at optimization ${key.optimization}: a kernel predictor needs per-layer timings (model: layer-sum learns from end-to-end times)`,
      );
    }
    const runs = kind === 'kernels' ? profiled : await this.predictors.trainingRuns(key, body.studies ?? null, body.includeFlagged, false);
    const hostProbeNs = referenceHostProbe(runs);
    const variants = measuredVariants(runs, kind === 'kernels' ? await this.predictors.kernels(runs.map((r) => r.runId)) : [], hostProbeNs);
    if (variants.length === 0) {
      throw LatfleetError.validation('device', `${device.name} has no ${flagged}runs of builder variants with ${key.runtime} at optimization ${key.optimization}`);
    }
    const trained = await this.trainer.train(variants, body.folds, DEFAULT_KERNEL_MODEL, kind);
    return this.predictors.create({
      ...key,
      training: {
        studies: [...new Set(runs.map((r) => r.studyId))],
        variants: variants.length,
        runs: runs.length,
        families: [...new Set(variants.map((v) => v.family))].sort(),
        includeFlagged: body.includeFlagged,
        format: runs[0]!.format,
        model: kind,
        // predictions are at this host speed (the median host probe of the training runs)
        hostProbeNs,
        // a kernel predictor's answer is blended with a layer-sum one at this weight (chosen by its cross-validation)
        ...(kind === 'kernels' ? { kernelModel: DEFAULT_KERNEL_MODEL, blendWeight: (trained.model as PredictorModel).blend?.weight ?? 0 } : {}),
      },
      validation: trained.accuracy as unknown as Record<string, unknown> | null,
      heldOut: trained.heldOut,
      model: trained.model as unknown as Record<string, unknown>,
    });
  }

  async list(q: PredictorListQuery): Promise<PredictorSummary[]> {
    const device = q.device === undefined ? null : await this.device(q.device);
    return this.predictors.list(device?.id ?? null);
  }

  private async load(id: string): Promise<LatencyPredictor> {
    const hit = this.loaded.get(id);
    if (hit) return hit;
    const model = (await this.predictors.model(id)) as unknown as AnyPredictorModel;
    if (model.formatVersion !== PREDICTOR_FORMAT) {
      throw LatfleetError.validation(
        'devices',
        `predictor ${id} was stored by an older latfleet (format ${model.formatVersion}, now ${PREDICTOR_FORMAT}): train a new one (POST /api/v1/predictors)`,
      );
    }
    const predictor = predictorOf(model);
    this.loaded.set(id, predictor);
    return predictor;
  }

  /** Each variant on each device's latest predictor: median, interval, per-layer breakdown, and the predictor's validation beside it. */
  async predict(body: PredictionBody): Promise<{ predictions: PredictedVariant[] }> {
    const described = body.variants.map((name, i) => {
      try {
        return describeVariant(name);
      } catch (err) {
        throw LatfleetError.validation(`variants.${i}`, (err as Error).message);
      }
    });
    const deviceIds = body.devices ? await Promise.all(body.devices.map(async (d) => (await this.device(d)).id)) : null;
    const predictors = await this.predictors.latest(deviceIds, body.format ?? null);
    const missing = (body.devices ?? []).filter((_, i) => !predictors.some((p) => p.deviceId === deviceIds![i]));
    const of = body.format ? ` ${body.format}` : '';
    const study = body.format === 'tflite' ? 'a calibrate-tflite study' : 'a calibrate study';
    if (missing.length) throw LatfleetError.validation('devices', `no${of} predictor for ${missing.join(', ')}: train one (POST /api/v1/predictors) after ${study}`);
    if (predictors.length === 0) throw LatfleetError.validation('devices', `no device has a${of} predictor yet: train one (POST /api/v1/predictors) after ${study}`);
    const predictions: PredictedVariant[] = [];
    for (const summary of predictors) {
      const predictor = await this.load(summary.id);
      const live = await this.liveLevelOf(summary);
      // at the device's level now (the runs since training), unless asked for the trained level
      const f = body.level === 'live' && live.applied ? live.factor : 1;
      const about = {
        id: summary.id,
        version: summary.version,
        runtime: summary.runtime,
        optimization: summary.optimization,
        format: summary.format,
        kind: summary.kind,
        validation: summary.validation,
        createdAt: summary.createdAt,
        live,
      };
      for (const d of described) {
        const p = predictor.predict(d);
        predictions.push({
          variant: d.name,
          device: summary.device,
          predicted: true,
          medianMs: nsToMs(f * p.medianNs),
          intervalLowMs: nsToMs(f * p.intervalLowNs),
          intervalHighMs: nsToMs(f * p.intervalHighNs),
          kernelSumMs: nsToMs(f * p.kernelSumNs),
          overheadMs: nsToMs(f * p.overheadNs),
          outOfRange: p.outOfRange,
          predictor: about,
          ...(body.layers
            ? {
                layers: p.layers.map((l) => ({
                  layer: l.layer,
                  predictedMs: nsToMs(f * l.predictedNs, 4),
                  kernels: l.kernels.map((k) => ({ opType: k.opType, predictedMs: nsToMs(f * k.predictedNs, 4) })),
                })),
              }
            : {}),
        });
      }
    }
    return { predictions };
  }

  /** How a predictor does on the device's runs since it was trained, and the level they show (its newest LIVE_LEVEL_RUNS runs). */
  private async liveLevelOf(summary: PredictorSummary): Promise<LiveLevel> {
    const runs = await this.predictors.runsSince(summary, summary.createdAt, LIVE_LEVEL_RUNS);
    const ids = runs.map((r) => r.runId).join(',');
    const known = this.live.get(summary.id);
    if (known?.runs === ids) return known.live;
    const predictor = await this.load(summary.id);
    const measured = runs.flatMap((r) => {
      try {
        return [{ measuredNs: r.medianNs, predictedNs: predictor.predict(describeVariant(r.spec)).medianNs }];
      } catch (err) {
        // a model the builder can no longer describe (a removed knob) has no prediction to compare
        if (err instanceof ModelSpecError) return [];
        throw err;
      }
    });
    const live = liveLevel(measured);
    this.live.set(summary.id, { runs: ids, live });
    return live;
  }

  /** The live level and error of every device's latest predictor of each format (what the Prometheus gauges show). */
  async liveLevels(): Promise<Array<{ device: string; runtime: string; optimization: string; live: LiveLevel }>> {
    const out = [];
    for (const summary of await this.predictors.latest(null, null, true)) {
      let live: LiveLevel;
      try {
        live = await this.liveLevelOf(summary);
      } catch (err) {
        if (err instanceof LatfleetError) continue; // stored by an older latfleet: no live figures until retrained
        throw err;
      }
      out.push({ device: summary.device, runtime: summary.runtime, optimization: summary.optimization, live });
    }
    return out;
  }

  /**
   * MnasNet (Tan et al. 2019) with predicted latency: each variant's reward ACC · (LAT/T)^w from the
   * device's latest predictor, marked as predicted and with the reward over the prediction's interval,
   * ranked best first (variants without an accuracy last, unranked).
   */
  async predictedReward(input: PredictedRewardInput): Promise<PredictedReward> {
    const exponents = { ...REWARD_EXPONENTS[input.constraint] };
    if (input.alpha !== undefined) exponents.alpha = input.alpha;
    if (input.beta !== undefined) exponents.beta = input.beta;
    const { predictions } = await this.predict({
      variants: input.variants.map((v) => v.name),
      devices: [input.device],
      layers: false,
      level: 'live',
      ...(input.format ? { format: input.format } : {}),
    });
    const stored = await this.predictors.top1ByModelName(predictions.map((p) => p.variant));
    const rows = predictions.map((p, i): PredictedRewardRow => {
      const given = input.variants[i]!.top1;
      const top1 = given ?? stored.get(p.variant) ?? null;
      const base = {
        rank: null,
        variant: p.variant,
        top1,
        accuracySource: given !== undefined ? ('given' as const) : top1 !== null ? ('stored' as const) : null,
        outOfRange: p.outOfRange,
      };
      if (top1 === null) return { ...base, latencyMs: p.medianMs, latencySource: 'predicted' };
      const scored = sourcedReward(top1 / 100, { ms: p.medianMs, source: 'predicted', intervalMs: { low: p.intervalLowMs, high: p.intervalHighMs } }, input.targetMs, exponents);
      return { ...base, ...scored, latencySource: 'predicted' };
    });
    const ranked = rows.filter((r) => r.reward !== undefined).sort((a, b) => b.reward! - a.reward! || a.latencyMs - b.latencyMs);
    ranked.forEach((r, i) => (r.rank = i + 1));
    return {
      device: predictions[0]?.device ?? input.device,
      targetMs: input.targetMs,
      constraint: input.constraint,
      ...exponents,
      predictor: predictions[0]!.predictor,
      rows: [...ranked, ...rows.filter((r) => r.reward === undefined)],
    };
  }

  async studyPredicted(studyId: string): Promise<StudyPredictedVsMeasured> {
    const study = await this.predictors.studyPredictions(studyId);
    if (!study) throw LatfleetError.notFound('study', studyId);
    const p = study.predicted as {
      select: string;
      k: number;
      device: string;
      predictorId: string;
      predictorVersion: number;
      validation: Record<string, unknown> | null;
      variants: Array<{ label: string; name: string; predictedMs: number; intervalLowMs: number; intervalHighMs: number; measured: boolean }>;
    } | null;
    if (!p) throw LatfleetError.validation('id', `study ${study.name} was not created with \`measure\`: it has no predictions`);
    const measured = new Map((await this.predictors.studyMeasured(studyId)).map((m) => [m.label, m]));
    return {
      study: study.name,
      select: p.select,
      k: p.k,
      device: p.device,
      predictor: { id: p.predictorId, version: p.predictorVersion, validation: p.validation },
      rows: p.variants.map((v) => {
        const m = measured.get(v.label);
        const measuredMs = m ? nsToMs(m.medianNs) : null;
        return {
          label: v.label,
          name: v.name,
          predictedMs: v.predictedMs,
          intervalLowMs: v.intervalLowMs,
          intervalHighMs: v.intervalHighMs,
          measured: v.measured,
          measuredMs,
          runs: m?.runs ?? 0,
          flaggedRuns: m?.flaggedRuns ?? 0,
          errorPct: measuredMs ? Math.round(((v.predictedMs - measuredMs) / measuredMs) * 1e4) / 1e2 : null,
        };
      }),
    };
  }
}
