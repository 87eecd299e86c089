import { describe, expect, it, vi } from 'vitest';
import type { LatfleetConfig } from '../lib/config/index.js';
import { ErrorCode } from '../lib/errors/index.js';
import { describeVariant } from '../lib/models/index.js';
import { ModelBuilder } from '../lib/models/model-builder.js';
import { MeasureSelectionService } from './measure-selection.service.js';
import type { ModelRepository } from './model.repository.js';
import type { PredictorService } from './predictor.service.js';
import type { StudyRepository } from './study.repository.js';
import { StudyService } from './study.service.js';

const MB = 2 ** 20;
const STUDY_ID = '00000000-0000-4000-8000-00000000000a';

function setup(o: { maxModelMb?: number; maxStudyModelMb?: number; statuses?: string[] } = {}) {
  const statuses = [...(o.statuses ?? ['running'])];
  const studies = {
    create: vi.fn(async () => STUDY_ID),
    find: vi.fn(async () => ({ id: STUDY_ID })),
    matchingDevices: vi.fn(async () => []),
    header: vi.fn(async () => ({ id: STUDY_ID, name: 's', status: statuses.length > 1 ? statuses.shift()! : statuses[0]!, baselineLabel: 'a' })),
    cancel: vi.fn(async () => [{ jobId: 'j', deviceId: 'd' }]),
  };
  const config = { maxModelBytes: (o.maxModelMb ?? 512) * MB, maxStudyModelBytes: (o.maxStudyModelMb ?? 2048) * MB } as LatfleetConfig;
  const models = { findImported: vi.fn(async () => []), findArtifacts: vi.fn(async () => []) };
  // no spec here asks for `measure`: the selection never consults a predictor
  const selection = new MeasureSelectionService({} as PredictorService);
  return { sut: new StudyService(config, studies as unknown as StudyRepository, models as unknown as ModelRepository, selection, new ModelBuilder()), studies };
}

describe(StudyService.name, () => {
  it('refuses a model above the size limit from its description, naming the variant and the limit, before building or storing anything', async () => {
    const { sut, studies } = setup();
    const started = performance.now();

    await expect(sut.create({ name: 'huge', variants: ['efficientnet-b7+width=4+depth=8'] })).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
      field: 'variants',
      message: expect.stringMatching(/efficientnet-b7\+width=4\+depth=8 would be about \d+ MB; at most 512 MB per model \(LATFLEET_MAX_MODEL_MB\)/),
    });

    expect(performance.now() - started).toBeLessThan(2_000);
    expect(studies.create).not.toHaveBeenCalled();
  });

  it("refuses a study whose models together are above the study's limit", async () => {
    const eachMb = (describeVariant('mobilenetv3-small-0.75@96').params * 4) / MB;
    const { sut, studies } = setup({ maxModelMb: 512, maxStudyModelMb: Math.ceil(eachMb * 1.5) });

    await expect(sut.create({ name: 'two', base: 'mobilenetv3-small-0.75@96', axes: { seed: [1, 2] } })).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
      message: expect.stringMatching(/2 models would be about \d+ MB; at most \d+ MB per study \(LATFLEET_MAX_STUDY_MODEL_MB\)/),
    });

    expect(studies.create).not.toHaveBeenCalled();
  });

  it('builds and stores a study within the limits', async () => {
    const { sut, studies } = setup();

    await sut.create({ name: 'small', base: 'mobilenetv3-small-0.75@96' });

    expect(studies.create).toHaveBeenCalledTimes(1);
  });

  it.each(['completed', 'failed'])('refuses to cancel a %s study with a conflict, changing nothing', async (status) => {
    const { sut, studies } = setup({ statuses: [status] });

    await expect(sut.cancel(STUDY_ID)).rejects.toMatchObject({ code: ErrorCode.Conflict, message: expect.stringContaining(`already ${status}`) });

    expect(studies.cancel).not.toHaveBeenCalled();
  });

  it('refuses a study on each selected device when none of them runs a variant’s format, before storing anything', async () => {
    const { sut, studies } = setup();
    studies.matchingDevices.mockResolvedValue([{ id: 'd1', formats: ['onnx'] }] as never);

    await expect(sut.create({ name: 'formats', base: 'mobilenetv3-small-0.75@96', axes: { format: ['onnx', 'tflite'] }, devices: { each: true } })).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
      field: 'devices',
      message: 'devices: variant tflite is tflite; none of the 1 selected devices runs it (they run onnx)',
    });
    expect(studies.create).not.toHaveBeenCalled();
  });

  it('cancels a running study and counts the jobs aborted', async () => {
    const { sut } = setup({ statuses: ['running', 'cancelled'] });

    await expect(sut.cancel(STUDY_ID)).resolves.toEqual({ id: STUDY_ID, status: 'cancelled', abortedJobs: 1 });
  });

  it('answers a conflict when the study finished between the check and the cancellation', async () => {
    const { sut } = setup({ statuses: ['running', 'completed'] });

    await expect(sut.cancel(STUDY_ID)).rejects.toMatchObject({ code: ErrorCode.Conflict });
  });
});
