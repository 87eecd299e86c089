// (c) Per-layer sum against end-to-end medians, default protocol (level `all`), plus the other levels.
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
        const a = r.attribution;
        const sum = (field) => a.byLayer.reduce((s, g) => s + g[field], 0);
        rows.push({
          variant,
          level,
          timedMedianNs: r.timed.median,
          profiledMedianNs: r.profiled.median,
          profileRunMedianNs: a.profileRunMedianNs,
          accountedRunMedianNs: a.accountedRunMedianNs,
          layerSumNs: sum('kernelMedianNs'),
          layerSumWithOverheadNs: sum('totalMedianNs'),
          sessionOverheadNs: a.sessionOverheadMedianNs,
          toProfiled: a.layerSumToProfiledMedian,
          toProfileRun: a.layerSumToProfileRunMedian,
          toTimed: a.layerSumToTimedMedian,
          withOverheadToProfiled: a.layerSumWithOverheadToProfiledMedian,
          withOverheadToProfileRun: a.layerSumWithOverheadToProfileRunMedian,
          withOverheadToTimed: a.layerSumWithOverheadToTimedMedian,
          unattributed: a.unattributedShare,
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
  const r3 = (x) => (x === null || x === undefined ? '—' : x.toFixed(3));
  return [
    'Default protocol (10 warm-up runs and ≥ 0.5 s, 100 timed runs, 20 profiled runs after 5 unrecorded ones) at each level; `all` is the default.',
    'Per-layer tables are medians over the profiled runs, unattributed bucket included. **Kernel only**: each layer\'s `kernel_time`. **With overhead**: each layer\'s kernels plus the executor\'s time between them charged to the node that follows (fences, allocation, input/output bookkeeping, the profiler\'s own recording), plus the `(session)` bucket: the part of each `model_run` before the first node and after the last. Per run, the with-overhead table adds up to `model_run` by construction (column *accounted*, the median of those per-run sums, against *model_run*); the sum of per-layer medians differs from it only as medians of parts differ from the median of the whole.',
    'Profiled median: wall time of the profiled runs around `session.run`; model_run median: the same runs as ONNX Runtime times them; timed median: the runs with profiling off.',
    '',
    '| variant | level | timed median (ms) | profiled median (ms) | model_run median (ms) | accounted (ms) | layer sum, kernel (ms) | session (ms) | layer sum with overhead (ms) | kernel / profiled | kernel / model_run | kernel / timed | with overhead / profiled | with overhead / model_run | with overhead / timed | unattributed | flags |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (x) =>
        `| ${x.variant} | ${x.level} | ${ms(x.timedMedianNs)} | ${ms(x.profiledMedianNs)} | ${ms(x.profileRunMedianNs)} | ${ms(x.accountedRunMedianNs)} | ${ms(x.layerSumNs)} | ${ms(x.sessionOverheadNs)} | ${ms(x.layerSumWithOverheadNs)} | ${r3(x.toProfiled)} | ${r3(x.toProfileRun)} | ${r3(x.toTimed)} | **${r3(x.withOverheadToProfiled)}** | ${r3(x.withOverheadToProfileRun)} | ${r3(x.withOverheadToTimed)} | ${(x.unattributed * 100).toFixed(2)}% | ${x.flags.join(', ') || '—'} |`,
    ),
    '',
    'What separates kernel time from the runs (ONNX Runtime\'s profiler, onnxruntime/core/framework/session_scope.cc, KernelScopeImpl): between two kernels the sequential executor releases and allocates buffers, binds inputs and outputs and, with profiling on, stores each node\'s trace events; onnxruntime-node 1.30 writes only `kernel_time` events (no fences), so that time shows as gaps between kernels, and the with-overhead table charges each gap to the node after it. What remains between *with overhead* and the profiled median lies outside `model_run`: the Node binding\'s call (feeds in, outputs out). The `kernel_time` span itself starts before the profiler formats the input shapes and ends after it formats the output shapes (durations are whole microseconds, truncated: the truncation lands in the overhead); so the kernels of a profiled run take longer than the same kernels unprofiled, most visibly where kernels are small (int8, many Quantize/Dequantize nodes), and the ratios against the timed median differ from those against the profiled one by the profiling overhead. Per-layer shares therefore come from the profile and absolute per-layer estimates from share × timed median (`apportion` in services/lib/measure/aggregation.ts, kernel-only or with overhead).',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(machine());
  console.log(layerSumMarkdown(await layerSum()));
}
