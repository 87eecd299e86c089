// (b) Repeatability: the runner, five times over, default protocol; how much its median moves.
import { machine, meanStd, ms, never, noProgress, pct, runner, variantJob } from './bench-support.mjs';

const VARIANT = process.env.BENCH_VARIANT ?? 'mobilenetv3-large-1.0';
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

export async function repeatability() {
  // the default protocol (DEFAULT_PROTOCOL), profiled runs off: only the timed median is compared
  const { job, cleanup } = variantJob(VARIANT, { warmupRuns: 10, timedRuns: 100, profiledRuns: 0, graphOptimizationLevel: 'all' });
  const sut = runner();
  const runs = [];
  try {
    for (let i = 0; i < REPEATS; i++) {
      const result = await sut.run(job(), noProgress, never);
      const t = result.report.timed;
      runs.push({ medianNs: t.median, ci: t.medianCi, cv: t.cv, attempts: result.report.attempts.length, flags: result.report.quality.flags, cpuShare: result.report.quality.cpuShare });
    }
  } finally {
    cleanup();
  }
  return { variant: VARIANT, runs, across: meanStd(runs.map((r) => r.medianNs)) };
}

export function repeatabilityMarkdown(r) {
  return [
    `Variant \`${r.variant}\`, default protocol (10 warm-up runs and ≥ 0.5 s, 100 timed runs, level \`all\`), profiled runs off, ${REPEATS} runner runs back to back in one process.`,
    '',
    '| run | median (ms) | 95% CI of the median (ms) | CV within the run | attempts | CPU share | flags |',
    '|---|---|---|---|---|---|---|',
    ...r.runs.map((x, i) => `| ${i + 1} | ${ms(x.medianNs)} | ${ms(x.ci.low)} – ${ms(x.ci.high)} | ${pct(x.cv)} | ${x.attempts} | ${x.cpuShare?.toFixed(3) ?? '—'} | ${x.flags.join(', ') || '—'} |`),
    '',
    `Coefficient of variation of the ${REPEATS} medians: **${pct(r.across.cv)}** (mean ${ms(r.across.mean)} ms, std ${ms(r.across.std)} ms; target ≤ 2%).`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(machine());
  console.log(repeatabilityMarkdown(await repeatability()));
}
