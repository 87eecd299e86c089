// (b) Repeatability: the runner, five times over, on one model; how much its median moves between runs.
import { machine, meanStd, ms, never, noProgress, pct, runner, variantJob, waitForQuiet } from './bench-support.mjs';

const VARIANT = process.env.BENCH_VARIANT ?? 'mobilenetv3-large-1.0';
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

const PROTOCOLS = [
  {
    name: 'default',
    description: 'the default protocol: 10 warm-up runs and ≥ 0.5 s, exactly 100 timed runs',
    protocol: { warmupRuns: 10, timedRuns: 100, profiledRuns: 0, graphOptimizationLevel: 'all' },
  },
  {
    name: 'longer',
    description: 'timed runs for ≥ 2 s, then until the median’s 95% CI is within ±0.5% (cap 3000 runs)',
    protocol: { warmupRuns: 10, timedRuns: 100, timedMinSeconds: 2, targetCiFraction: 0.005, timedMaxRuns: 3000, profiledRuns: 0, graphOptimizationLevel: 'all' },
  },
];

export async function repeatability() {
  const { job, cleanup } = variantJob(VARIANT, {});
  const sut = runner();
  const results = [];
  try {
    for (const p of PROTOCOLS) {
      const runs = [];
      for (let i = 0; i < REPEATS; i++) {
        // "on an idle core": each repeat waits for the machine to be quiet, as the whole benchmark does
        const quiet = await waitForQuiet(Number(process.env.BENCH_QUIET_LOAD ?? 1), Number(process.env.BENCH_QUIET_WAIT_S ?? 300));
        const result = await sut.run(job(p.protocol), noProgress, never);
        const t = result.report.timed;
        const kept = result.report.attempts.at(-1);
        runs.push({
          load: quiet.loadAverage1m,
          medianNs: t.median,
          minNs: t.min,
          count: t.count,
          stopReason: kept.timed.stopReason,
          ci: t.medianCi,
          cv: t.cv,
          attempts: result.report.attempts.length,
          flags: result.report.quality.flags,
          cpuShare: result.report.quality.cpuShare,
          others: result.report.quality.otherBusyCpus,
          relativeMad: result.report.quality.relativeMad,
        });
      }
      results.push({ ...p, runs, medians: meanStd(runs.map((r) => r.medianNs)), mins: meanStd(runs.map((r) => r.minNs)) });
    }
  } finally {
    cleanup();
  }
  return { variant: VARIANT, results };
}

export function repeatabilityMarkdown(r) {
  const lines = [`Variant \`${r.variant}\`, level \`all\`, profiled runs off, up to 2 retries (5 s apart) of a flagged attempt; ${REPEATS} runner runs per protocol in one process, each started once the 1-minute load average was below the threshold above.`];
  for (const p of r.results) {
    lines.push(
      '',
      `Protocol **${p.name}**: ${p.description}.`,
      '',
      '| run | load before | timed runs | stop | median (ms) | 95% CI of the median (ms) | min (ms) | CV within the run | MAD / median | attempts | CPU share | other work (CPUs) | flags of the kept attempt |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...p.runs.map(
        (x, i) =>
          `| ${i + 1} | ${x.load.toFixed(2)} | ${x.count} | ${x.stopReason} | ${ms(x.medianNs)} | ${ms(x.ci.low)} – ${ms(x.ci.high)} | ${ms(x.minNs)} | ${pct(x.cv)} | ${pct(x.relativeMad)} | ${x.attempts} | ${x.cpuShare?.toFixed(3) ?? '—'} | ${x.others?.toFixed(2) ?? '—'} | ${x.flags.join(', ') || '—'} |`,
      ),
      '',
      `Coefficient of variation of the ${REPEATS} medians: **${pct(p.medians.cv)}** (mean ${ms(p.medians.mean)} ms, std ${ms(p.medians.std)} ms; target ≤ 2%); of the ${REPEATS} minimums: ${pct(p.mins.cv)}. Runs the runner flagged: ${p.runs.filter((x) => x.flags.length).length} of ${REPEATS}.`,
    );
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(machine());
  console.log(repeatabilityMarkdown(await repeatability()));
}
