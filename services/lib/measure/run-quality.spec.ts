import { describe, expect, it } from 'vitest';
import { DEFAULT_PROTOCOL } from './protocol.js';
import { assessRun, type EnvironmentSample } from './run-quality.js';

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
