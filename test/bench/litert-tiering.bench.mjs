// LiteRT (Wasm) timings and V8's Wasm tiering: six TFLite models measured in three rounds in one
// process, each round every model in turn (5 warm-up, 30 timed runs; the median). With V8's
// defaults (Liftoff first, hot functions re-compiled by TurboFan in the background) a model's time
// depends on what the process ran before; the agent sets STABLE_WASM_FLAGS before loading LiteRT.
//   npm run build && taskset -c 1 node test/bench/litert-tiering.bench.mjs [--v8-defaults] [--load-only]
// --v8-defaults measures with V8's own flags (a fresh process each way: flags are per process);
// --load-only reports what loading LiteRT and a first model run cost and how long they held the event loop.
import v8 from 'node:v8';
import { parseArgs } from 'node:util';
import { machine } from './bench-support.mjs';

const { values: args } = parseArgs({ options: { 'v8-defaults': { type: 'boolean', default: false }, 'load-only': { type: 'boolean', default: false } } });
// loadLiteRtInNode sets the agent's flags itself; with --v8-defaults they are turned back on before it can
if (args['v8-defaults']) v8.setFlagsFromString = () => undefined;
const { loadLiteRtInNode, STABLE_WASM_FLAGS } = await import('../../dist/agent/runners/litert-node.js');
const { buildTflite, inspectTflite } = await import('../../dist/lib/models/index.js');

const NAMES = ['mobilenetv2-1.0@160+quant=int8', 'mixnet-s@160', 'mobilenetv3-large-1.0@160+quant=int8-per-channel', 'efficientnet-b0@128', 'mnasnet-a1@160+kernels=3+dilated', 'mobilenetv1-1.0-224@128+quant=int8'];
const models = NAMES.map((name) => ({ name, bytes: buildTflite(name).tflite }));
// the event loop meanwhile: an agent heartbeats every 5 s and control gives up after 15 s
let longestGapMs = 0;
let lastTick = performance.now();
const ticker = setInterval(() => {
  longestGapMs = Math.max(longestGapMs, performance.now() - lastTick);
  lastTick = performance.now();
}, 20);
const loadStart = performance.now();
const litert = await loadLiteRtInNode();
const loadMs = performance.now() - loadStart;
const firstStart = performance.now();
await medianMs(models[0].bytes, 1, 0);
const firstMs = performance.now() - firstStart;
clearInterval(ticker);
const flags = args['v8-defaults'] ? "V8's defaults (Liftoff, dynamic tier-up)" : STABLE_WASM_FLAGS.join(' ');
console.log(
  `${JSON.stringify(machine())}\nflags: ${flags}\nloading LiteRT ${loadMs.toFixed(0)} ms, then compiling ${models[0].name} and one run ${firstMs.toFixed(0)} ms; longest event-loop gap ${longestGapMs.toFixed(0)} ms\n`,
);
if (args['load-only']) process.exit(0);

async function medianMs(bytes, runs = 30, warmup = 5) {
  const model = await litert.loadAndCompile(bytes, { accelerator: 'wasm', cpuOptions: { numThreads: 1 } });
  const summary = inspectTflite(bytes);
  const shape = summary.tensors.find((t) => t.name === summary.inputs[0]).shape;
  const input = new litert.Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.1), shape);
  const once = async () => {
    for (const o of await model.run([input])) {
      await o.data();
      o.delete();
    }
  };
  for (let i = 0; i < warmup; i++) await once();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  input.delete();
  model.delete();
  times.sort((a, b) => a - b);
  return (times[(runs - 1) >> 1] + times[runs >> 1]) / 2;
}

const rounds = [];
for (let r = 0; r < 3; r++) {
  const row = [];
  for (const m of models) row.push(await medianMs(m.bytes));
  rounds.push(row);
}
console.log('| model (TFLite, LiteRT Wasm) | round 1 ms | round 2 ms | round 3 ms | largest / smallest |\n|---|---:|---:|---:|---:|');
models.forEach((m, i) => {
  const ms = rounds.map((r) => r[i]);
  console.log(`| ${m.name} | ${ms.map((x) => x.toFixed(2)).join(' | ')} | ${(Math.max(...ms) / Math.min(...ms)).toFixed(2)} |`);
});
