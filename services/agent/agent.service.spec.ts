import { describe, expect, it } from 'vitest';
import { formatMismatch, withLayers } from './agent.service.js';
import type { RunnerResult } from './runner.js';

const result = (layers: RunnerResult['layers']): RunnerResult => ({
  startedAt: new Date(0),
  finishedAt: new Date(1),
  latenciesNs: [1],
  profiledMedianNs: 1,
  layers,
  environment: {} as RunnerResult['environment'],
});

describe(withLayers.name, () => {
  it('attributes the nodes of a runner that does not (a phone’s profile) by name, from the assignment’s layers', () => {
    const sut = withLayers(
      result([
        { iteration: 0, nodeName: 'blocks.1.dw.conv', opType: 'DEPTHWISE_CONV_2D', provider: 'cpu', durationNs: 5 },
        { iteration: 0, nodeName: 'quantize_input', opType: 'QUANTIZE', provider: 'cpu', durationNs: 1 },
      ]),
      ['stem', 'blocks.1.dw'],
    );
    expect(sut.layers.map((l) => l.layer)).toEqual(['blocks.1.dw', '']);
  });

  it('keeps what a runner attributed itself, unattributed nodes included', () => {
    const r = result([{ iteration: 0, nodeName: 'stem.conv_nchwc', opType: 'Conv', provider: 'CPU', durationNs: 5, layer: '' }]);
    expect(withLayers(r, ['stem'])).toBe(r);
  });
});

describe(formatMismatch.name, () => {
  it('refuses a model in a format the runner does not run, and takes one it runs or an assignment that does not say', () => {
    expect(formatMismatch(['onnx'], { modelFormat: 'tflite' })).toBe("this agent's runner runs onnx; the job's model is tflite");
    expect(formatMismatch(['onnx', 'tflite'], { modelFormat: 'tflite' })).toBeNull();
    expect(formatMismatch(['tflite'], { modelFormat: '' })).toBeNull();
  });
});
