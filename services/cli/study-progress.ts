import cliProgress from 'cli-progress';
import type { StudyDetail } from '../query/study.repository.js';
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
  const total = study.jobList.length;
  bar?.start(100, 0, { done: 0, jobs: total, current: 'queued' });
  let lastLine = '';
  for (;;) {
    const done = study.jobs.completed + study.jobs.failed;
    const running = study.jobList.find((j) => j.state === 'leased');
    const current = running ? `${running.variantLabel}: ${running.phase ?? 'leased'} ${Math.round(running.progress * 100)}%` : study.status;
    if (bar) bar.update(Math.round(study.progress * 100), { done, jobs: total, current });
    else if (!opts.quiet) {
      const line = `${done}/${total} jobs done${running ? ` — ${running.variantLabel}: ${running.phase ?? 'leased'}` : ''}`;
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
