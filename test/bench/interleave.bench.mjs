// Interleaving granularity: which way of measuring two variants in one round gives the tightest
// paired ratio? An A/A pair (MobileNetV3-Large 1.0 with weight seeds 1 and 2: the same network)
// is measured in rounds; every round opens fresh sessions (a new "layout sample" each time), and
// the designs take turns round by round, in a random order, so that they see the same host.
//   npm run build && taskset -c 1 node test/bench/interleave.bench.mjs        (BENCH_ROUNDS, BENCH_LOADED=0|1)
// With BENCH_LOADED=1 a CPU-bound process runs on the other core for the loaded half.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { machine, median, ort, runnerInput, SESSION_OPTIONS, variantJob } from './bench-support.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 24);
const TIMED = Number(process.env.BENCH_TIMED ?? 100);
const WARMUP_RUNS = 10;
const WARMUP_SECONDS = 0.5;
const CONDITIONS = (process.env.BENCH_CONDITIONS ?? 'quiet,loaded').split(',');

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(0x1a7f1ee7);
const shuffle = (xs) => {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
};

async function timeOnce(session, feeds) {
  const t0 = performance.now();
  await session.run(feeds);
  return (performance.now() - t0) * 1e6;
}

async function warm(session, feeds) {
  const start = performance.now();
  for (let i = 0; i < WARMUP_RUNS || performance.now() - start < WARMUP_SECONDS * 1000; i++) await session.run(feeds);
}

const open = (m) => ort.InferenceSession.create(m.path, { ...SESSION_OPTIONS, graphOptimizationLevel: 'all' });

/** Each variant in its own session, one after the other: warm-up, then all its timed runs (what one job per variant does). */
async function sessions(models, feeds) {
  const out = {};
  for (const m of shuffle(models)) {
    const s = await open(m);
    await warm(s, feeds);
    const xs = [];
    for (let i = 0; i < TIMED; i++) xs.push(await timeOnce(s, feeds));
    await s.release();
    out[m.key] = xs;
  }
  return out;
}

/**
 * Both sessions open at once, warmed, then timed in blocks of `block` runs that alternate (order
 * shuffled per cycle); with `rewarm`, each block starts with one untimed run (what the runner does).
 */
const blocks = (block, rewarm = false) =>
  async function alternate(models, feeds) {
    const open2 = [];
    for (const m of shuffle(models)) open2.push({ m, s: await open(m) });
    for (const { s } of open2) await warm(s, feeds);
    const out = Object.fromEntries(models.map((m) => [m.key, []]));
    for (let done = 0; done < TIMED; done += block) {
      for (const { m, s } of shuffle(open2)) {
        if (rewarm) await s.run(feeds);
        for (let i = 0; i < block; i++) out[m.key].push(await timeOnce(s, feeds));
      }
    }
    for (const { s } of open2) await s.release();
    return out;
  };

const DESIGNS = [
  { name: 'sessions', description: 'one session per variant, all of its timed runs in a row (a job per variant)', run: sessions },
  { name: 'alternate-1', description: 'both sessions open, timed runs alternate run by run', run: blocks(1) },
  { name: 'alternate-10', description: 'both sessions open, blocks of 10 timed runs alternate', run: blocks(10) },
  { name: 'alternate-10-rewarm', description: 'as alternate-10, each block after one untimed run (the runner’s default)', run: blocks(10, true) },
];

function summary(ratios, seconds) {
  const logs = ratios.map((r) => Math.log(r));
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1));
  const sorted = [...ratios].sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  // half-width of the 95% CI of the mean log ratio with n rounds: t(0.975, n−1)·sd/√n; t ≈ 2.07 for n = 24
  return {
    rounds: ratios.length,
    meanRatio: Math.exp(mean),
    sdPct: sd * 100,
    p10: q(0.1),
    p90: q(0.9),
    secondsPerRound: seconds / ratios.length,
  };
}

function burner() {
  const child = spawn('taskset', ['-c', '0', process.execPath, '-e', 'for(;;){}'], { stdio: 'ignore' });
  return () => child.kill('SIGKILL');
}

export async function interleave() {
  const a = variantJob('mobilenetv3-large-1.0+seed=1', {});
  const b = variantJob('mobilenetv3-large-1.0+seed=2', {});
  const models = [
    { key: 'a', path: a.job().modelPath },
    { key: 'b', path: b.job().modelPath },
  ];
  const shape = a.built.inputShape;
  const feeds = { [a.built.inputName]: new ort.Tensor('float32', runnerInput(shape), shape) };
  const results = [];
  try {
    for (const condition of CONDITIONS) {
      const stop = condition === 'loaded' ? burner() : () => undefined;
      const ratios = Object.fromEntries(DESIGNS.map((d) => [d.name, []]));
      const absolute = Object.fromEntries(DESIGNS.map((d) => [d.name, []]));
      const seconds = Object.fromEntries(DESIGNS.map((d) => [d.name, 0]));
      try {
        for (let r = 0; r < ROUNDS; r++) {
          for (const d of shuffle(DESIGNS)) {
            const t0 = performance.now();
            const xs = await d.run(models, feeds);
            seconds[d.name] += (performance.now() - t0) / 1000;
            ratios[d.name].push(median(xs.b) / median(xs.a));
            absolute[d.name].push(median(xs.a));
          }
          process.stderr.write(`\r${condition}: round ${r + 1}/${ROUNDS}`);
        }
      } finally {
        stop();
      }
      process.stderr.write('\n');
      for (const d of DESIGNS) {
        results.push({
          condition,
          design: d.name,
          description: d.description,
          ...summary(ratios[d.name], seconds[d.name]),
          // A's median latency relative to the `sessions` design's (back-to-back runs), median over rounds
          absoluteVsSessions: median(absolute[d.name].map((x, r) => x / absolute.sessions[r])),
          ratios: ratios[d.name],
        });
      }
    }
  } finally {
    a.cleanup();
    b.cleanup();
  }
  return results;
}

export function interleaveMarkdown(results) {
  const rows = results.map(
    (r) =>
      `| ${r.condition} | ${r.design} | ${r.rounds} | ${r.meanRatio.toFixed(4)} | ${r.sdPct.toFixed(2)}% | ${r.p10.toFixed(4)}–${r.p90.toFixed(4)} | ${r.absoluteVsSessions.toFixed(4)} | ${r.secondsPerRound.toFixed(2)} |`,
  );
  return [
    '| condition | design | rounds | geometric mean B/A | SD of ln(B/A) | p10–p90 of B/A | A’s median ÷ back-to-back | s per round |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const m = machine();
  const started = new Date().toISOString();
  const results = await interleave();
  console.log(`interleave bench ${started}; ${m.nproc} CPUs, ${m.cpuModel}, affinity ${m.affinity}, Node ${m.node}, onnxruntime ${m.onnxruntime}; ${TIMED} timed runs per variant per round`);
  console.log(interleaveMarkdown(results));
  console.log(JSON.stringify(results.map(({ ratios, ...r }) => ({ ...r, ratios: ratios.map((x) => +x.toFixed(5)) }))));
}
