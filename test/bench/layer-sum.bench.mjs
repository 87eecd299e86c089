// (c) Per-layer sum against end-to-end medians, default protocol (level `all`), plus the other levels.
import { breakdownBy, byLayer } from '../../dist/lib/measure/index.js';
import { machine, ms, never, noProgress, runner, variantJob } from './bench-support.mjs';

const VARIANTS = (process.env.BENCH_VARIANTS ?? 'mobilenetv3-large-1.0,mobilenetv3-large-1.0+quant=int8-per-channel,efficientnet-b0').split(',');
const LEVELS = ['all', 'extended', 'basic', 'disabled'];

export async function layerSum() {
  const sut = runner();
  const rows = [];
  for (const variant of VARIANTS) {
    const { job, cleanup } = variantJob(variant, {});
    try {
      for (const level of LEVELS) {
        // the default protocol but for the level
        const result = await sut.run(job({ graphOptimizationLevel: level }), noProgress, never);
        const r = result.report;
        const breakdown = breakdownBy(result.layers, byLayer);
        rows.push({
          variant,
          level,
          timedMedianNs: r.timed.median,
          profiledMedianNs: r.profiled.median,
          layerSumNs: breakdown.sumOfMediansNs,
          toProfiled: r.attribution.layerSumToProfiledMedian,
          toProfileRun: r.attribution.layerSumToProfileRunMedian,
          toTimed: r.attribution.layerSumToTimedMedian,
          unattributed: r.attribution.unattributedShare,
          source: r.attribution.source,
          flags: r.quality.flags,
        });
      }
    } finally {
      cleanup();
    }
  }
  return rows;
}

export function layerSumMarkdown(rows) {
  return [
    'Default protocol (10 warm-up runs and ≥ 0.5 s, 100 timed runs, 20 profiled runs after 5 unrecorded ones) at each level; `all` is the default.',
    'Layer sum = sum over layers of the per-layer median (over profiled runs) of kernel time, unattributed bucket included.',
    'Profiled median: wall time of the profiled runs around `session.run`; model_run median: the same runs as ONNX Runtime times them; timed median: the runs with profiling off.',
    '',
    '| variant | level | timed median (ms) | profiled median (ms) | layer sum (ms) | sum / profiled median | sum / model_run median | sum / timed median | unattributed | flags |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (x) =>
        `| ${x.variant} | ${x.level} | ${ms(x.timedMedianNs)} | ${ms(x.profiledMedianNs)} | ${ms(x.layerSumNs)} | ${x.toProfiled.toFixed(3)} | ${x.toProfileRun.toFixed(3)} | ${x.toTimed.toFixed(3)} | ${(x.unattributed * 100).toFixed(2)}% | ${x.flags.join(', ') || '—'} |`,
    ),
    '',
    'What separates the three ratios (ONNX Runtime\'s profiler, onnxruntime/core/framework/session_scope.cc, KernelScopeImpl): with profiling on, every kernel also records a `fence_before` and a `fence_after` event and the executor stores three trace events per kernel; that time lies between kernels and belongs to none, so the layer sum stays below the profiled runs. The `kernel_time` span itself starts before the profiler formats the input shapes and ends after it formats the output shapes (durations are whole microseconds, truncated); so the kernels of a profiled run take longer than the same kernels unprofiled, most visibly where kernels are small (int8, many Quantize/Dequantize nodes). Per-layer shares therefore come from the profile and absolute per-layer estimates from share × timed median (`apportion` in services/lib/measure/aggregation.ts).',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(machine());
  console.log(layerSumMarkdown(await layerSum()));
}
