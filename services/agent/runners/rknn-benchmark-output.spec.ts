import { describe, expect, it } from 'vitest';
import { readFixture } from './fixtures/read-fixture.js';
import { parseRknnBenchmarkOutput } from './rknn-benchmark-output.js';

describe(parseRknnBenchmarkOutput.name, () => {
  it('separates the built-in warm-up runs from the timed ones and reads the average', () => {
    const sut = parseRknnBenchmarkOutput(readFixture('rknn/rknn-benchmark.txt'));
    expect(sut.warmupMs).toEqual([3.91, 2.02, 1.97, 1.98, 1.96]);
    expect(sut.runsMs).toEqual([1.95, 1.97, 2.04, 1.96, 1.99]);
    expect(sut).toMatchObject({ avgMs: 1.98, avgFps: 504.541 });
  });

  it('counts every timed line as a run when the tool prints no phase markers', () => {
    expect(parseRknnBenchmarkOutput('   0: Elapse Time = 2.50ms, FPS = 400.00\n   1: Elapse Time = 2.40ms, FPS = 416.67\n').runsMs).toEqual([2.5, 2.4]);
  });

  it('refuses the output of a tool that failed before timing anything', () => {
    expect(() => parseRknnBenchmarkOutput('rknn_init fail! ret=-6\n')).toThrow(/Elapse Time/);
  });
});
