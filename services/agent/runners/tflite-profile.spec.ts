import { describe, expect, it } from 'vitest';
import { readFixture } from './fixtures/read-fixture.js';
import { RunnerErrorCode } from './runner.error.js';
import { parseTfliteOpProfile, tfliteNodeName, tfliteNodeTimings } from './tflite-profile.js';

const tf2 = readFixture('tflite/benchmark-op-profile-tf2.txt');
const litert = readFixture('tflite/benchmark-op-profile-litert-xnnpack.txt');

describe(parseTfliteOpProfile.name, () => {
  it('reads the regular runs’ Run Order table, not the initialisation one nor the top-N table', () => {
    const sut = parseTfliteOpProfile(tf2);
    expect(sut.map((r) => r.nodeType)).toEqual(['CONV_2D', 'HARD_SWISH', 'DEPTHWISE_CONV_2D', 'CONV_2D', 'ADD', 'CONV_2D', 'MEAN', 'FULLY_CONNECTED', 'SOFTMAX']);
    expect(sut[2]).toEqual({
      nodeType: 'DEPTHWISE_CONV_2D',
      firstMs: 0.259,
      avgMs: 0.198,
      percent: 13.262,
      timesCalled: 1,
      name: '[MobilenetV3/expanded_conv/depthwise/depthwise]:2',
    });
  });

  it('keeps the columns aligned: the percentages of one run add up to 100', () => {
    for (const text of [tf2, litert]) {
      expect(parseTfliteOpProfile(text).reduce((s, r) => s + r.percent, 0)).toBeCloseTo(100, 1);
    }
  });

  it('reads the later layout without [start], space-aligned, with delegate node types holding spaces and commas', () => {
    const sut = parseTfliteOpProfile(litert);
    expect(sut).toHaveLength(7);
    expect(sut[1]).toEqual({
      nodeType: 'Convolution (NHWC, F32) DWConv',
      firstMs: 0.06,
      avgMs: 0.041,
      percent: 30.42,
      timesCalled: 9,
      name: 'Delegate/Convolution (NHWC, F32) DWConv:1',
    });
  });

  it('reads a table printed without a section title (builds before the initialisation profile)', () => {
    const lines = tf2.split('\n');
    const regular = lines.slice(lines.findIndex((l) => l.startsWith('Operator-wise')) + 1).join('\n');
    expect(parseTfliteOpProfile(regular)).toHaveLength(9);
  });

  it('refuses output of a run without --enable_op_profiling', () => {
    const timedOnly = 'INFO: count=50 first=2003 curr=1991 min=1962 max=2088 avg=1998.68 std=21\n';
    expect(() => parseTfliteOpProfile(timedOnly)).toThrow(expect.objectContaining({ code: RunnerErrorCode.OutputUnparsable }));
  });

  it('does not mistake the initialisation table for the runs’ table', () => {
    const initOnly = tf2.slice(0, tf2.indexOf('Operator-wise'));
    expect(() => parseTfliteOpProfile(initOnly)).toThrow(/Run Order/);
  });

  it('names a row that lost a column', () => {
    const broken = tf2.replace('\t    0.080\t', '\t');
    expect(() => parseTfliteOpProfile(broken)).toThrow(/line \d+ has not 9 columns/);
  });
});

describe(tfliteNodeTimings.name, () => {
  it('gives one per-run record per node: mean per invocation × invocations per run', () => {
    const sut = tfliteNodeTimings(parseTfliteOpProfile(litert));
    expect(sut[1]).toEqual({
      iteration: 0,
      nodeName: 'Delegate/Convolution (NHWC, F32) DWConv:1',
      opType: 'Convolution (NHWC, F32) DWConv',
      provider: 'TfLiteDelegate',
      durationNs: 369_000,
    });
    expect(sut[6]).toMatchObject({ nodeName: 'StatefulPartitionedCall:0', provider: 'TfLiteCpu', durationNs: 4_000 });
  });

  it('names built-in kernels by their output tensor, as the converter named them', () => {
    expect(tfliteNodeTimings(parseTfliteOpProfile(tf2))[0]).toEqual({
      iteration: 0,
      nodeName: 'MobilenetV3/Conv/Conv2D',
      opType: 'CONV_2D',
      provider: 'TfLiteCpu',
      durationNs: 412_000,
    });
  });

  it('counts a node once when an old build printed 0 invocations', () => {
    const [sut] = tfliteNodeTimings([{ nodeType: 'CONV_2D', firstMs: 4.269, avgMs: 4.269, percent: 0.1, timesCalled: 0, name: '[conv]' }]);
    expect(sut?.durationNs).toBe(4_269_000);
  });

  it('reports a whole-delegate row under the delegate’s name', () => {
    const [sut] = tfliteNodeTimings([{ nodeType: 'TfLiteXNNPackDelegate', firstMs: 1, avgMs: 1, percent: 100, timesCalled: 1, name: '[a, b]:12' }]);
    expect(sut).toMatchObject({ provider: 'TfLiteXNNPackDelegate', nodeName: 'a, b' });
  });
});

describe(tfliteNodeName.name, () => {
  it('leaves names that are not bracketed alone', () => {
    expect(tfliteNodeName('Delegate/Add (ND, F32):3')).toBe('Delegate/Add (ND, F32):3');
  });
});
