import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { insertDevice } from '../../test/support/fleet-rows.factory.js';
import { createTestDatabase } from '../../test/support/test-database.js';
import { createDataSource, type DeviceSelector } from '../lib/store/index.js';
import type { NewModel } from '../lib/store/model-rows.js';
import { StudyRepository } from './study.repository.js';

const PROTOCOL = { warmupRuns: 1, timedRuns: 2, profiledRuns: 0 };

const model = (sha: string, format: 'onnx' | 'tflite'): NewModel => ({
  sha256: sha.repeat(64),
  name: 'mobilenetv3-small-0.75',
  family: 'mobilenetv3',
  spec: {},
  resolution: 96,
  inputName: 'input',
  inputShape: format === 'onnx' ? [1, 3, 96, 96] : [1, 96, 96, 3],
  bytes: new Uint8Array([1, 2, 3]),
  madds: 1,
  params: 1,
  layers: [],
  format,
  origin: 'generated',
});

describe(StudyRepository.name, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let sut: StudyRepository;

  const device = (name: string, formats: string[], state: 'online' | 'offline') =>
    insertDevice(ds, { name, formats, cpuModel: 'x', online: state === 'online', lastSeenSecondsAgo: 0 });
  const deviceId = async (name: string) => (await ds.query(`SELECT id FROM devices WHERE name = $1`, [name]))[0].id as string;
  const create = (selector: Record<string, string> = {}, targets: string[] | null = null) =>
    sut.create({
      name: 'formats',
      spec: {},
      baselineLabel: 'onnx',
      protocol: PROTOCOL,
      priority: 0,
      replicates: 2,
      selector,
      targets,
      variants: [
        { label: 'onnx', model: model('e', 'onnx') },
        { label: 'tflite', model: model('f', 'tflite') },
      ],
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, { poolSize: 4 });
    await ds.initialize();
    sut = new StudyRepository(ds);
  });

  beforeEach(async () => {
    await ds.query('TRUNCATE jobs, job_attempts, variants, studies, devices');
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('stores each variant’s model in its format and queues its jobs with that format', async () => {
    const id = await create();

    const study = (await sut.find(id))!;

    expect(study.variants.map((v) => [v.label, v.model.format, v.model.origin])).toEqual([
      ['onnx', 'onnx', 'generated'],
      ['tflite', 'tflite', 'generated'],
    ]);
    expect(await ds.query(`SELECT v.label, j.format, count(*)::int AS n FROM jobs j JOIN variants v ON v.id = j.variant_id GROUP BY 1, 2 ORDER BY 1`)).toEqual([
      { label: 'onnx', format: 'onnx', n: 2 },
      { label: 'tflite', format: 'tflite', n: 2 },
    ]);
  });

  it('says which queued jobs wait and why: no online agent runs their format, until one does', async () => {
    await device('cpu-1', ['onnx'], 'online');
    await device('litert-off', ['tflite'], 'offline');
    const id = await create();

    expect((await sut.find(id))!.waiting).toEqual([{ format: 'tflite', queuedJobs: 2, reason: 'no online agent runs tflite' }]);

    await ds.query(`UPDATE devices SET state = 'online' WHERE name = 'litert-off'`);
    expect((await sut.find(id))!.waiting).toEqual([]);
  });

  it('tells a format nobody runs apart from a device selection nobody who runs it matches', async () => {
    await device('cpu-1', ['onnx', 'tflite'], 'online');
    const id = await create({ class: 'android' });

    expect((await sut.find(id))!.waiting).toEqual([
      { format: 'onnx', queuedJobs: 2, reason: "no online agent that runs onnx matches the study's device selection" },
      { format: 'tflite', queuedJobs: 2, reason: "no online agent that runs tflite matches the study's device selection" },
    ]);
  });

  it('gives each target device of a study the variants in the formats it runs, and nothing waits', async () => {
    await device('cpu-1', ['onnx'], 'online');
    await device('litert-1', ['tflite'], 'online');
    const id = await create({}, [await deviceId('cpu-1'), await deviceId('litert-1')]);

    const jobs = await ds.query(
      `SELECT d.name, j.format, count(*)::int AS n FROM jobs j JOIN devices d ON d.id = j.target_device_id WHERE j.study_id = $1 GROUP BY 1, 2 ORDER BY 1`,
      [id],
    );

    expect(jobs).toEqual([
      { name: 'cpu-1', format: 'onnx', n: 2 },
      { name: 'litert-1', format: 'tflite', n: 2 },
    ]);
    expect((await sut.find(id))!.waiting).toEqual([]);
  });

  it('finds the devices a study runs on each of by its selector and ids, as control matches jobs to devices', async () => {
    const phone = await insertDevice(ds, { name: 'phone-b', deviceClass: 'android', cpuModel: 'A55', tags: { lab: 'b', rack: '2' }, formats: ['tflite'] });
    const other = await insertDevice(ds, { name: 'phone-a', deviceClass: 'android', cpuModel: 'A76', tags: { lab: 'a' }, formats: ['tflite'] });
    await insertDevice(ds, { name: 'vm', tags: { lab: 'b' } });
    const matched = async (selector: DeviceSelector, ids?: string[]) => (await sut.matchingDevices(selector, ids)).map((d) => d.id);

    expect(await matched({ class: 'android' })).toEqual([other.id, phone.id]);
    expect(await matched({ class: 'android', tags: { lab: 'b' } })).toEqual([phone.id]);
    expect(await matched({ cpuModel: 'A76' })).toEqual([other.id]);
    expect(await matched({ tags: { lab: 'b', rack: '2' } })).toEqual([phone.id]);
    expect(await matched({ class: 'android' }, [phone.id])).toEqual([phone.id]);
    expect((await matched({})).length).toBe(3);
  });
});
