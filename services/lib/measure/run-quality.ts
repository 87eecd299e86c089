import type { MeasurementProtocol } from './protocol.js';

/** What the host reports about itself (a subset of the proto RunEnvironment); 0 means not readable. */
export interface EnvironmentSample {
  curFreqKhz: number;
  maxFreqKhz: number;
  temperatureC: number;
  loadAverage1m: number;
  /**
   * The host speed probe's time (a fixed reference workload), taken next to this sample: just
   * before the timed runs for the sample before, just after them for the sample after. Absent or
   * 0: not measured.
   */
  hostProbeNs?: number;
}

export type QualityFlag = 'frequency-drop' | 'temperature-rise' | 'host-speed-changed' | 'host-slow' | 'busy-load' | 'busy-cpu' | 'busy-system' | 'unstable';

/**
 * The flags that still exclude a replicate measured in an interleaved round. The others act on
 * every variant of the round alike — the host's speed (`host-speed-changed`, `host-slow`), work on
 * other cores (`busy-load`, `busy-system`) — or only widen a run's spread (`unstable`), which the
 * spread between rounds already carries: the paired ratio cancels or absorbs them (with a
 * CPU-bound process on the other core, A/A ratios stayed unbiased, SD about 1%:
 * test/bench/RESULTS.md, "Interleaving"). Throttling can change the variants' relative costs,
 * and a preempted process loses time in some blocks only: those still exclude.
 */
export const ROUND_EXCLUDING_FLAGS: readonly QualityFlag[] = ['frequency-drop', 'temperature-rise', 'busy-cpu'];

export interface RunQuality {
  /** the core slowed down or heated up during the measurement, or the host changed speed or ran slow */
  throttled: boolean;
  /** other work competed for the CPU */
  busy: boolean;
  flags: QualityFlag[];
  /** one human-readable line per flag, with the figures */
  reasons: string[];
  /** process CPU time / timed wall time during the timed runs (≈1 when the core was ours); null if not measured */
  cpuShare: number | null;
  /** estimated 1-minute load average of other work, per online core */
  otherLoadPerCore: number;
  /** CPUs' worth of other work (including time the hypervisor stole) during the timed runs; null if not measured */
  otherBusyCpus: number | null;
  /** median absolute deviation / median of the timed runs; null if not measured */
  relativeMad: number | null;
  /** slower host probe / faster host probe − 1 (before vs after the timed runs); null if not probed */
  hostSpeedChange: number | null;
  /** slower host probe / the host's recent best (HostProbeBaseline) − 1; null if not probed or no baseline yet */
  hostSlowdown: number | null;
  /** the host's recent best probe (HostProbeBaseline), this measurement's included; null if none */
  bestHostProbeNs: number | null;
}

export interface QualityContext {
  /** online cores */
  cores: number;
  cpuShare: number | null;
  /** see RunQuality.otherBusyCpus */
  otherBusyCpus?: number | null;
  /** see RunQuality.relativeMad */
  relativeMad?: number | null;
  /** the host's recent best probe (HostProbeBaseline), this measurement's probes included */
  bestHostProbeNs?: number | null;
}

type Thresholds = Pick<
  MeasurementProtocol,
  'maxFrequencyDrop' | 'maxTemperatureRiseC' | 'maxLoadPerCore' | 'minCpuShare' | 'maxOtherBusyCpus' | 'maxRelativeMad' | 'maxHostSpeedChange' | 'maxHostSlowdown'
>;

/**
 * Judges one measurement by the environment before and after it (host speed probes included), the
 * CPU time it got, the CPU time other work took meanwhile, and the spread of its timed runs. The load average counts this
 * measurement too (one runnable thread): one is taken off, as if it had run for the whole minute,
 * so that other work is never over-estimated; the CPU share catches a busy core directly.
 */
export function assessRun(before: EnvironmentSample, after: EnvironmentSample, ctx: QualityContext, t: Thresholds): RunQuality {
  const flags: QualityFlag[] = [];
  const reasons: string[] = [];
  if (before.curFreqKhz > 0 && after.curFreqKhz > 0 && after.curFreqKhz < before.curFreqKhz * (1 - t.maxFrequencyDrop)) {
    flags.push('frequency-drop');
    reasons.push(`core frequency fell from ${before.curFreqKhz} to ${after.curFreqKhz} kHz (more than ${pct(t.maxFrequencyDrop)})`);
  }
  if (before.temperatureC > 0 && after.temperatureC - before.temperatureC > t.maxTemperatureRiseC) {
    flags.push('temperature-rise');
    reasons.push(`temperature rose from ${before.temperatureC.toFixed(1)} to ${after.temperatureC.toFixed(1)} °C (more than ${t.maxTemperatureRiseC} °C)`);
  }
  const host = judgeHostSpeed(before.hostProbeNs ?? 0, after.hostProbeNs ?? 0, ctx.bestHostProbeNs ?? 0);
  if (host.change !== null && t.maxHostSpeedChange > 0 && host.change > t.maxHostSpeedChange) {
    flags.push('host-speed-changed');
    reasons.push(`host speed probe took ${ms(before.hostProbeNs!)} ms before the timed runs and ${ms(after.hostProbeNs!)} ms after (more than ${pct(t.maxHostSpeedChange)} apart)`);
  }
  if (host.slowdown !== null && t.maxHostSlowdown > 0 && host.slowdown > t.maxHostSlowdown) {
    flags.push('host-slow');
    reasons.push(
      `host speed probe took ${ms(host.slowerNs)} ms, ${pct(host.slowdown)} longer than the host's recent best (${ms(ctx.bestHostProbeNs!)} ms; more than ${pct(t.maxHostSlowdown)})`,
    );
  }
  const cores = Math.max(1, ctx.cores);
  const otherLoadPerCore = Math.max(0, Math.max(before.loadAverage1m, after.loadAverage1m) - 1) / cores;
  if (otherLoadPerCore > t.maxLoadPerCore) {
    flags.push('busy-load');
    reasons.push(`load average of other work ${otherLoadPerCore.toFixed(2)} per core (above ${t.maxLoadPerCore})`);
  }
  if (ctx.cpuShare !== null && ctx.cpuShare < t.minCpuShare) {
    flags.push('busy-cpu');
    reasons.push(`the measurement got ${pct(ctx.cpuShare)} of the CPU during its timed runs (below ${pct(t.minCpuShare)})`);
  }
  const otherBusyCpus = ctx.otherBusyCpus ?? null;
  if (otherBusyCpus !== null && otherBusyCpus > t.maxOtherBusyCpus) {
    // not preempted, yet slowed: shared caches, memory bandwidth, an SMT sibling or the hypervisor
    flags.push('busy-system');
    reasons.push(`other work kept ${otherBusyCpus.toFixed(2)} CPUs busy during the timed runs (above ${t.maxOtherBusyCpus})`);
  }
  const relativeMad = ctx.relativeMad ?? null;
  if (relativeMad !== null && relativeMad > t.maxRelativeMad) {
    // what no counter inside a guest shows (a neighbour on the host, a busy SMT sibling) still shows as spread
    flags.push('unstable');
    reasons.push(`timed runs spread by ${pct(relativeMad, 1)} of the median (median absolute deviation; above ${pct(t.maxRelativeMad, 1)})`);
  }
  return {
    throttled: flags.some((f) => f === 'frequency-drop' || f === 'temperature-rise' || f === 'host-speed-changed' || f === 'host-slow'),
    busy: flags.includes('busy-load') || flags.includes('busy-cpu') || flags.includes('busy-system'),
    flags,
    reasons,
    cpuShare: ctx.cpuShare,
    otherLoadPerCore,
    otherBusyCpus,
    relativeMad,
    hostSpeedChange: host.change,
    hostSlowdown: host.slowdown,
    bestHostProbeNs: host.slowdown === null ? null : ctx.bestHostProbeNs!,
  };
}

/** The probes' figures: how far apart before and after were, and how far the slower was from the best (0 ns: not probed). */
function judgeHostSpeed(beforeNs: number, afterNs: number, bestNs: number) {
  const probes = [beforeNs, afterNs].filter((ns) => ns > 0);
  const slowerNs = probes.length ? Math.max(...probes) : 0;
  return {
    slowerNs,
    change: probes.length === 2 ? slowerNs / Math.min(...probes) - 1 : null,
    slowdown: slowerNs > 0 && bestNs > 0 ? slowerNs / bestNs - 1 : null,
  };
}

/** Cumulative CPU time of the whole machine, from /proc/stat (clock ticks). */
/**
 * The host's best recent speed, for the `host-slow` check: the second-fastest of the last `window`
 * probes, once `minProbes` were taken. Not the fastest ever: one lucky probe (a cold CPU's turbo)
 * would flag every later run, and a host that stays slower for good becomes the new reference.
 */
export class HostProbeBaseline {
  private readonly recent: number[] = [];

  constructor(
    private readonly window = 32,
    private readonly minProbes = 4,
  ) {}

  add(ns: number | null | undefined): void {
    if (!ns || ns <= 0) return;
    this.recent.push(ns);
    if (this.recent.length > this.window) this.recent.shift();
  }

  get ns(): number | null {
    if (this.recent.length < this.minProbes) return null;
    return [...this.recent].sort((a, b) => a - b)[1]!;
  }
}

export interface SystemCpuTimes {
  /** user, nice, system, irq, softirq and steal, summed over all CPUs */
  busy: number;
  /** busy plus idle and iowait */
  total: number;
  cpus: number;
}

/** Parses /proc/stat's aggregate `cpu` line; null when the text has none. */
export function parseProcStat(text: string): SystemCpuTimes | null {
  const line = /^cpu\s+(.*)$/m.exec(text)?.[1];
  if (!line) return null;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  const cpus = (text.match(/^cpu\d+\s/gm) ?? []).length;
  return { busy, total: busy + idle + iowait, cpus: Math.max(1, cpus) };
}

/**
 * CPUs' worth of work other than this process between two /proc/stat samples: the machine's busy
 * share times its CPU count, less this process's own CPU time over the same wall time.
 */
export function otherBusyCpus(before: SystemCpuTimes, after: SystemCpuTimes, ownCpuNs: number, wallNs: number): number | null {
  const total = after.total - before.total;
  if (total <= 0 || wallNs <= 0) return null;
  return Math.max(0, ((after.busy - before.busy) / total) * after.cpus - ownCpuNs / wallNs);
}

const pct = (f: number, digits = 0) => `${(f * 100).toFixed(digits)}%`;
const ms = (ns: number) => (ns / 1e6).toFixed(3);
