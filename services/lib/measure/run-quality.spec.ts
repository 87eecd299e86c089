import { describe, expect, it } from 'vitest';
import { DEFAULT_PROTOCOL } from './protocol.js';
import { assessRun, HostProbeBaseline, otherBusyCpus, parseProcStat, type EnvironmentSample } from './run-quality.js';

const env = (e: Partial<EnvironmentSample> = {}): EnvironmentSample => ({ curFreqKhz: 2_000_000, maxFreqKhz: 3_000_000, temperatureC: 50, loadAverage1m: 1, ...e });
const ctx = { cores: 4, cpuShare: 0.999 };

describe(assessRun.name, () => {
  it('passes a quiet run', () => {
    expect(assessRun(env(), env({ temperatureC: 55 }), ctx, DEFAULT_PROTOCOL)).toMatchObject({ throttled: false, busy: false, flags: [], reasons: [] });
  });

  it('flags a frequency drop beyond the threshold', () => {
    const sut = assessRun(env(), env({ curFreqKhz: 1_700_000 }), ctx, DEFAULT_PROTOCOL);

    expect(sut).toMatchObject({ throttled: true, busy: false, flags: ['frequency-drop'] });
    expect(sut.reasons[0]).toContain('2000000 to 1700000 kHz');
  });

  it('tolerates a small frequency dip', () => {
    expect(assessRun(env(), env({ curFreqKhz: 1_900_000 }), ctx, DEFAULT_PROTOCOL).flags).toEqual([]);
  });

  it('flags a temperature rise', () => {
    expect(assessRun(env(), env({ temperatureC: 61 }), ctx, DEFAULT_PROTOCOL).flags).toEqual(['temperature-rise']);
  });

  it('ignores what the host cannot read (zeros)', () => {
    const unknown = env({ curFreqKhz: 0, maxFreqKhz: 0, temperatureC: 0 });
    expect(assessRun(unknown, env({ temperatureC: 90, curFreqKhz: 100 }), ctx, DEFAULT_PROTOCOL).flags).toEqual([]);
  });

  it('counts the measurement itself out of the load average', () => {
    // 4 cores, load 3 = this measurement + 2 others: 0.5 per core, not above 0.5
    expect(assessRun(env({ loadAverage1m: 3 }), env({ loadAverage1m: 3 }), ctx, DEFAULT_PROTOCOL).flags).toEqual([]);
    const sut = assessRun(env(), env({ loadAverage1m: 3.4 }), ctx, DEFAULT_PROTOCOL);
    expect(sut.flags).toEqual(['busy-load']);
    expect(sut.otherLoadPerCore).toBeCloseTo(0.6, 12);
  });

  it('flags a preempted measurement by its CPU share', () => {
    expect(assessRun(env(), env(), { cores: 4, cpuShare: 0.8 }, DEFAULT_PROTOCOL)).toMatchObject({ busy: true, flags: ['busy-cpu'], cpuShare: 0.8 });
    expect(assessRun(env(), env(), { cores: 4, cpuShare: null }, DEFAULT_PROTOCOL).flags).toEqual([]);
  });
});

describe('busy-system', () => {
  it('flags other work that used more CPUs than allowed, though it preempted nothing', () => {
    const sut = assessRun(env(), env(), { cores: 2, cpuShare: 1, otherBusyCpus: 0.9 }, DEFAULT_PROTOCOL);

    expect(sut).toMatchObject({ busy: true, flags: ['busy-system'], otherBusyCpus: 0.9 });
    expect(assessRun(env(), env(), { cores: 2, cpuShare: 1, otherBusyCpus: 0.2 }, DEFAULT_PROTOCOL).flags).toEqual([]);
  });
});

describe(parseProcStat.name, () => {
  it('sums busy and total ticks of the aggregate line and counts the CPUs', () => {
    const sut = parseProcStat('cpu  100 5 50 1000 20 1 2 3 0 0\ncpu0 50 0 25 500 10 0 1 1 0 0\ncpu1 50 5 25 500 10 1 1 2 0 0\nintr 1\n');

    expect(sut).toEqual({ busy: 161, total: 1181, cpus: 2 });
  });

  it('gives null for text without one', () => {
    expect(parseProcStat('nothing here')).toBeNull();
  });
});

describe(otherBusyCpus.name, () => {
  it('takes this process out of the machine’s busy time', () => {
    // 4 CPUs, 1 s: 2000 of 4000 ticks busy = 2 CPUs; this process used 1 s of CPU
    const before = { busy: 0, total: 0, cpus: 4 };
    const after = { busy: 200, total: 400, cpus: 4 };
    expect(otherBusyCpus(before, after, 1e9, 1e9)).toBe(1);
    expect(otherBusyCpus(before, { ...after, busy: 90 }, 1e9, 1e9)).toBe(0);
    expect(otherBusyCpus(before, before, 1e9, 1e9)).toBeNull();
  });
});

describe('unstable', () => {
  it('flags timed runs that spread too widely', () => {
    const sut = assessRun(env(), env(), { cores: 2, cpuShare: 1, relativeMad: 0.08 }, DEFAULT_PROTOCOL);

    expect(sut).toMatchObject({ throttled: false, busy: false, flags: ['unstable'], relativeMad: 0.08 });
    expect(sut.reasons[0]).toContain('8.0%');
    expect(assessRun(env(), env(), { cores: 2, cpuShare: 1, relativeMad: 0.01 }, DEFAULT_PROTOCOL).flags).toEqual([]);
  });
});

describe('host speed', () => {
  const probes = (beforeMs: number, afterMs: number) => [env({ hostProbeNs: beforeMs * 1e6 }), env({ hostProbeNs: afterMs * 1e6 })] as const;
  const judge = (beforeMs: number, afterMs: number, bestMs: number | null, t = DEFAULT_PROTOCOL) => {
    const [before, after] = probes(beforeMs, afterMs);
    return assessRun(before, after, { ...ctx, bestHostProbeNs: bestMs === null ? null : bestMs * 1e6 }, t);
  };

  it('passes probes close to each other and to the best', () => {
    expect(judge(2.0, 2.1, 1.9)).toMatchObject({ throttled: false, flags: [], bestHostProbeNs: 1.9e6 });
    expect(judge(2.0, 2.1, 1.9).hostSpeedChange).toBeCloseTo(0.05, 12);
    expect(judge(2.0, 2.1, 1.9).hostSlowdown).toBeCloseTo(2.1 / 1.9 - 1, 12);
  });

  it('flags a host that changed speed during the timed runs, either way', () => {
    const sut = judge(2.0, 2.6, 2.0);

    expect(sut).toMatchObject({ throttled: true, busy: false, flags: ['host-speed-changed', 'host-slow'] });
    expect(sut.hostSpeedChange).toBeCloseTo(0.3, 12);
    expect(sut.reasons[0]).toContain('2.000 ms before the timed runs and 2.600 ms after');
    expect(judge(2.6, 2.0, 2.0).flags).toEqual(['host-speed-changed', 'host-slow']);
  });

  it('flags a host slower than its recent best, though steady', () => {
    const sut = judge(2.6, 2.6, 2.0);

    expect(sut).toMatchObject({ throttled: true, flags: ['host-slow'] });
    expect(sut.hostSlowdown).toBeCloseTo(0.3, 12);
    expect(sut.reasons[0]).toContain("30% longer than the host's recent best (2.000 ms");
  });

  it('takes thresholds from the protocol; 0 turns a check off', () => {
    expect(judge(2.0, 2.6, 2.0, { ...DEFAULT_PROTOCOL, maxHostSpeedChange: 0.35, maxHostSlowdown: 0.35 }).flags).toEqual([]);
    expect(judge(2.0, 2.6, 2.0, { ...DEFAULT_PROTOCOL, maxHostSpeedChange: 0, maxHostSlowdown: 0 }).flags).toEqual([]);
  });

  it('judges nothing it was not given: no probe, one probe, no best', () => {
    expect(assessRun(env(), env(), ctx, DEFAULT_PROTOCOL)).toMatchObject({ flags: [], hostSpeedChange: null, hostSlowdown: null, bestHostProbeNs: null });
    expect(assessRun(env({ hostProbeNs: 3e6 }), env(), { ...ctx, bestHostProbeNs: 2e6 }, DEFAULT_PROTOCOL)).toMatchObject({ flags: ['host-slow'], hostSpeedChange: null });
    expect(judge(2.0, 2.6, null)).toMatchObject({ flags: ['host-speed-changed'], hostSlowdown: null });
  });
});

describe(HostProbeBaseline.name, () => {
  it('gives no reference before enough probes, then the second-fastest of the recent ones', () => {
    const sut = new HostProbeBaseline(4, 3);
    sut.add(2.0e6);
    sut.add(null);
    sut.add(1.5e6);
    expect(sut.ns).toBeNull();
    sut.add(2.2e6);
    expect(sut.ns).toBe(2.0e6);
  });

  it('is not set by one lucky probe, and forgets probes older than its window', () => {
    const sut = new HostProbeBaseline(4, 2);
    for (const ms of [1.0, 2.0, 2.1, 2.2]) sut.add(ms * 1e6);
    expect(sut.ns).toBe(2.0e6);
    for (const ms of [2.6, 2.6, 2.7]) sut.add(ms * 1e6);
    expect(sut.ns).toBe(2.6e6);
  });
});
