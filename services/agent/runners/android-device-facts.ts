import os from 'node:os';
import type { DeviceFacts, RunEnvironment } from '../../lib/proto/index.js';
import { RunnerError, RunnerErrorCode } from './runner.error.js';

/** `[key]: [value]` lines of `getprop`. */
export function parseGetprop(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const m of text.matchAll(/^\[([^\]]+)\]:\s*\[(.*)\]\s*$/gm)) props.set(m[1]!, m[2]!);
  return props;
}

/**
 * Shell run on the device that prints `key=value` lines: per CPU its governor and current/maximum
 * frequency (kHz), per thermal zone its type and raw temperature, and /proc/loadavg. Unreadable files
 * print empty values (SELinux hides some of them from the shell user on some phones).
 */
export const SYSFS_SCRIPT = [
  'for c in /sys/devices/system/cpu/cpu[0-9]*; do n=${c##*/cpu};',
  'echo "cpu.$n.governor=$(cat $c/cpufreq/scaling_governor 2>/dev/null)";',
  'echo "cpu.$n.cur_khz=$(cat $c/cpufreq/scaling_cur_freq 2>/dev/null)";',
  'echo "cpu.$n.max_khz=$(cat $c/cpufreq/cpuinfo_max_freq 2>/dev/null)"; done;',
  'for z in /sys/class/thermal/thermal_zone[0-9]*; do n=${z##*/thermal_zone};',
  'echo "thermal.$n.type=$(cat $z/type 2>/dev/null)";',
  'echo "thermal.$n.temp=$(cat $z/temp 2>/dev/null)"; done;',
  'echo "loadavg=$(cat /proc/loadavg 2>/dev/null)"',
].join(' ');

export interface CpuState {
  governor: string;
  curKhz: number;
  maxKhz: number;
}

export interface SysfsState {
  cpus: Map<number, CpuState>;
  /** Degrees Celsius of each readable zone, by zone type. */
  temperaturesC: Array<{ zone: string; celsius: number }>;
  loadAverage1m: number;
}

const int = (v: string | undefined) => {
  const n = Number(v);
  return v && Number.isFinite(n) ? n : 0;
};

export function parseSysfsDump(text: string): SysfsState {
  const kv = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const cpus = new Map<number, CpuState>();
  const zones = new Set<string>();
  for (const key of kv.keys()) {
    const cpu = /^cpu\.(\d+)\.governor$/.exec(key);
    if (cpu) {
      const n = cpu[1]!;
      cpus.set(Number(n), { governor: kv.get(key) ?? '', curKhz: int(kv.get(`cpu.${n}.cur_khz`)), maxKhz: int(kv.get(`cpu.${n}.max_khz`)) });
    }
    const zone = /^thermal\.(\d+)\.temp$/.exec(key);
    if (zone) zones.add(zone[1]!);
  }
  const temperaturesC = [...zones].flatMap((z) => {
    const raw = Number(kv.get(`thermal.${z}.temp`));
    if (!kv.get(`thermal.${z}.temp`) || !Number.isFinite(raw)) return [];
    // Most zones report millidegrees; a few report degrees. Zones reading 0 or below, or absurdly hot, are sensors that are off.
    const celsius = Math.abs(raw) >= 1000 ? raw / 1000 : raw;
    return celsius > 0 && celsius < 150 ? [{ zone: kv.get(`thermal.${z}.type`) || `thermal_zone${z}`, celsius }] : [];
  });
  return { cpus, temperaturesC, loadAverage1m: Number(kv.get('loadavg')?.split(/\s+/)[0]) || 0 };
}

/** CPU numbers set in a taskset hexadecimal mask, lowest first: `f0` → [4, 5, 6, 7]. */
export function cpuMaskCores(mask: string): number[] {
  if (!/^(0x)?[0-9a-f]+$/i.test(mask)) throw new RunnerError(RunnerErrorCode.InvalidOptions, `cpuMask ${JSON.stringify(mask)}: expected a hexadecimal taskset mask such as f0`);
  const bits = BigInt(`0x${mask.replace(/^0x/i, '')}`);
  const cores: number[] = [];
  for (let i = 0; bits >> BigInt(i) > 0n; i++) if ((bits >> BigInt(i)) & 1n) cores.push(i);
  if (!cores.length) throw new RunnerError(RunnerErrorCode.InvalidOptions, `cpuMask ${JSON.stringify(mask)}: selects no CPU`);
  return cores;
}

/** The phone's SoC as the build describes it: `Google GS201` (Android 12+), else the board platform. */
export function socName(props: Map<string, string>): string {
  const soc = [props.get('ro.soc.manufacturer'), props.get('ro.soc.model')].filter(Boolean).join(' ');
  return soc || props.get('ro.board.platform') || props.get('ro.hardware') || 'unknown';
}

const androidOs = (props: Map<string, string>) =>
  `Android ${props.get('ro.build.version.release') ?? '?'} (API ${props.get('ro.build.version.sdk') ?? '?'}, build ${props.get('ro.build.id') ?? '?'})`;

/**
 * The environment of a run on the phone. The mask may allow several cores; frequency and governor are
 * those of the first core it allows (choose a single-core mask, e.g. `80`, to make that exact).
 */
export function androidRunEnvironment(props: Map<string, string>, sys: SysfsState, cpuMask: string, versions: { runtime: string; agent: string }): RunEnvironment {
  const core = cpuMaskCores(cpuMask)[0]!;
  const cpu = sys.cpus.get(core);
  return {
    cpuModel: socName(props),
    pinnedCore: core,
    governor: cpu?.governor ?? '',
    curFreqKhz: cpu?.curKhz ?? 0,
    maxFreqKhz: cpu?.maxKhz ?? 0,
    temperatureC: sys.temperaturesC.length ? Math.max(...sys.temperaturesC.map((t) => t.celsius)) : 0,
    loadAverage1m: sys.loadAverage1m,
    os: androidOs(props),
    runtimeVersion: versions.runtime,
    agentVersion: versions.agent,
    hostProbeNs: 0,
  };
}

/** What the agent registers for a phone it drives over adb. */
export function androidDeviceFacts(
  name: string,
  props: Map<string, string>,
  sys: SysfsState,
  info: { serial: string; cpuMask: string; runner: string; runtimeVersion: string; agentVersion: string },
): DeviceFacts {
  const tags: Record<string, string> = { serial: info.serial, cpuMask: info.cpuMask };
  const fromProps: Record<string, string> = {
    model: 'ro.product.model',
    manufacturer: 'ro.product.manufacturer',
    abi: 'ro.product.cpu.abi',
    fingerprint: 'ro.build.fingerprint',
  };
  for (const [tag, prop] of Object.entries(fromProps)) {
    const value = props.get(prop);
    if (value) tags[tag] = value;
  }
  return {
    name,
    deviceClass: 'android',
    cpuModel: socName(props),
    cores: sys.cpus.size,
    os: androidOs(props),
    hostname: os.hostname(),
    runner: info.runner,
    runtimeVersion: info.runtimeVersion,
    agentVersion: info.agentVersion,
    tags,
    formats: [],
  };
}
