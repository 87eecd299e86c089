// float32 vs int8 (per-channel) on ONNX Runtime (ONNX; int8 as QDQ) and LiteRT (TFLite; int8 full-integer), one thread each,
// interleaved in blocks so that what the host does meanwhile falls on every variant alike.
// npm run build && taskset -c 1 node test/bench/int8-tflite.bench.mjs [models...]  (results: RESULTS.md, "int8 TFLite against float32")
import os from 'node:os';
import ort from 'onnxruntime-node';
import { buildTflite, buildVariant } from '../../dist/lib/models/index.js';
import { loadLiteRtInNode, LITERT_VERSION } from '../../dist/agent/runners/litert-node.js';

const MODELS = process.argv.slice(2).length ? process.argv.slice(2) : ['mobilenetv3-large-1.0', 'mobilenetv2-1.0', 'efficientnet-b0'];
const ROUNDS = 8, BLOCK = 10, WARMUP = 10;
const litert = await loadLiteRtInNode();
const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const rows = [];
for (const model of MODELS) {
  const variants = [];
  for (const quant of ['none', 'int8-per-channel']) {
    const name = quant === 'none' ? model : `${model}+quant=${quant}`;
    const onnx = buildVariant(name);
    const session = await ort.InferenceSession.create(onnx.onnx, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    const r = onnx.resolution;
    const data = new Float32Array(3 * r * r).map((_, i) => ((i * 7919) % 255) / 255 - 0.5);
    const feeds = { [onnx.inputName]: new ort.Tensor('float32', data, onnx.inputShape) };
    variants.push({ label: `${name} ONNX (ORT)`, run: async () => { await session.run(feeds); }, times: [] });
    const tfl = buildTflite(name);
    const compiled = await litert.loadAndCompile(tfl.tflite, { accelerator: 'wasm', cpuOptions: { numThreads: 1 } });
    const input = new litert.Tensor(new Float32Array(data.length).map((_, i) => ((i * 7919) % 255) / 255 - 0.5), tfl.inputShape);
    variants.push({
      label: `${name} TFLite (LiteRT)`,
      fully: compiled.isFullyAccelerated,
      bytes: tfl.tflite.length,
      run: async () => { const outs = await compiled.run([input]); for (const o of outs) { await o.data(); o.delete(); } },
      times: [],
    });
  }
  for (const v of variants) for (let i = 0; i < WARMUP; i++) await v.run();
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of variants) {
      for (let i = 0; i < BLOCK; i++) { const t = process.hrtime.bigint(); await v.run(); v.times.push(Number(process.hrtime.bigint() - t) / 1e6); }
    }
  }
  for (const v of variants) rows.push({ label: v.label, median: median(v.times), p10: [...v.times].sort((a, b) => a - b)[Math.floor(v.times.length * 0.1)], p90: [...v.times].sort((a, b) => a - b)[Math.floor(v.times.length * 0.9)], n: v.times.length, fully: v.fully });
  process.stderr.write(`${model} done\n`);
}
console.log(`machine: ${os.cpus()[0].model}, ${os.cpus().length} vCPUs, Node ${process.version}, onnxruntime-node ${ort.env.versions.node}, @litertjs/core ${LITERT_VERSION}; load average at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('| variant | runtime | median ms | p10–p90 ms | runs | all ops in XNNPACK |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  const [name, ...rt] = r.label.split(' ');
  console.log(`| ${name} | ${rt.join(' ')} | ${r.median.toFixed(1)} | ${r.p10.toFixed(1)}–${r.p90.toFixed(1)} | ${r.n} | ${r.fully === undefined ? '—' : r.fully ? 'yes' : 'no'} |`);
}
