// Runs the three measurement benchmarks and writes their part of test/bench/RESULTS.md (between
// the ort-runner markers; the rest of the file, e.g. other benchmarks' sections, is kept).
//   npm run build && taskset -c 1 node test/bench/run-all.mjs
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { harnessOverhead, harnessOverheadMarkdown } from './harness-overhead.bench.mjs';
import { layerSum, layerSumMarkdown } from './layer-sum.bench.mjs';
import { repeatability, repeatabilityMarkdown } from './repeatability.bench.mjs';
import { machine, waitForQuiet } from './bench-support.mjs';

const settings = Object.entries(process.env)
  .filter(([k]) => k.startsWith('BENCH_') && k !== 'BENCH_COMMAND')
  .map(([k, v]) => `${k}=${v} `)
  .join('');
const command = process.env.BENCH_COMMAND ?? `npm run build && ${settings}taskset -c 1 node test/bench/run-all.mjs`;
const QUIET_LOAD = Number(process.env.BENCH_QUIET_LOAD ?? 1);
const QUIET_WAIT_S = Number(process.env.BENCH_QUIET_WAIT_S ?? 300);
const m = machine();
const started = new Date();
const sections = [];
const loads = [];
for (const [title, run, render] of [
  ['(a) Harness overhead', harnessOverhead, harnessOverheadMarkdown],
  ['(b) Repeatability', repeatability, repeatabilityMarkdown],
  ['(c) Per-layer sum against end-to-end medians', layerSum, layerSumMarkdown],
]) {
  const quiet = await waitForQuiet(QUIET_LOAD, QUIET_WAIT_S);
  const t0 = Date.now();
  const result = await run();
  loads.push(
    `${title}: waited ${quiet.waitedSeconds} s for the 1-minute load average to fall below ${QUIET_LOAD}; ran ${((Date.now() - t0) / 1000).toFixed(0)} s; load average ${quiet.loadAverage1m.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after`,
  );
  sections.push(`### ${title}\n\n${render(result)}\n`);
  console.log(sections.at(-1));
}

const BEGIN = '<!-- ort-runner benchmarks: begin (written by test/bench/run-all.mjs) -->';
const END = '<!-- ort-runner benchmarks: end -->';
const part = `${BEGIN}
## Measurement: harness overhead, repeatability, per-layer sums

Measured by \`test/bench/run-all.mjs\` on ${started.toISOString()}; every figure below is what that run printed.

Command: \`${command}\`

Machine: ${m.nproc} CPUs (\`nproc --all\`), CPU model \`${m.cpuModel}\` (/proc/cpuinfo), ${m.kernel}, Node ${m.node}, onnxruntime-node ${m.onnxruntime}.
Process affinity: CPU ${m.affinity}. The machine was shared with other work (other sessions building and testing); before each benchmark the script waited (at most ${QUIET_WAIT_S} s) for the 1-minute load average to fall below ${QUIET_LOAD}. The load average counts this benchmark too (about 1).

${loads.map((l) => `- ${l}`).join('\n')}

${sections.join('\n')}${END}`;

const file = new URL('./RESULTS.md', import.meta.url);
const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
const at = previous.indexOf(BEGIN);
const until = previous.indexOf(END);
const text =
  at >= 0 && until > at
    ? previous.slice(0, at) + part + previous.slice(until + END.length)
    : `${previous ? `${previous.trimEnd()}\n\n` : ''}${part}\n`;
writeFileSync(file, text);
console.log('wrote test/bench/RESULTS.md');
