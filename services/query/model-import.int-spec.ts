import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { foreignOnnx } from '../../test/support/foreign-onnx.js';
import { freePort } from '../../test/support/free-port.js';
import { undocumentedAnswer } from '../../test/support/openapi-answer.js';
import { createTestDatabase } from '../../test/support/test-database.js';
import { loadConfig } from '../lib/config/index.js';
import { buildTflite } from '../lib/models/index.js';
import { createDataSource } from '../lib/store/index.js';
import { startQuery } from './main.js';

const API_KEY = 'model-import-spec-key-0123456789';

describe('POST /api/v1/models', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let app: INestApplication;
  let base: string;

  const upload = async (bytes: Uint8Array, query: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}/api/v1/models?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${API_KEY}`, ...headers },
      body: bytes,
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const stored = async () => (await ds.query(`SELECT sha256, name, origin FROM models ORDER BY sha256`)) as Array<{ sha256: string; name: string; origin: string }>;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, { poolSize: 2 });
    await ds.initialize();
    const port = await freePort();
    app = await startQuery(
      loadConfig({ DATABASE_URL: db.url, LATFLEET_HTTP_PORT: String(port), LATFLEET_LOG_LEVEL: 'error', LATFLEET_API_KEYS: API_KEY, LATFLEET_MAX_MODEL_MB: '16' }),
    );
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app?.close();
    await ds?.destroy();
    await db?.drop();
  });

  it('stores an ONNX file with its layers (201), answers the same file under the same name with the stored model (200)', async () => {
    const first = await upload(foreignOnnx(), 'name=tiny-torch');
    const again = await upload(foreignOnnx(), 'name=tiny-torch');

    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      name: 'tiny-torch',
      family: 'imported',
      format: 'onnx',
      origin: 'imported',
      inputName: 'pixel_values',
      inputShape: [1, 3, 32, 32],
      madds: 78_848,
    });
    expect(first.body['layers']).toHaveLength(8);
    expect(again).toEqual({ status: 200, body: first.body });
  });

  it('answers as the generated OpenAPI document says, for the imported model, the one imported before and a refusal', async () => {
    const doc = await (await fetch(`${base}/api/docs/openapi.json`)).json();
    const file = buildTflite('mobilenetv3-small-0.75@64').tflite;
    const answers = [await upload(file, 'name=documented'), await upload(file, 'name=documented'), await upload(foreignOnnx().subarray(0, 200), 'name=corrupt')];

    expect(answers.map((a) => a.status)).toEqual([201, 200, 400]);
    expect(answers.map((a) => undocumentedAnswer(doc, 'POST', '/api/v1/models', a)).filter(Boolean)).toEqual([]);
  });

  it('takes the input shape a dynamic file leaves open, and stores a TFLite file as TFLite', async () => {
    const dynamic = await upload(foreignOnnx({ batch: 'n' }), 'name=tiny-dynamic&inputShape=1,3,32,32');
    const tflite = await upload(buildTflite('mobilenetv3-small-0.75@96').tflite, 'name=v3-small-tflite');

    expect([dynamic.status, dynamic.body['inputShape']]).toEqual([201, [1, 3, 32, 32]]);
    expect([tflite.status, tflite.body['format'], tflite.body['inputShape']]).toEqual([201, 'tflite', [1, 96, 96, 3]]);
  });

  it('refuses bad uploads with the status and field that say why, and stores nothing for any of them', async () => {
    const before = await stored();

    const cases = await Promise.all([
      upload(foreignOnnx().subarray(0, 200), 'name=corrupt'),
      upload(foreignOnnx({ batch: 'n' }), 'name=dynamic'),
      upload(foreignOnnx({ batch: 'n' }), 'name=dynamic&inputShape=1,3,64,64'),
      upload(foreignOnnx(), 'name=mobilenetv2-1.0'),
      upload(foreignOnnx(), 'name=other-name'),
      upload(foreignOnnx({ batch: 2 }), 'name=tiny-torch'),
      upload(new Uint8Array(16 * 2 ** 20 + 1), 'name=huge'),
      upload(foreignOnnx(), 'name=no-key', { authorization: '' }),
      upload(foreignOnnx(), 'name=text', { 'content-type': 'text/plain' }),
      upload(foreignOnnx(), 'inputShape=1,3,32,32'),
    ]);

    expect(cases.map((c) => [c.status, c.body['error']?.field])).toEqual([
      [400, 'file'],
      [400, 'inputShape'],
      [400, 'inputShape'],
      [400, 'name'],
      [409, 'file'],
      [409, 'name'],
      [413, 'file'],
      [401, undefined],
      [400, 'content-type'],
      [400, 'name'],
    ]);
    expect(cases[0]!.body['error'].message).toMatch(/^file: not a valid ONNX model/);
    expect(cases[4]!.body['error'].message).toMatch(/^this file is stored already, as 'tiny-torch'/);
    expect(cases[6]!.body['error'].message).toBe('file: larger than 16 MB per model (LATFLEET_MAX_MODEL_MB)');
    expect(await stored()).toEqual(before);
  });

  it('lets a study name the imported model by name or sha256, measured in its own format', async () => {
    const [model] = await ds.query(`SELECT sha256 FROM models WHERE name = 'tiny-torch'`);
    const [tflite] = await ds.query(`SELECT sha256 FROM models WHERE name = 'v3-small-tflite'`);
    const res = await fetch(`${base}/api/v1/studies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ name: 'byom', variants: ['tiny-torch', { label: 'by-hash', model: tflite.sha256 }], protocol: { replicates: 1, maxReplicates: 1 } }),
    });
    const study = (await res.json()) as { variants: Array<{ label: string; model: { sha256: string; format: string; origin: string } }> };

    expect(res.status).toBe(201);
    expect(study.variants.map((v) => [v.label, v.model.format, v.model.origin])).toEqual([
      ['tiny-torch', 'onnx', 'imported'],
      ['by-hash', 'tflite', 'imported'],
    ]);
    expect(study.variants[0]!.model.sha256).toBe(model.sha256);
  });
});
