// (b) Repeatability: the runner, five times over, on one model; how much its median moves between runs.
import { DEFAULT_PROTOCOL } from '../../dist/lib/measure/index.js';
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
        const attempts = result.report.attempts;
        const kept = attempts.find((a) => a.quality === result.report.quality) ?? attempts.at(-1);
        const attemptSeconds = attempts.reduce((s, a) => s + (new Date(a.finishedAt) - new Date(a.startedAt)) / 1000, 0);
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
          probeBeforeNs: kept.environmentBefore.hostProbeNs ?? null,
          probeAfterNs: kept.environmentAfter.hostProbeNs ?? null,
          hostSpeedChange: result.report.quality.hostSpeedChange,
          hostSlowdown: result.report.quality.hostSlowdown,
          attemptFlags: attempts.map((a) => a.quality.flags),
          probeShare: attempts.reduce((s, a) => s + a.hostProbeSeconds, 0) / attemptSeconds,
        });
      }
      const clean = runs.filter((r) => r.flags.length === 0);
      results.push({
        ...p,
        runs,
        medians: meanStd(runs.map((r) => r.medianNs)),
        mins: meanStd(runs.map((r) => r.minNs)),
        cleanMedians: clean.length >= 2 ? { n: clean.length, ...meanStd(clean.map((r) => r.medianNs)) } : { n: clean.length },
      });
    }
  } finally {
    cleanup();
  }
  return { variant: VARIANT, results };
}

export function repeatabilityMarkdown(r) {
  const p3 = (ns) => (ns ? (ns / 1e6).toFixed(3) : '—');
  const rel = (f) => (f === null || f === undefined ? '—' : pct(f, 1));
  const lines = [
    `Variant \`${r.variant}\`, level \`all\`, profiled runs off, up to 2 retries (5 s apart) of a flagged attempt; ${REPEATS} runner runs per protocol in one process, each started once the 1-minute load average was below the threshold above.`,
    `Host speed probe: a fixed reference workload (one MobileNet inverted-residual block at 112×112 in ONNX Runtime, fastest of 7 runs) timed just before and just after the timed runs; an attempt is flagged \`host-speed-changed\` when the two are more than ${pct(DEFAULT_PROTOCOL.maxHostSpeedChange, 0)} apart and \`host-slow\` when the slower is more than ${pct(DEFAULT_PROTOCOL.maxHostSlowdown, 0)} slower than the host's recent best (the second-fastest of the runner's last 32 probes, once it has 4; protocol \`maxHostSpeedChange\`, \`maxHostSlowdown\`); a flagged attempt is retried. Columns *probe* are the kept attempt's; *probe cost* is the probes' share of the run's wall time.`,
  ];
  for (const p of r.results) {
    lines.push(
      '',
      `Protocol **${p.name}**: ${p.description}.`,
      '',
      '| run | load before | timed runs | stop | median (ms) | 95% CI of the median (ms) | min (ms) | CV within the run | MAD / median | CPU share | other work (CPUs) | probe before / after (ms) | probe change | slower probe vs best | probe cost | flags of each attempt | flags of the kept attempt |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...p.runs.map(
        (x, i) =>
          `| ${i + 1} | ${x.load.toFixed(2)} | ${x.count} | ${x.stopReason} | ${ms(x.medianNs)} | ${ms(x.ci.low)} – ${ms(x.ci.high)} | ${ms(x.minNs)} | ${pct(x.cv)} | ${pct(x.relativeMad)} | ${x.cpuShare?.toFixed(3) ?? '—'} | ${x.others?.toFixed(2) ?? '—'} | ${p3(x.probeBeforeNs)} / ${p3(x.probeAfterNs)} | ${rel(x.hostSpeedChange)} | ${rel(x.hostSlowdown)} | ${pct(x.probeShare)} | ${x.attemptFlags.map((f) => f.join(', ') || '—').join(' → ')} | ${x.flags.join(', ') || '—'} |`,
      ),
      '',
      `Coefficient of variation of the ${REPEATS} medians: **${pct(p.medians.cv)}** (mean ${ms(p.medians.mean)} ms, std ${ms(p.medians.std)} ms; target ≤ 2%); of the ${REPEATS} minimums: ${pct(p.mins.cv)}. Runs the runner flagged: ${p.runs.filter((x) => x.flags.length).length} of ${REPEATS}` +
        (p.cleanMedians.n >= 2 ? `; CV of the medians of the ${p.cleanMedians.n} unflagged runs: ${pct(p.cleanMedians.cv)}.` : '.'),
    );
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(machine());
  console.log(repeatabilityMarkdown(await repeatability()));
}
