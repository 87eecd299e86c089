import type { MeasurementProtocol } from './protocol.js';

/** What the host reports about itself (a subset of the proto RunEnvironment); 0 means not readable. */
export interface EnvironmentSample {
  curFreqKhz: number;
  maxFreqKhz: number;
  temperatureC: number;
  loadAverage1m: number;
}

export type QualityFlag = 'frequency-drop' | 'temperature-rise' | 'busy-load' | 'busy-cpu';

export interface RunQuality {
  /** the core slowed down or heated up during the measurement */
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
}

export interface QualityContext {
  /** online cores */
  cores: number;
  cpuShare: number | null;
}

type Thresholds = Pick<MeasurementProtocol, 'maxFrequencyDrop' | 'maxTemperatureRiseC' | 'maxLoadPerCore' | 'minCpuShare'>;

/**
 * Judges one measurement by the environment before and after it. The load average counts this
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
  return {
    throttled: flags.includes('frequency-drop') || flags.includes('temperature-rise'),
    busy: flags.includes('busy-load') || flags.includes('busy-cpu'),
    flags,
    reasons,
    cpuShare: ctx.cpuShare,
    otherLoadPerCore,
  };
}

const pct = (f: number) => `${(f * 100).toFixed(0)}%`;
