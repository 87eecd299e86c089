import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import type { RunEnvironment } from '../lib/proto/index.js';

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};

export function cpuModel(): string {
  return os.cpus()[0]?.model?.trim() || 'unknown';
}

/**
 * What the host says about itself right now: governor, frequencies and temperatures where the
 * kernel exposes them (containers and VMs often do not: those fields stay empty/0).
 */
export function readEnvironment(core: number, versions: { runtime: string; agent: string }): RunEnvironment {
  const c = core >= 0 ? core : 0;
  const freq = (name: string) => Number(read(`/sys/devices/system/cpu/cpu${c}/cpufreq/${name}`) ?? 0);
  return {
    cpuModel: cpuModel(),
    pinnedCore: core,
    governor: read(`/sys/devices/system/cpu/cpu${c}/cpufreq/scaling_governor`) ?? '',
    curFreqKhz: freq('scaling_cur_freq'),
    maxFreqKhz: freq('cpuinfo_max_freq'),
    temperatureC: maxTemperature(),
    loadAverage1m: os.loadavg()[0] ?? 0,
    os: `${os.type()} ${os.release()}`,
    runtimeVersion: versions.runtime,
    agentVersion: versions.agent,
    hostProbeNs: 0,
  };
}

function maxTemperature(): number {
  let zones: string[];
  try {
    zones = readdirSync('/sys/class/thermal').filter((z) => z.startsWith('thermal_zone'));
  } catch {
    return 0;
  }
  const temps = zones.map((z) => Number(read(`/sys/class/thermal/${z}/temp`))).filter((t) => Number.isFinite(t) && t > 0);
  return temps.length ? Math.max(...temps) / 1000 : 0;
}
