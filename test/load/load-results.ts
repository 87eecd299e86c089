import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PhaseUsage } from './process-sampler.js';

interface Dist {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export interface BatchResult {
  studies: number;
  jobs: number;
  assigned: number;
  stored: number;
  assignmentMs: Dist;
  secondsToStoreAll: number;
  jobsPerSecondEndToEnd: number;
  jobsPerSecondSteady: number;
  rowsPerSecondSteady: number;
  uploadMs: Dist;
  duplicates: number;
  jobStates: Record<string, number>;
  audit: { problems: string[] };
  studyIds: string[];
}

export interface LoadResults {
  when: string;
  machine: { nproc: number; cpu: string; memGiB: number; node: string; loadBefore: number; loadAfter: number; waitedSeconds: number };
  params: {
    agents: number;
    connections: number;
    heartbeatMs: number;
    registerConcurrency: number;
    steadySeconds: number;
    trickleRate: number;
    trickleSeconds: number;
    burstJobs: number;
    spreadStudies: number;
    runMs: number;
    fetchers: number;
    timedRuns: number;
    profiledRuns: number;
    quietWaitSeconds: number;
    quietLoad: number;
    modelBytes: number;
    rowsPerJob: number;
  };
  registration: { seconds: number; perSecond: number; latencyMs: Dist; errors: number };
  connect: { seconds: number };
  heartbeats: { perSecond: number; lastSeenAgeMs: { p50: number; max: number }; online: number; rssGrowthMiB: number };
  trickle: { jobs: number; ratePerSecond: number; assignmentMs: Dist };
  burst: BatchResult;
  spread?: BatchResult;
  fetch: { fetches: number; mib: number; ms: Dist };
  uploadFailures: { count: number; sample: string[] };
  anomalies: { doubleAssignments: number; disconnects: number; rejectedUploads: number };
  control: PhaseUsage[];
  postgres: PhaseUsage[];
  totalSeconds: number;
}

const RESULTS_FILE = fileURLToPath(new URL('../bench/RESULTS.md', import.meta.url));
const BEGIN = '<!-- load:begin (written by test/load/fleet.load-spec.ts; notes outside these markers are kept) -->';
const END = '<!-- load:end -->';

const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const s1 = (ms: number) => f1(ms / 1000);

function batchRows(label: string, b: BatchResult): string[] {
  return [
    `| assignment latency, ${label}: job committed → JobAssignment received | **p50 ${s1(b.assignmentMs.p50)} s, p99 ${s1(b.assignmentMs.p99)} s**, max ${s1(b.assignmentMs.max)} s (${f0(b.assigned)} assigned) |`,
    `| job throughput, ${label}, end to end | ${f0(b.stored)} of ${f0(b.jobs)} jobs stored ${f1(b.secondsToStoreAll)} s after queueing = **${f1(b.jobsPerSecondEndToEnd)} jobs/s**; steady (10th–90th percentile of completions) ${f1(b.jobsPerSecondSteady)} jobs/s = ${f0(b.rowsPerSecondSteady)} rows/s |`,
    `| UploadResults round trip, ${label} | p50 ${f0(b.uploadMs.p50)} ms, p99 ${f0(b.uploadMs.p99)} ms, max ${f0(b.uploadMs.max)} ms |`,
  ];
}

export function loadResultsMarkdown(r: LoadResults): string {
  const p = r.params;
  const peak = [...r.control].sort((a, b) => b.rssPeakMiB - a.rssPeakMiB)[0];
  const idle = r.control[0];
  const lines = [
    `Run ${r.when.slice(0, 16).replace('T', ' ')} UTC on this machine: ${r.machine.nproc} cores (\`nproc\`), ${r.machine.cpu}, ${f0(r.machine.memGiB)} GiB, Node ${r.machine.node}, embedded PostgreSQL 18. ` +
      `The machine is shared with other sessions' work: 1-minute load average ${r.machine.loadBefore.toFixed(2)} at the start (after waiting ${f0(r.machine.waitedSeconds)} s for it to fall below ${p.quietLoad}), ${r.machine.loadAfter.toFixed(2)} at the end; the run took ${f0(r.totalSeconds)} s.`,
    '',
    '```sh',
    'npm run build && LOAD_WRITE_RESULTS=1 npx vitest run --config test/load/vitest.config.ts',
    '```',
    '',
    `One \`node dist/control/main.js\` (log level \`log\`, LATFLEET_HEARTBEAT_MS=${p.heartbeatMs}, its default pool of 10) on the embedded Postgres; ` +
      `${f0(p.agents)} simulated agents in one harness process (the vitest worker), in-process @grpc/grpc-js clients on ${f0(p.connections)} TCP connections, ` +
      `speaking the real protocol (Register with the enrollment token, Connect with heartbeats and job status every 250 ms, UploadResults) with a fake runner: ` +
      `a job lasts ${s1(p.runMs)} s ±25 % and uploads ${p.timedRuns} timed latencies + ${p.profiledRuns} profiled iterations × 200 node timings ` +
      `(${f0(p.rowsPerJob)} rows, about 260 kB of protobuf), the shape of a MobileNetV3-Large run. The last ${p.fetchers} agents fetch the real ` +
      `${s1(p.modelBytes / 1000)} MB model (mobilenetv3-small-0.75@96) with FetchModel on their first job and check its sha256; the others skip FetchModel. ` +
      `Jobs are queued with SQL + NOTIFY the way the query service queues a study (test/support/study-seed.ts). Harness, control and Postgres share the 2 cores.`,
    '',
    '| what | figure |',
    '|---|---|',
    `| registration (Register, ${p.registerConcurrency} in flight) | ${f0(p.agents)} agents in ${f1(r.registration.seconds)} s = **${f0(r.registration.perSecond)}/s**; latency p50 ${f0(r.registration.latencyMs.p50)} ms, p99 ${f0(r.registration.latencyMs.p99)} ms; ${r.registration.errors} errors |`,
    `| sessions (Connect) | all ${f0(p.agents)} online ${f1(r.connect.seconds)} s after they connect at once |`,
    `| heartbeats, all idle (${p.steadySeconds} s) | **${f0(r.heartbeats.perSecond)}/s** offered; last_seen_at age p50 ${f0(r.heartbeats.lastSeenAgeMs.p50)} ms, max ${f0(r.heartbeats.lastSeenAgeMs.max)} ms; ${f0(r.heartbeats.online)} online; control RSS ${r.heartbeats.rssGrowthMiB >= 0 ? '+' : ''}${f1(r.heartbeats.rssGrowthMiB)} MiB over the phase |`,
    `| assignment latency, trickle (${p.trickleRate} single-job studies/s for ${p.trickleSeconds} s, fleet idle): job committed → JobAssignment received | **p50 ${f0(r.trickle.assignmentMs.p50)} ms, p99 ${f0(r.trickle.assignmentMs.p99)} ms**, max ${f0(r.trickle.assignmentMs.max)} ms |`,
    ...batchRows(`burst: ${f0(r.burst.jobs)} jobs in 1 study onto ${f0(p.agents)} idle agents`, r.burst),
    ...(r.spread ? batchRows(`spread: ${f0(r.spread.jobs)} jobs in ${r.spread.studies} studies`, r.spread) : []),
    `| FetchModel fan-out (burst: the last agents' first job) | ${r.fetch.fetches} concurrent fetches, ${f0(r.fetch.mib)} MiB; p50 ${s1(r.fetch.ms.p50)} s, p99 ${s1(r.fetch.ms.p99)} s |`,
    `| control RSS (VmRSS) | ${f0(idle?.rssEndMiB ?? Number.NaN)} MiB idle; **peak ${f0(peak?.rssPeakMiB ?? Number.NaN)} MiB** (${peak?.phase ?? ''}) |`,
    `| correctness | ${r.anomalies.doubleAssignments} double assignments, ${r.anomalies.rejectedUploads} uploads refused, ${r.uploadFailures.count} upload attempts failed and were retried, ${r.anomalies.disconnects} session drops; every stored row audited (one run per job, one row per timed run and per profiled node): ${[...r.burst.audit.problems, ...(r.spread?.audit.problems ?? [])].join('; ') || 'no problem'} |`,
    '',
    '| phase | seconds | control RSS peak MiB | control CPU % of a core | Postgres CPU % (postmaster and live backends) |',
    '|---|---:|---:|---:|---:|',
    ...r.control.map((c, i) => `| ${c.phase} | ${f1(c.seconds)} | ${f0(c.rssPeakMiB)} | ${f0(c.cpuPercent)} | ${f0(Math.max(0, r.postgres[i]?.cpuPercent ?? Number.NaN))} |`),
  ];
  if (r.uploadFailures.sample.length) lines.push('', `Upload failures seen (retried): ${r.uploadFailures.sample.map((s) => `\`${s}\``).join(', ')}.`);
  return lines.join('\n');
}

/** Puts the figures into test/bench/RESULTS.md under "## Load", between markers; the rest of the file is kept. */
export function writeLoadResults(r: LoadResults): void {
  const block = `${BEGIN}\n${loadResultsMarkdown(r)}\n${END}`;
  const text = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8') : '# latfleet benchmarks\n';
  let next: string;
  const b = text.indexOf(BEGIN);
  const e = text.indexOf(END);
  if (b >= 0 && e > b) next = text.slice(0, b) + block + text.slice(e + END.length);
  else {
    const heading = /^## Load[^\n]*\n/m.exec(text);
    if (heading) next = text.slice(0, heading.index + heading[0].length) + '\n' + block + '\n' + text.slice(heading.index + heading[0].length);
    else next = `${text.trimEnd()}\n\n## Load\n\n${block}\n`;
  }
  writeFileSync(RESULTS_FILE, next);
}
