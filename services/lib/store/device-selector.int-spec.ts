import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/test-database.js';
import type { DeviceSelector } from './entities/job.entity.js';
import { jobRunnable, jobRunnableOn, selectorMatches, selectorMatchSql, type MatchedDevice, type MatchedJob } from './device-selector.js';

const PHONE = '00000000-0000-4000-8000-000000000001';
const OTHER = '00000000-0000-4000-8000-000000000002';

/** Devices and jobs that meet each field of the rule, miss it, or leave it out. */
const devices: MatchedDevice[] = [
  { id: PHONE, deviceClass: 'android', cpuModel: 'A55', tags: { lab: 'b', rack: '2' }, formats: ['tflite', 'onnx'] },
  { id: OTHER, deviceClass: 'android', cpuModel: 'A76', tags: { lab: 'a' }, formats: ['tflite'] },
  { id: '00000000-0000-4000-8000-000000000003', deviceClass: 'vm', cpuModel: 'EPYC', tags: {}, formats: ['onnx'] },
  { id: '00000000-0000-4000-8000-000000000004', deviceClass: 'board', cpuModel: 'A55', tags: { lab: 'b' }, formats: ['rknn', 'onnx'] },
  { id: '00000000-0000-4000-8000-000000000005', deviceClass: 'vm', cpuModel: 'EPYC', tags: {} }, // registered before formats: onnx
];
const selectors: Array<DeviceSelector | null> = [
  null,
  {},
  { class: 'android' },
  { class: 'vm' },
  { cpuModel: 'A55' },
  { class: 'android', cpuModel: 'A55' },
  { tags: {} },
  { tags: { lab: 'b' } },
  { tags: { lab: 'b', rack: '2' } },
  { tags: { lab: 'c' } },
  { class: 'board', tags: { lab: 'b' } },
  { class: null, cpuModel: null, tags: null } as unknown as DeviceSelector, // as a hand-written row might hold it
];
const jobs: MatchedJob[] = selectors.flatMap((selector) =>
  [null, PHONE, OTHER].flatMap((targetDeviceId) => [undefined, 'onnx', 'tflite', 'rknn'].map((format) => ({ targetDeviceId, selector, ...(format ? { format } : {}) }))),
);

describe('device selector: SQL and TypeScript', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  /** Each job (as `j`) against each device (as `d`) in SQL: [job index, device index] of the pairs that match. */
  const sqlPairs = async (condition: string): Promise<string[]> => {
    const { rows } = await client.query(
      `WITH j AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS j(i int, target_device_id uuid, selector jsonb, format text)),
            d AS (SELECT d.k, d.id, d.device_class, d.cpu_model, d.tags, ARRAY(SELECT jsonb_array_elements_text(d.formats)) AS formats
                    FROM jsonb_to_recordset($2::jsonb) AS d(k int, id uuid, device_class text, cpu_model text, tags jsonb, formats jsonb))
       SELECT j.i, d.k FROM j CROSS JOIN d WHERE ${condition} ORDER BY j.i, d.k`,
      [
        JSON.stringify(jobs.map((j, i) => ({ i, target_device_id: j.targetDeviceId, selector: j.selector, format: j.format ?? 'onnx' }))),
        JSON.stringify(devices.map((d, k) => ({ k, id: d.id, device_class: d.deviceClass, cpu_model: d.cpuModel, tags: d.tags, formats: d.formats ?? ['onnx'] }))),
      ],
    );
    return rows.map((r: { i: number; k: number }) => `${r.i}/${r.k}`);
  };
  const tsPairs = (match: (j: MatchedJob, d: MatchedDevice) => boolean) => jobs.flatMap((j, i) => devices.flatMap((d, k) => (match(j, d) ? [`${i}/${k}`] : [])));

  it('a selector matches the same devices in both', async () => {
    const sql = await sqlPairs(selectorMatchSql('j.selector', 'd'));

    expect(sql).toEqual(tsPairs((j, d) => selectorMatches(j.selector, d)));
    expect(sql.length).toBeGreaterThan(0);
    expect(sql.length).toBeLessThan(jobs.length * devices.length);
  });

  it('a job may run on the same devices in both: target, selector and format', async () => {
    const sql = await sqlPairs(jobRunnableOn('j', 'd'));

    expect(sql).toEqual(tsPairs(jobRunnable));
    expect(sql.length).toBeGreaterThan(0);
  });
});
