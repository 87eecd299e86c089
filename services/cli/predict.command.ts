import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { type PredictedRewardAnswer, type PredictedVariant, type PredictorSummary, recordsToCsv } from '../query/contract.js';
import type { ApiClient } from './api.client.js';
import { compactTable, type Format } from './render.js';

interface PredictOptions {
  url?: string;
  device?: string[];
  from?: string;
  train?: boolean;
  includeFlagged?: boolean;
  format: Format;
  json?: boolean;
  trainedLevel?: boolean;
  rewardTarget?: string;
  hard?: boolean;
  modelFormat?: 'onnx' | 'tflite';
  model?: 'kernels' | 'layer-sum';
}

const pct = (v: unknown, digits = 1) => (typeof v === 'number' ? `${v.toFixed(digits)}%` : '—');

/**
 * `vm-cpu v3 (onnxruntime-node 1.30.0, all): on 24 held-out variants 95.8% within ±10%, 70.8% within ±5%, RMSPE 4.1%, ρ 0.991`;
 * a layer-sum predictor says so: `vm-cpu v1 tflite (@litertjs/core …; layer-sum, from end-to-end times): …`
 */
export function describePredictor(device: string, p: Pick<PredictorSummary, 'version' | 'runtime' | 'optimization' | 'validation' | 'format' | 'kind'>): string {
  const v = p.validation as Record<string, number | null> | null;
  const accuracy = v
    ? `on ${v.heldOutVariants} held-out variants ${pct(v.within10Pct)} within ±10%, ${pct(v.within5Pct)} within ±5%, RMSPE ${pct(v.rmspePct)}, ρ ${typeof v.spearmanRho === 'number' ? v.spearmanRho.toFixed(3) : '—'}`
    : 'not validated (fewer than 2 variants)';
  const how = p.kind === 'layer-sum' ? `${p.format} (${p.runtime}; layer-sum, from end-to-end times)` : `(${p.runtime}, ${p.optimization})`;
  return `${device} v${p.version} ${how}: ${accuracy}`;
}

/** `at the device's level now: ×1.057 from 20 runs since training (trained predictor: median error −5.4%, 35% within ±5%, 70% within ±10%)` */
export function describeLive(live: PredictedVariant['predictor']['live']): string {
  if (live.runs === 0) return 'at the level of its calibration: no run measured since it was trained';
  const trained = `trained predictor on them: median error ${pct(live.medianErrorPct)}, ${pct(live.within5Pct, 0)} within ±5%, ${pct(live.within10Pct, 0)} within ±10%`;
  return live.applied
    ? `at the device's level now: ×${live.factor.toFixed(3)} from ${live.runs} runs since training (${trained})`
    : `at the level of its calibration: ${live.runs} runs since training, too few to follow (${trained})`;
}

export function renderPredictions(predictions: readonly PredictedVariant[], format: Format): string {
  if (format === 'json') return JSON.stringify({ predictions }, null, 2) + '\n';
  if (format === 'csv') {
    return recordsToCsv(
      predictions.map((p) => ({
        variant: p.variant,
        device: p.device,
        medianMs: p.medianMs,
        intervalLowMs: p.intervalLowMs,
        intervalHighMs: p.intervalHighMs,
        kernelSumMs: p.kernelSumMs,
        overheadMs: p.overheadMs,
        outOfRange: p.outOfRange,
        predictorId: p.predictor.id,
        predictorVersion: p.predictor.version,
        levelFactor: p.predictor.live.applied ? p.predictor.live.factor : 1,
      })),
    );
  }
  const table = compactTable(['variant', 'device', 'predicted ms [95% interval]', 'Σ layers ms', 'overhead ms', 'range'], ['left', 'left', 'right', 'right', 'right', 'left']);
  for (const p of predictions) {
    table.push([
      p.variant,
      p.device,
      `${p.medianMs.toFixed(2)} [${p.intervalLowMs.toFixed(2)}, ${p.intervalHighMs.toFixed(2)}]`,
      p.kernelSumMs.toFixed(2),
      p.overheadMs.toFixed(2),
      p.outOfRange.length ? `outside (${p.outOfRange.length})` : 'inside',
    ]);
  }
  const predictors = new Map(predictions.map((p) => [p.predictor.id, `${describePredictor(p.device, p.predictor)}\n    ${describeLive(p.predictor.live)}`]));
  const outside = predictions.filter((p) => p.outOfRange.length);
  const notes = [
    'predicted, not measured; predictor:',
    ...[...predictors.values()].map((d) => `  ${d}`),
    ...outside.slice(0, 5).map((p) => `outside the training range: ${p.variant} on ${p.device}: ${p.outOfRange.slice(0, 3).join('; ')}${p.outOfRange.length > 3 ? '; …' : ''}`),
    ...(outside.length > 5 ? [`… and ${outside.length - 5} more outside the training range (--json for all)`] : []),
  ];
  return `${table.toString()}\n${notes.join('\n')}\n`;
}

/** The MnasNet reward ranking of predicted latencies: best first, the unranked (no accuracy) last. */
export function renderReward(answer: PredictedRewardAnswer, format: Format): string {
  if (format === 'json') return JSON.stringify(answer, null, 2) + '\n';
  const rows = answer.rows.map((r) => ({
    rank: r.rank,
    variant: r.variant,
    top1: r.top1,
    accuracySource: r.accuracySource,
    predictedMs: r.latencyMs,
    reward: r.reward ?? null,
    rewardLow: r.rewardRange?.low ?? null,
    rewardHigh: r.rewardRange?.high ?? null,
    withinTarget: r.withinTarget ?? null,
    outOfRange: r.outOfRange,
  }));
  if (format === 'csv') return recordsToCsv(rows);
  const table = compactTable(['rank', 'variant', 'top-1 %', 'predicted ms', 'reward [over the interval]', 'within T'], ['right', 'left', 'right', 'right', 'right', 'left']);
  for (const r of rows) {
    table.push([
      r.rank ?? '—',
      r.variant,
      r.top1 === null ? '—' : `${r.top1.toFixed(1)}${r.accuracySource === 'stored' ? ' (stored)' : ''}`,
      r.predictedMs.toFixed(2),
      r.reward === null ? '—' : `${r.reward.toFixed(4)}${r.rewardLow !== null && r.rewardHigh !== null ? ` [${r.rewardLow.toFixed(4)}, ${r.rewardHigh.toFixed(4)}]` : ''}`,
      r.withinTarget === null ? '—' : r.withinTarget ? 'yes' : 'no',
    ]);
  }
  const unranked = rows.filter((r) => r.rank === null).length;
  const notes = [
    `MnasNet reward ACC·(LAT/T)^w, T = ${answer.targetMs} ms, ${answer.constraint} (α = ${answer.alpha}, β = ${answer.beta}); every latency predicted, not measured; predictor:`,
    `  ${describePredictor(answer.device, answer.predictor)}`,
    `    ${describeLive(answer.predictor.live)}`,
    ...(unranked ? [`${unranked} without a top-1 stored for their name (POST /api/v1/accuracies), listed last, unranked`] : []),
  ];
  return `${table.toString()}\n${notes.join('\n')}\n`;
}

/** `latfleet predict VARIANT… [-d DEVICE…] [--from FILE] [--train]`: latency predicted from the devices' per-layer tables. */
export function registerPredictCommand(program: Command, api: (opts: { url?: string }) => ApiClient): void {
  program
    .command('predict [variants...]')
    .description(
      'predicted single-threaded latency of variants on devices, from predictors learned from the fleet’s per-layer tables ' +
        '(run the `calibrate` study on a device, or `calibrate-tflite` on a TFLite one, then `predict --train -d DEVICE`); each answer carries its interval and the predictor’s held-out accuracy',
    )
    .option('--url <url>', 'query service URL')
    .option('-d, --device <device>', 'a device name or id; repeat for more (default: every device with a predictor)', (d: string, all: string[] = []) => [...all, d])
    .option('--from <file>', 'read variant names from a file, one per line')
    .option('--train', 'first train a new predictor version for each --device from its stored runs')
    .option('--include-flagged', 'with --train: learn from flagged runs too')
    .addOption(
      new Option(
        '--model <kind>',
        'with --train: kernels (per runtime kernel, from profiled runs) or layer-sum (per-layer rates from end-to-end times; the default for runs without per-layer timings, e.g. LiteRT)',
      ).choices(['kernels', 'layer-sum']),
    )
    .addOption(
      new Option(
        '--model-format <format>',
        'the model format to predict (and with --train, to learn from): a device running both has a predictor for each (default: its latest)',
      ).choices(['onnx', 'tflite']),
    )
    .option(
      '--reward-target <ms>',
      'rank the variants by the MnasNet reward ACC·(LAT/T)^w of their predicted latency against this target T (top-1 from the accuracies stored for each name); needs one --device',
    )
    .option('--hard', "with --reward-target: MnasNet's hard constraint (α = 0, β = −1) instead of the soft one (α = β = −0.07)")
    .option('--trained-level', "predict at the device's speed during calibration, not at its level now (the runs since training)")
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .option('--json', 'the whole answer as JSON (same as --format json)')
    .action(async (names: string[], opts: PredictOptions) => {
      const client = api(opts);
      const variants = [
        ...names,
        ...(opts.from
          ? readFileSync(opts.from, 'utf8')
              .split('\n')
              .map((l) => l.trim())
              .filter((l) => l && !l.startsWith('#'))
          : []),
      ];
      if (opts.train) {
        if (!opts.device?.length) throw new Error('--train needs --device: which device’s runs to learn from');
        for (const device of opts.device) {
          const p = await client.trainPredictor({
            device,
            includeFlagged: opts.includeFlagged ?? false,
            ...(opts.model ? { model: opts.model } : {}),
            ...(opts.modelFormat ? { format: opts.modelFormat } : {}),
          });
          process.stderr.write(`trained ${describePredictor(p.device, p)}; from ${String(p.training['variants'])} variants, ${String(p.training['runs'])} runs\n`);
        }
      }
      if (variants.length === 0) {
        if (!opts.train) throw new Error('name at least one variant (or --from FILE)');
        return;
      }
      const format = opts.json ? 'json' : opts.format;
      if (opts.rewardTarget !== undefined) {
        const targetMs = Number(opts.rewardTarget);
        if (!(targetMs > 0)) throw new Error(`--reward-target ${opts.rewardTarget}: expected a latency target in milliseconds, above 0`);
        if (opts.device?.length !== 1) throw new Error('--reward-target needs exactly one --device: whose predicted latency to rank by');
        const answer = await client.predictedReward({
          variants,
          device: opts.device[0]!,
          targetMs,
          constraint: opts.hard ? 'hard' : 'soft',
          ...(opts.modelFormat ? { format: opts.modelFormat } : {}),
        });
        process.stdout.write(renderReward(answer, format));
        return;
      }
      const { predictions } = await client.predict({
        variants,
        ...(opts.device ? { devices: opts.device } : {}),
        layers: (opts.json ? 'json' : opts.format) === 'json',
        level: opts.trainedLevel ? 'trained' : 'live',
        ...(opts.modelFormat ? { format: opts.modelFormat } : {}),
      });
      process.stdout.write(renderPredictions(predictions, opts.json ? 'json' : opts.format));
    });
}
