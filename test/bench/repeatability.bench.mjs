// (b) Repeatability: the runner, five times over, default protocol; how much its median moves.
import { machine, meanStd, ms, never, noProgress, pct, runner, variantJob, waitForQuiet } from './bench-support.mjs';

const VARIANT = process.env.BENCH_VARIANT ?? 'mobilenetv3-large-1.0';
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

export async function repeatability() {
  // the default protocol (DEFAULT_PROTOCOL), profiled runs off: only the timed median is compared
  const { job, cleanup } = variantJob(VARIANT, { warmupRuns: 10, timedRuns: 100, profiledRuns: 0, graphOptimizationLevel: 'all' });
  const sut = runner();
  const runs = [];
  try {
    for (let i = 0; i < REPEATS; i++) {
      // "on an idle core": each repeat waits for the machine to be quiet, as the whole benchmark does
      const quiet = await waitForQuiet(Number(process.env.BENCH_QUIET_LOAD ?? 1), Number(process.env.BENCH_QUIET_WAIT_S ?? 300));
      const result = await sut.run(job(), noProgress, never);
      const t = result.report.timed;
      runs.push({ load: quiet.loadAverage1m, medianNs: t.median, ci: t.medianCi, cv: t.cv, attempts: result.report.attempts.length, flags: result.report.quality.flags, cpuShare: result.report.quality.cpuShare });
    }
  } finally {
    cleanup();
  }
  return { variant: VARIANT, runs, across: meanStd(runs.map((r) => r.medianNs)) };
}

export function repeatabilityMarkdown(r) {
  return [
    `Variant \`${r.variant}\`, default protocol (10 warm-up runs and ≥ 0.5 s, 100 timed runs, level \`all\`; up to 2 retries of a flagged attempt), profiled runs off, ${REPEATS} runner runs in one process, each started once the 1-minute load average was below the threshold above.`,
    '',
    '| run | load before | median (ms) | 95% CI of the median (ms) | CV within the run | attempts | CPU share | flags of the kept attempt |',
    '|---|---|---|---|---|---|---|---|',
    ...r.runs.map((x, i) => `| ${i + 1} | ${x.load.toFixed(2)} | ${ms(x.medianNs)} | ${ms(x.ci.low)} – ${ms(x.ci.high)} | ${pct(x.cv)} | ${x.attempts} | ${x.cpuShare?.toFixed(3) ?? '—'} | ${x.flags.join(', ') || '—'} |`),
    '',
    `Coefficient of variation of the ${REPEATS} medians: **${pct(r.across.cv)}** (mean ${ms(r.across.mean)} ms, std ${ms(r.across.std)} ms; target ≤ 2%). Runs the runner flagged (busy or throttled after its retries): ${r.runs.filter((x) => x.flags.length).length} of ${REPEATS}.`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(machine());
  console.log(repeatabilityMarkdown(await repeatability()));
}
