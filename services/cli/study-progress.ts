import cliProgress from 'cli-progress';
import type { StudyDetail } from '../query/contract.js';
import type { ApiClient } from './api.client.js';

const DONE = new Set(['completed', 'failed']);

/** Polls a study until it is finished, drawing a progress bar on a terminal and plain lines elsewhere. */
export async function waitForStudy(api: ApiClient, id: string, opts: { intervalMs?: number; quiet?: boolean; timeoutMs?: number } = {}): Promise<StudyDetail> {
  const interval = opts.intervalMs ?? 500;
  const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : Infinity;
  const tty = process.stderr.isTTY && !opts.quiet;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: ' {bar} {percentage}% | {done}/{jobs} jobs | {current}', hideCursor: true, clearOnComplete: false, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let study = await api.study(id);
  bar?.start(100, 0, { done: 0, jobs: study.jobList.length, current: 'queued' });
  let lastLine = '';
  for (;;) {
    // rounds are added as earlier ones finish (adaptive stopping): the job count grows
    const total = study.jobList.length;
    const done = study.jobs.completed + study.jobs.failed;
    const current = study.jobList.some((j) => j.state === 'leased') ? describeRunning(study.jobList) : study.waiting?.length ? describeWaiting(study.waiting) : study.status;
    if (bar) bar.update(Math.round(study.progress * 100), { done, jobs: total, current });
    else if (!opts.quiet) {
      const line = `${done}/${total} jobs done${current !== study.status ? ` — ${current}` : ''}`;
      if (line !== lastLine) process.stderr.write(`  ${line}\n`);
      lastLine = line;
    }
    if (DONE.has(study.status)) break;
    if (Date.now() > deadline) {
      bar?.stop();
      throw new Error(`study ${id} not finished after ${opts.timeoutMs} ms (status ${study.status})`);
    }
    await new Promise((r) => setTimeout(r, interval));
    study = await api.study(id);
  }
  bar?.stop();
  return study;
}

/** "round 2: relu, paper, hswish timed 40% — retry 1/2: busy-system" for the jobs being measured now. */
export function describeRunning(jobs: StudyDetail['jobList']): string {
  const running = jobs.filter((j) => j.state === 'leased');
  const byRound = new Map<number, typeof running>();
  for (const j of running) byRound.set(j.round, [...(byRound.get(j.round) ?? []), j]);
  return [...byRound.entries()]
    .map(([round, js]) => {
      const first = js[0]!;
      const note = js.find((j) => j.statusMessage)?.statusMessage;
      return `round ${round + 1}: ${js.map((j) => j.variantLabel).join(', ')} ${first.phase ?? 'leased'} ${Math.round(first.progress * 100)}%${note ? ` — ${note}` : ''}`;
    })
    .join('; ');
}

/** "waiting: 4 jobs: no online agent runs tflite" for queued jobs no online agent can run. */
export function describeWaiting(waiting: StudyDetail['waiting']): string {
  return `waiting: ${waiting.map((w) => `${w.queuedJobs} job${w.queuedJobs === 1 ? '' : 's'}: ${w.reason}`).join('; ')}`;
}

/** One line per device group: how many rounds ran and what ended them ("any device: every comparison within ±0.62% …"). */
export function describeRounds(rounds: StudyDetail['rounds']): string[] {
  return Object.entries(rounds ?? {}).map(([group, log]) => `rounds on ${group === '*' ? 'any device' : `device ${group}`}: ${log.detail}`);
}
