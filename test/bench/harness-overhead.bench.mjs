// (a) Harness overhead: the runner's timed-run median against a bare `await session.run` loop on the
// same model, in the same process; which side runs first is drawn per round so drift favours neither.
import { DEFAULT_PROTOCOL, SeededRandom, systemClock, timedRuns } from '../../dist/lib/measure/index.js';
import { machine, median, meanStd, ms, never, noProgress, ort, pct, runner, runnerInput, SESSION_OPTIONS, variantJob } from './bench-support.mjs';

const VARIANT = process.env.BENCH_VARIANT ?? 'mobilenetv3-large-1.0';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const RUNS = Number(process.env.BENCH_RUNS ?? 300);
const WARMUP = 20;

export async function harnessOverhead() {
  const { built, job, cleanup } = variantJob(VARIANT, {
    warmupRuns: WARMUP, warmupMinSeconds: 0.5, timedRuns: RUNS, profiledRuns: 0, graphOptimizationLevel: 'all', maxRetries: 0,
  });
  const sut = runner();
  const feeds = { [built.inputName]: new ort.Tensor('float32', runnerInput(built.inputShape), built.inputShape) };
  const rounds = [];
  try {
    const order = new SeededRandom(2);
    const bareRound = async () => {
      // a session, the same warm-up, then the loop with nothing but the timer around each run
      const session = await ort.InferenceSession.create(job().modelPath, { ...SESSION_OPTIONS, graphOptimizationLevel: 'all' });
      const warmEnd = process.hrtime.bigint() + 500_000_000n;
      for (let i = 0; i < WARMUP || process.hrtime.bigint() < warmEnd; i++) await session.run(feeds);
      const bare = [];
      const loopStart = process.hrtime.bigint();
      for (let i = 0; i < RUNS; i++) {
        const t0 = process.hrtime.bigint();
        await session.run(feeds);
        bare.push(Number(process.hrtime.bigint() - t0));
      }
      const bareLoopMeanNs = Number(process.hrtime.bigint() - loopStart) / RUNS;
      await session.release();
      return { bareMedianNs: median(bare), bareLoopMeanNs };
    };
    const runnerRound = async () => {
      const result = await sut.run(job(), noProgress, never);
      return { runnerMedianNs: median(result.latenciesNs), runnerMeanNs: result.report.timed.mean, flags: result.report.quality.flags };
    };
    for (let r = 0; r < ROUNDS; r++) {
      const bareFirst = order.uniform() < 0.5;
      const first = await (bareFirst ? bareRound() : runnerRound());
      const second = await (bareFirst ? runnerRound() : bareRound());
      rounds.push({ ...first, ...second, bareFirst });
    }
  } finally {
    cleanup();
  }
  const ratios = rounds.map((r) => r.runnerMedianNs / r.bareMedianNs);
  const sameSessionResult = await sameSession(built, feeds);
  return { variant: VARIANT, rounds, medianRatio: median(ratios), ratios, pooled: meanStd(ratios), sameSession: sameSessionResult, loopCost: await loopCost() };
}

const NOOP_RUNS = 200_000;

/**
 * What the harness itself costs per run, measured where machine noise cannot hide it: both loops
 * around a run that does nothing (an already-resolved promise), wall time per iteration.
 */
async function loopCost() {
  const noop = () => Promise.resolve();
  const perIteration = async (loop) => {
    const t0 = process.hrtime.bigint();
    await loop();
    return Number(process.hrtime.bigint() - t0) / NOOP_RUNS;
  };
  const bare = async () => {
    const out = [];
    for (let i = 0; i < NOOP_RUNS; i++) {
      const t0 = process.hrtime.bigint();
      await noop();
      out.push(Number(process.hrtime.bigint() - t0));
    }
  };
  const harness = () => timedRuns(noop, { ...DEFAULT_PROTOCOL, timedRuns: NOOP_RUNS }, { clock: systemClock, signal: never, onProgress: () => undefined });
  const bareNs = [];
  const harnessNs = [];
  for (let i = 0; i < 5; i++) {
    bareNs.push(await perIteration(bare));
    harnessNs.push(await perIteration(harness));
  }
  return { bareNs: median(bareNs), harnessNs: median(harnessNs) };
}

const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 40);
const BLOCK_RUNS = 50;

/**
 * The runner's timed loop (`timedRuns`, with its progress callback, abort checks and bookkeeping)
 * against the bare loop on one session, in alternating blocks: no session-to-session difference.
 */
async function sameSession(built, feeds) {
  const session = await ort.InferenceSession.create(Buffer.from(built.onnx), { ...SESSION_OPTIONS, graphOptimizationLevel: 'all' });
  const warmEnd = process.hrtime.bigint() + 1_000_000_000n;
  while (process.hrtime.bigint() < warmEnd) await session.run(feeds);
  const bare = [];
  const loop = [];
  const protocol = { ...DEFAULT_PROTOCOL, timedRuns: BLOCK_RUNS };
  let progressCalls = 0;
  const order = new SeededRandom(1);
  const bareBlock = async () => {
    for (let i = 0; i < BLOCK_RUNS; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      bare.push(Number(process.hrtime.bigint() - t0));
    }
  };
  const loopBlock = async () => {
    const out = await timedRuns(() => session.run(feeds), protocol, { clock: systemClock, signal: never, onProgress: () => progressCalls++ });
    loop.push(...out.latenciesNs);
  };
  for (let b = 0; b < BLOCKS; b++) {
    // which side goes first is drawn per pair, so drift and bursts of other work favour neither
    if (order.uniform() < 0.5) {
      await bareBlock();
      await loopBlock();
    } else {
      await loopBlock();
      await bareBlock();
    }
  }
  await session.release();
  return { runs: bare.length, bareMedianNs: median(bare), loopMedianNs: median(loop), ratio: median(loop) / median(bare), progressCalls };
}

export function harnessOverheadMarkdown(r) {
  const lines = [
    `Variant \`${r.variant}\`, level \`all\`, ${ROUNDS} rounds × ${RUNS} timed runs (warm-up ${WARMUP} runs and ≥ 0.5 s each side), which side goes first drawn per round.`,
    '',
    '| round | first | bare loop median (ms) | runner median (ms) | runner / bare | bare loop wall/N (ms) | runner mean (ms) | runner flags |',
    '|---|---|---|---|---|---|---|---|',
    ...r.rounds.map((x, i) => `| ${i + 1} | ${x.bareFirst ? 'bare' : 'runner'} | ${ms(x.bareMedianNs)} | ${ms(x.runnerMedianNs)} | ${(x.runnerMedianNs / x.bareMedianNs).toFixed(4)} | ${ms(x.bareLoopMeanNs)} | ${ms(x.runnerMeanNs)} | ${x.flags.join(', ') || '—'} |`),
    '',
    `Median of the per-round ratios: **${r.medianRatio.toFixed(4)}** (runner − bare: ${pct(r.medianRatio - 1)}; target within 1%). Spread of the ratios: CV ${pct(r.pooled.cv)}.`,
    'Each round creates a new session on each side, so this ratio also carries the session-to-session difference and whatever else ran on the machine meanwhile; the two figures below isolate the harness.',
    '',
    `Loop cost with a run that does nothing (${NOOP_RUNS} iterations, median of 5 alternating repetitions): bare loop ${r.loopCost.bareNs.toFixed(0)} ns per iteration, runner's timed loop ${r.loopCost.harnessNs.toFixed(0)} ns: the harness adds **${(r.loopCost.harnessNs - r.loopCost.bareNs).toFixed(0)} ns per run**, ${pct((r.loopCost.harnessNs - r.loopCost.bareNs) / median(r.rounds.map((x) => x.bareMedianNs)), 4)} of the bare median above.`,
    '',
    `Same session, ${BLOCKS} pairs of blocks of ${BLOCK_RUNS} runs (order within each pair drawn at random): bare loop median ${ms(r.sameSession.bareMedianNs)} ms, runner's timed loop (\`timedRuns\` with a progress callback) median ${ms(r.sameSession.loopMedianNs)} ms over ${r.sameSession.runs} runs each: ratio **${r.sameSession.ratio.toFixed(4)}** (${pct(r.sameSession.ratio - 1)}).`,
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(machine());
  console.log(harnessOverheadMarkdown(await harnessOverhead()));
}
