import { readFileSync, writeFileSync } from 'node:fs';

/** How a run's peak memory was read: `vmhwm` — the process's high-water mark, reset when the attempt began; `process-lifetime` — the most since the process started. */
export type PeakMemorySource = 'vmhwm' | 'process-lifetime';

/**
 * Resets the process's resident-memory high-water mark (Linux: `5` to /proc/self/clear_refs sets
 * VmHWM to the current RSS), so that a later `peakResidentBytes` is this attempt's peak. Where that
 * is not possible the peak is the process lifetime's, and says so.
 */
export function resetPeakResident(): PeakMemorySource {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return 'vmhwm';
  } catch {
    return 'process-lifetime';
  }
}

/** The process's peak resident memory in bytes: VmHWM where the OS has it, else the lifetime maximum RSS. */
export function peakResidentBytes(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // not Linux: the lifetime maximum below
  }
  return process.resourceUsage().maxRSS * 1024;
}
