import { execFileSync } from 'node:child_process';

/** The CPUs of a taskset list: `0-2,4` → [0, 1, 2, 4]. */
export function parseCpuList(list: string): number[] {
  return list
    .split(',')
    .filter(Boolean)
    .flatMap((part) => {
      const [lo, hi = lo] = part.split('-').map(Number);
      if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi! < lo!) throw new Error(`not a CPU list: ${JSON.stringify(list)}`);
      return Array.from({ length: hi! - lo! + 1 }, (_, i) => lo! + i);
    });
}

/**
 * The cores a local fleet's own services (Postgres, control, query) may use: those this process may
 * use (`allowed`, a taskset list) but the agent's, as a taskset list; null when that leaves none.
 */
export function servicesCores(agentCore: number, allowed: string): string | null {
  const others = parseCpuList(allowed).filter((c) => c !== agentCore);
  return others.length ? others.join(',') : null;
}

/** A process's CPU list as taskset prints it (`pid 42's current affinity list: 0,1` → `0,1`); null where taskset is missing or refuses. */
export function affinityOf(pid: number): string | null {
  try {
    return execFileSync('taskset', ['-cp', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split(': ')
      .at(-1)!;
  } catch {
    return null;
  }
}

/** Sets every thread of a process to a CPU list; false where taskset is missing or refuses. */
export function setAffinity(pid: number, cpuList: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-cp', cpuList, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
