import { describe, expect, it } from 'vitest';
import { readFixture } from './fixtures/read-fixture.js';
import { parseTfliteBenchmarkOutput } from './tflite-benchmark-output.js';

describe(parseTfliteBenchmarkOutput.name, () => {
  it('reads the warm-up and regular run statistics and the timings summary', () => {
    const sut = parseTfliteBenchmarkOutput(readFixture('tflite/benchmark-op-profile-tf2.txt'));
    expect(sut.runStats).toEqual([
      { count: 10, first: 2071, curr: 1503, min: 1488, max: 2071, avg: 1561.3, std: 168 },
      { count: 20, first: 1522, curr: 1497, min: 1480, max: 1546, avg: 1509.45, std: 17 },
    ]);
    expect(sut.timings).toEqual([{ initUs: 1907, firstInferenceUs: 2071, warmupAvgUs: 1561.3, inferenceAvgUs: 1509.45 }]);
    expect(sut.peakMemoryMb).toEqual([11.2617]); // `Peak memory footprint (MB): init=3.42188 overall=11.2617`
  });

  it('reads the peak of later builds’ periodic monitoring, and not their footprint delta, which is no peak', () => {
    const log = [
      'INFO: Memory footprint delta from the start of the tool (MB): init=2.43359 overall=8.67578',
      'INFO: Overall peak memory footprint (MB) via periodic monitoring: 13.1797',
    ].join('\n');
    expect(parseTfliteBenchmarkOutput(log).peakMemoryMb).toEqual([13.1797]);
    expect(parseTfliteBenchmarkOutput(readFixture('tflite/benchmark-op-profile-litert-xnnpack.txt')).peakMemoryMb).toEqual([]);
  });

  it('strips the INFO: prefix of builds that log through the minimal logger', () => {
    const sut = parseTfliteBenchmarkOutput(readFixture('tflite/benchmark-op-profile-litert-xnnpack.txt'));
    expect(sut.runStats.map((s) => s.count)).toEqual([10, 50]);
    expect(sut.timings[0]?.inferenceAvgUs).toBe(1998.68);
  });

  it('reads the short form printed when every run took the same time', () => {
    expect(parseTfliteBenchmarkOutput('INFO: count=1 curr=4321\n').runStats).toEqual([{ count: 1, curr: 4321 }]);
    expect(parseTfliteBenchmarkOutput('count=3 curr=900(all same)\n').runStats[0]).toMatchObject({ count: 3, curr: 900 });
  });

  it('gives one timings entry per process when several ran back to back', () => {
    const one = (us: number) => `INFO: count=1 curr=${us}\n\nINFO: Inference timings in us: Init: 900, First inference: 5000, Warmup (avg): 4700, Inference (avg): ${us}\n`;
    expect(parseTfliteBenchmarkOutput(one(4321) + one(4400)).timings.map((t) => t.inferenceAvgUs)).toEqual([4321, 4400]);
  });

  it('reads the older "Average inference timings" line, where the warm-up average reads nan when there was none', () => {
    const sut = parseTfliteBenchmarkOutput('Average inference timings in us: Warmup: nan, Init: 63227, Inference: 422959\n');
    expect(sut.timings[0]).toMatchObject({ initUs: 63227, inferenceAvgUs: 422959 });
    expect(sut.timings[0]?.warmupAvgUs).toBeNaN();
  });

  it('refuses a timings line that has no inference average', () => {
    expect(() => parseTfliteBenchmarkOutput('Inference timings in us: Init: 900, First inference: 5000\n')).toThrow(/inference average/);
  });
});
