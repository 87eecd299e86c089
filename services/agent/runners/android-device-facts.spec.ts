import { describe, expect, it } from 'vitest';
import { androidDeviceFacts, androidRunEnvironment, cpuMaskCores, parseGetprop, parseSysfsDump, socName } from './android-device-facts.js';
import { readFixture } from './fixtures/read-fixture.js';
import { RunnerErrorCode } from './runner.error.js';

const props = parseGetprop(readFixture('android/getprop-pixel7.txt'));
const sys = parseSysfsDump(readFixture('android/sysfs-dump.txt'));

describe(parseGetprop.name, () => {
  it('reads [key]: [value] lines, values with spaces included', () => {
    expect(props.get('ro.product.model')).toBe('Pixel 7');
    expect(props.get('ro.build.version.release')).toBe('14');
    expect(props.size).toBe(14);
  });
});

describe(parseSysfsDump.name, () => {
  it('reads each CPU’s governor and frequencies', () => {
    expect(sys.cpus.size).toBe(8);
    expect(sys.cpus.get(6)).toEqual({ governor: 'sched_pixel', curKhz: 2_850_000, maxKhz: 2_850_000 });
  });

  it('converts millidegrees, keeps degree-reporting zones and drops switched-off sensors', () => {
    expect(sys.temperaturesC).toEqual(
      expect.arrayContaining([
        { zone: 'BIG', celsius: 41.25 },
        { zone: 'battery', celsius: 31 },
      ]),
    );
    expect(sys.temperaturesC.map((t) => t.zone)).not.toContain('usb_pwr_therm2');
    expect(sys.temperaturesC).toHaveLength(4);
    expect(sys.loadAverage1m).toBe(3.12);
  });
});

describe(cpuMaskCores.name, () => {
  it('lists the cores a taskset mask allows', () => {
    expect(cpuMaskCores('f0')).toEqual([4, 5, 6, 7]);
    expect(cpuMaskCores('0x80')).toEqual([7]);
  });

  it('refuses masks that are not hexadecimal or select nothing', () => {
    expect(() => cpuMaskCores('big')).toThrow(expect.objectContaining({ code: RunnerErrorCode.InvalidOptions }));
    expect(() => cpuMaskCores('00')).toThrow(/selects no CPU/);
  });
});

describe(androidRunEnvironment.name, () => {
  it('records the first allowed core’s governor and frequency, the hottest zone and the Android build', () => {
    const sut = androidRunEnvironment(props, sys, 'c0', { runtime: 'onnxruntime 1.20.1', agent: '0.1.0' });
    expect(sut).toEqual({
      cpuModel: 'Google GS201',
      pinnedCore: 6,
      governor: 'sched_pixel',
      curFreqKhz: 2_850_000,
      maxFreqKhz: 2_850_000,
      temperatureC: 41.25,
      loadAverage1m: 3.12,
      os: 'Android 14 (API 34, build UQ1A.240205.004)',
      runtimeVersion: 'onnxruntime 1.20.1',
      agentVersion: '0.1.0',
      hostProbeNs: 0,
    });
  });

  it('leaves frequency fields empty for a core the shell could not read', () => {
    const sut = androidRunEnvironment(props, parseSysfsDump('loadavg=0.5 0.4 0.3 1/1 1\n'), 'f0', { runtime: 'r', agent: 'a' });
    expect(sut).toMatchObject({ pinnedCore: 4, governor: '', curFreqKhz: 0, maxFreqKhz: 0, temperatureC: 0 });
  });
});

describe(socName.name, () => {
  it('falls back to the board platform on builds older than Android 12', () => {
    expect(socName(parseGetprop('[ro.board.platform]: [msm8998]\n'))).toBe('msm8998');
  });
});

describe(androidDeviceFacts.name, () => {
  it('registers the phone as an android device with its model and build as tags', () => {
    const sut = androidDeviceFacts('pixel7-lab-01', props, sys, { serial: '28031FDH2000XY', cpuMask: 'c0', runner: 'android-adb', runtimeVersion: 'ort', agentVersion: '0.1.0' });
    expect(sut).toMatchObject({ name: 'pixel7-lab-01', deviceClass: 'android', cpuModel: 'Google GS201', cores: 8, runner: 'android-adb' });
    expect(sut.tags).toEqual({
      serial: '28031FDH2000XY',
      cpuMask: 'c0',
      model: 'Pixel 7',
      manufacturer: 'Google',
      abi: 'arm64-v8a',
      fingerprint: 'google/panther/panther:14/UQ1A.240205.004/11269751:user/release-keys',
    });
  });
});
