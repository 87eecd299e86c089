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
    '',
    '| variant | level | timed median (ms) | profiled median (ms) | layer sum (ms) | sum / profiled median | sum / model_run median | sum / timed median | unattributed | flags |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (x) =>
        `| ${x.variant} | ${x.level} | ${ms(x.timedMedianNs)} | ${ms(x.profiledMedianNs)} | ${ms(x.layerSumNs)} | ${x.toProfiled.toFixed(3)} | ${x.toProfileRun.toFixed(3)} | ${x.toTimed.toFixed(3)} | ${(x.unattributed * 100).toFixed(2)}% | ${x.flags.join(', ') || '—'} |`,
    ),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(machine());
  console.log(layerSumMarkdown(await layerSum()));
}
