import { describe, expect, it } from 'vitest';
import { readFixture } from './fixtures/read-fixture.js';
import { parseOrtPerfTestResultFile, parseOrtPerfTestStdout } from './ort-perf-test-output.js';
import { RunnerErrorCode } from './runner.error.js';

describe(parseOrtPerfTestStdout.name, () => {
  it('reads the summary and the -s statistics of a recent build', () => {
    const sut = parseOrtPerfTestStdout(readFixture('ort-perf-test/stdout-recent.txt'));
    expect(sut).toMatchObject({ sessionCreationS: 0.0482611, peakWorkingSetBytes: 35_880_960, firstInferenceMs: 12, totalInferenceS: 0.521137, requests: 100, averageMs: 5.21137 });
    expect(sut.latencyS).toEqual({ min: 0.00507541, max: 0.00612305, p50: 0.00518333, p90: 0.00533012, p95: 0.00541104, p99: 0.00598211, p999: 0.00612305 });
  });

  it('reads the older "Total iterations" / "Latency is …sec" layout', () => {
    const sut = parseOrtPerfTestStdout(readFixture('ort-perf-test/stdout-legacy.txt'));
    expect(sut).toMatchObject({ requests: 1000, averageMs: 41.7722, totalInferenceS: 41.7722 });
    expect(sut.latencyS.p50).toBe(0.0416842);
  });

  it('collects the per-iteration times that -v prints', () => {
    const sut = parseOrtPerfTestStdout(readFixture('ort-perf-test/stdout-verbose.txt'));
    expect(sut.verboseIterationsS).toEqual([0.00521843, 0.00517702, 0.00530018]);
    expect(sut.requests).toBe(3);
  });

  it('refuses the output of a failed run instead of reporting no latency', () => {
    const failed = 'Setting intra_op_num_threads to 1\nRun failed:Load model from models/x.onnx failed:Protobuf parsing failed.\n';
    expect(() => parseOrtPerfTestStdout(failed)).toThrow(expect.objectContaining({ code: RunnerErrorCode.OutputUnparsable }));
  });
});

describe(parseOrtPerfTestResultFile.name, () => {
  it('turns each run line into nanoseconds, in run order, including exponent notation', () => {
    expect(parseOrtPerfTestResultFile(readFixture('ort-perf-test/result.csv'))).toEqual([5_218_430, 5_177_020, 5_300_180, 50_734]);
  });

  it('skips the statistics that -s appends', () => {
    expect(parseOrtPerfTestResultFile(readFixture('ort-perf-test/result-with-stats.csv'))).toEqual([5_218_430, 5_177_020]);
  });

  it('reads lines of builds that wrote no CPU-usage column', () => {
    expect(parseOrtPerfTestResultFile(readFixture('ort-perf-test/result-no-cpu-column.csv'))).toEqual([5_218_430, 5_177_020]);
  });

  it('refuses a file that two runs appended to', () => {
    expect(() => parseOrtPerfTestResultFile(readFixture('ort-perf-test/result-appended-twice.csv'))).toThrow(/run index 0, expected 2/);
  });

  it('names the line it cannot read', () => {
    expect(() => parseOrtPerfTestResultFile('models,0.005,1,99,0\nmodels,fast,1,99,1\n')).toThrow(/line 2/);
  });
});
