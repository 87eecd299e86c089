import { describe, expect, it } from 'vitest';
import { parseStudySpec } from '../lib/models/index.js';
import { liveLevel } from '../lib/predict/index.js';
import { MeasureSelectionService } from './measure-selection.service.js';
import type { PredictedVariant, PredictorService } from './predictor.service.js';

/** Predictions as a device's predictor would give them: latency by variant name; `asked` collects the model format of each request. */
function predictor(ms: Record<string, number>, asked: Array<string | undefined> = []): PredictorService {
  const answer = (variants: string[]) => ({
    predictions: variants.map(
      (variant) =>
        ({
          variant,
          device: 'vm-cpu',
          predicted: true,
          medianMs: ms[variant]!,
          intervalLowMs: ms[variant]! * 0.9,
          intervalHighMs: ms[variant]! * 1.1,
          kernelSumMs: ms[variant]!,
          overheadMs: 0,
          outOfRange: [],
          predictor: { id: 'p1', version: 3, runtime: 'ort', optimization: 'all', format: 'onnx', kind: 'kernels', validation: null, createdAt: '', live: liveLevel([]) },
        }) as PredictedVariant,
    ),
  });
  const predict = async ({ variants, format }: { variants: string[]; format?: string }) => {
    asked.push(format);
    return answer(variants);
  };
  return { predict } as unknown as PredictorService;
}

const LATENCY = { 'mobilenetv3-small-0.75@96': 2.0, 'mobilenetv3-small-0.75@112': 1.5, 'mobilenetv3-small-0.75@128': 3.0 };
const spec = (measure: Record<string, unknown>) =>
  parseStudySpec({ name: 's', base: 'mobilenetv3-small-0.75', axes: { resolution: [96, 112, 128] }, baseline: 96, measure: { device: 'vm-cpu', ...measure } });

describe(MeasureSelectionService.name, () => {
  const sut = new MeasureSelectionService(predictor(LATENCY));

  it('keeps the k variants predicted fastest and the baseline, and records every candidate fastest first', async () => {
    const { spec: measured, predicted } = await sut.select(spec({ select: 'top-k', k: 1 }));
    expect(measured.variants.map((v) => v.label)).toEqual(['96', '112']);
    expect(predicted!.variants.map((v) => [v.label, v.predictedMs, v.measured])).toEqual([
      ['112', 1.5, true],
      ['96', 2, true],
      ['128', 3, false],
    ]);
    expect(predicted).toMatchObject({ select: 'top-k', k: 1, device: 'vm-cpu', predictorId: 'p1', predictorVersion: 3 });
  });

  it('keeps the latency–MAdds Pareto candidates: a variant slower and larger than another is not measured', async () => {
    const { spec: measured } = await sut.select(spec({ select: 'pareto' }));
    expect(measured.variants.map((v) => v.label)).toEqual(['96', '112']);
  });

  it("asks for the device's predictor of the variants' format, and refuses a study of two formats, naming the field", async () => {
    const asked: Array<string | undefined> = [];
    const withFormats = new MeasureSelectionService(predictor(LATENCY, asked));
    await withFormats.select(
      parseStudySpec({
        name: 's',
        base: { model: 'mobilenetv3-small-0.75', format: 'tflite' },
        axes: { resolution: [96, 112] },
        baseline: 96,
        measure: { device: 'vm-cpu', select: 'top-k', k: 1 },
      }),
    );
    await withFormats.select(spec({ select: 'top-k', k: 1 }));
    expect(asked).toEqual(['tflite', 'onnx']);
    const mixed = parseStudySpec({
      name: 's',
      base: 'mobilenetv3-small-0.75',
      axes: { format: ['onnx', 'tflite'] },
      baseline: 'onnx',
      measure: { device: 'vm-cpu', select: 'top-k', k: 1 },
    });
    await expect(withFormats.select(mixed)).rejects.toMatchObject({ field: 'measure' });
  });

  it('leaves a study without `measure` as it is', async () => {
    const plain = parseStudySpec({ name: 's', base: 'mobilenetv3-small-0.75', axes: { resolution: [96, 112] }, baseline: 96 });
    expect(await sut.select(plain)).toEqual({ spec: plain, predicted: null });
  });
});
