// Building the variant library: every model in the catalogue (the published ones and the others
// the families define), serialized to ONNX bytes with sha256, in one process, several rounds.
// Prints a Markdown section for test/bench/RESULTS.md.
//   npm run build && node test/bench/models-build.bench.mjs [--rounds 3]
import { parseArgs } from 'node:util';
import { buildVariant, listModels } from '../../dist/lib/models/index.js';
import { machine } from './bench-support.mjs';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const ROUNDS = Number(args.rounds);

function buildAll(models) {
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (const m of models) bytes += buildVariant(m.name).onnx.length;
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, bytes };
}

const all = listModels();
const sets = [
  ['published models (with the papers\u2019 figures)', all.filter((m) => m.published)],
  ['every catalogue model', all],
];
const m = machine();
const lines = [];
for (const [what, models] of sets) {
  const rounds = Array.from({ length: ROUNDS }, () => buildAll(models));
  const secs = rounds.map((r) => r.seconds.toFixed(2)).join(' / ');
  lines.push(`| ${what} | ${models.length} | ${(rounds[0].bytes / 1e6).toFixed(0)} MB | ${secs} |`);
}
const biggest = buildAll(all.filter((m) => m.name === 'efficientnet-b7'));
console.log(
  [
    `Run ${new Date().toISOString()} on ${m.nproc} CPUs (${m.cpuModel}), ${m.kernel}, Node ${m.node}; load average (1, 5, 15 min) at the start: ${m.loadAverage}.`,
    '',
    `| models | count | ONNX bytes | seconds per round (${ROUNDS} rounds) |`,
    '|---|---:|---:|---|',
    ...lines,
    '',
    `EfficientNet-B7 alone: ${biggest.seconds.toFixed(2)} s, ${(biggest.bytes / 1e6).toFixed(0)} MB.`,
  ].join('\n'),
);
