import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

export interface PhaseUsage {
  phase: string;
  seconds: number;
  /** Peak and last resident set size (VmRSS) of the watched process, MiB. */
  rssPeakMiB: number;
  rssEndMiB: number;
  /** CPU time over wall time, percent of one core (200 = both cores of this machine). */
  cpuPercent: number;
}

function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

export function rssMiB(pid: number): number {
  return rssKiB(pid) / 1024;
}

/** utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** A process and its children (Postgres: the postmaster and its backends). */
export function withChildren(pid: number): number[] {
  const pids = [pid];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * Samples one process group's memory (VmRSS, summed) and CPU time every `intervalMs`, and splits
 * the figures by phase: `phase(name)` closes the current phase and opens the next.
 */
export class ProcessSampler {
  private readonly phases: PhaseUsage[] = [];
  private current?: { phase: string; startedAt: number; ticks: number; peak: number; last: number };
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: () => number[],
    intervalMs = 200,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private totals(): { rss: number; ticks: number } {
    let rss = 0;
    let ticks = 0;
    for (const pid of this.pids()) {
      try {
        rss += rssKiB(pid);
        ticks += cpuTicks(pid);
      } catch {
        // exited between listing and reading
      }
    }
    return { rss, ticks };
  }

  private sample(): void {
    if (!this.current) return;
    const { rss } = this.totals();
    this.current.peak = Math.max(this.current.peak, rss);
    this.current.last = rss;
  }

  phase(name: string): void {
    this.close();
    const { rss, ticks } = this.totals();
    this.current = { phase: name, startedAt: Date.now(), ticks, peak: rss, last: rss };
  }

  private close(): void {
    const c = this.current;
    if (!c) return;
    this.sample();
    const seconds = (Date.now() - c.startedAt) / 1000;
    const { ticks } = this.totals();
    this.phases.push({
      phase: c.phase,
      seconds,
      rssPeakMiB: c.peak / 1024,
      rssEndMiB: c.last / 1024,
      cpuPercent: seconds > 0 ? ((ticks - c.ticks) / TICKS_PER_SECOND / seconds) * 100 : 0,
    });
    this.current = undefined;
  }

  stop(): PhaseUsage[] {
    this.close();
    clearInterval(this.timer);
    return this.phases;
  }
}
