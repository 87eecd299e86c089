import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertEnrollmentToken } from '../../test/support/fleet-rows.factory.js';
import { freePort } from '../../test/support/free-port.js';
import { insertDevice, insertModel, insertRun, insertStudy, latencies } from '../../test/support/study-results.factory.js';
import { createTestDatabase } from '../../test/support/test-database.js';
import { loadConfig } from '../lib/config/index.js';
import { createDataSource, REVOKED } from '../lib/store/index.js';
import { startQuery } from './main.js';

const API_KEY = 'abuse-spec-key-0123456789';

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(base: string, path: string, o: { method?: string; body?: unknown; key?: boolean } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.key) headers['authorization'] = `Bearer ${API_KEY}`;
  const res = await fetch(`${base}${path}`, { method: o.method ?? 'GET', headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : text };
}

/** The query API under hostile input: a clear 4xx naming the field or limit, nothing stored, no 500. */
describe('query HTTP API under abuse', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  const apps: INestApplication[] = [];
  let open: string;
  let keyed: string;
  const ids = { completed: '', failed: '', orphanRun: '' };
  const studyRows = () => ds.query(`SELECT * FROM studies ORDER BY id`);
  const jobRows = () => ds.query(`SELECT * FROM jobs ORDER BY id`);

  async function start(read: 'open' | 'key', env: Record<string, string> = {}): Promise<string> {
    const port = await freePort();
    const config = { DATABASE_URL: db.url, LATFLEET_HTTP_PORT: String(port), LATFLEET_LOG_LEVEL: 'error', LATFLEET_API_KEYS: API_KEY, LATFLEET_API_READ: read, ...env };
    apps.push(await startQuery(loadConfig(config)));
    return `http://127.0.0.1:${port}`;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, { poolSize: 4 });
    await ds.initialize();
    const device = await insertDevice(ds, { name: 'vm' });
    const model = await insertModel(ds, 'mobilenetv3-small-0.75');
    const completed = await insertStudy(ds, { name: 'done', baseline: 'a', variants: [{ label: 'a', model }] });
    const failed = await insertStudy(ds, { name: 'broken', baseline: 'a', variants: [{ label: 'a', model }], status: 'failed' });
    Object.assign(ids, { completed: completed.id, failed: failed.id });
    await insertRun(ds, { studyId: completed.id, variantId: completed.variantIds['a']!, deviceId: device.id, model, latenciesNs: latencies(4e6) });
    // a run naming a model that is not stored (a model pruned, or an agent before model checks)
    const unknownModel = { ...model, sha256: 'f'.repeat(64) };
    ids.orphanRun = await insertRun(ds, { studyId: completed.id, variantId: completed.variantIds['a']!, deviceId: device.id, model: unknownModel, latenciesNs: latencies(4e6) });
    open = await start('open');
    keyed = await start('key', { LATFLEET_QUERY_STATEMENT_TIMEOUT_MS: '1000' });
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await ds?.destroy();
    await db?.drop();
  });

  it('refuses six axes of twenty values at once, naming the limit, and stores nothing', async () => {
    const before = await studyRows();
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    const axes = Object.fromEntries(['seed', 'stem', 'resolution', 'width', 'depth', 'head'].map((k) => [k, twenty]));
    const started = performance.now();

    const sut = await call(open, '/api/v1/studies', { method: 'POST', key: true, body: { name: 'grid', base: 'mobilenetv3-large-1.0', axes } });

    expect(performance.now() - started).toBeLessThan(1_000);
    expect(sut).toMatchObject({ status: 400, body: { error: { field: 'axes', message: expect.stringContaining('at most 256') } } });
    expect(await studyRows()).toEqual(before);
  });

  it('refuses a model above the size limit, naming the variant and the limit, and stores nothing', async () => {
    const before = await studyRows();
    const started = performance.now();

    const sut = await call(open, '/api/v1/studies', { method: 'POST', key: true, body: { name: 'huge', variants: ['efficientnet-b7+width=4+depth=8'] } });

    expect(performance.now() - started).toBeLessThan(2_000);
    expect(sut.status).toBe(400);
    expect(sut.body.error.message).toMatch(/efficientnet-b7\+width=4\+depth=8 .*at most 512 MB per model \(LATFLEET_MAX_MODEL_MB\)/);
    expect(await studyRows()).toEqual(before);
  });

  it.each([
    ['a path parameter', '/api/v1/models/x%00/devices', 'ref'],
    ['a query parameter', '/api/v1/studies?name=a%00b', 'name'],
    ['another query parameter', '/api/v1/runs?device=vm%00', 'device'],
  ])('answers a NUL character in %s with a 400 naming it, without a key', async (_what, path, field) => {
    const sut = await call(open, path);

    expect(sut).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', field } } });
  });

  it('answers a NUL character in a body with a 400 naming the field, and stores nothing', async () => {
    const before = await studyRows();

    const sut = await call(open, '/api/v1/studies', { method: 'POST', key: true, body: { name: 'nul', base: 'mobilenetv3-small-0.75@96', description: 'a\u0000b' } });

    expect(sut).toMatchObject({ status: 400, body: { error: { field: 'description' } } });
    expect(await studyRows()).toEqual(before);
  });

  it('answers an unpaired surrogate in a body (json refuses it) with a 400 naming the field, and stores nothing', async () => {
    const before = await studyRows();

    const sut = await call(open, '/api/v1/studies', { method: 'POST', key: true, body: { name: 'surrogate', base: 'mobilenetv3-small-0.75@96', description: '\ud800' } });

    expect(sut).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', field: 'description' } } });
    expect(await studyRows()).toEqual(before);
  });

  it.each(['/metrics', '/api/docs', '/api/docs/openapi.json'])('asks for the key on %s when reads need one', async (path) => {
    expect((await call(keyed, path)).status).toBe(401);
    expect((await call(keyed, path, { key: true })).status).toBe(200);
    expect((await call(open, path)).status).toBe(200);
  });

  it('keeps the health probes open when reads need a key', async () => {
    expect((await call(keyed, '/healthz')).status).toBe(200);
    expect((await call(keyed, '/readyz')).status).toBe(200);
  });

  it.each([
    ['completed', () => ids.completed],
    ['failed', () => ids.failed],
  ])('answers cancelling a %s study with 409, changing nothing', async (status, id) => {
    const [studies, jobs] = [await studyRows(), await jobRows()];

    const sut = await call(open, `/api/v1/studies/${id()}/cancel`, { method: 'POST', key: true });

    expect(sut).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT', message: expect.stringContaining(`already ${status}`) } } });
    expect(await studyRows()).toEqual(studies);
    expect(await jobRows()).toEqual(jobs);
  });

  it('revokes a device by name with a key only: its credential hash is cleared, its rows otherwise kept', async () => {
    const device = await insertDevice(ds, { name: 'to-revoke' });
    expect((await call(open, '/api/v1/devices/to-revoke/revoke', { method: 'POST' })).status).toBe(401);
    expect((await call(open, '/api/v1/devices/nobody/revoke', { method: 'POST', key: true })).status).toBe(404);

    const sut = await call(open, '/api/v1/devices/to-revoke/revoke', { method: 'POST', key: true });

    expect(sut).toMatchObject({ status: 200, body: { id: device.id, name: 'to-revoke', revoked: true, wasEnrolled: true } });
    const [row] = await ds.query(`SELECT credential_hash, state FROM devices WHERE id = $1`, [device.id]);
    expect(row).toEqual({ credential_hash: REVOKED, state: 'offline' });
    expect((await call(open, `/api/v1/devices/${device.id}/revoke`, { method: 'POST', key: true })).body).toMatchObject({ wasEnrolled: false });
  });

  it('revokes the devices that enrolled with a token when the token is revoked, and only those', async () => {
    const tokenId = await insertEnrollmentToken(ds, { name: 'lab-b', tokenHash: 'b'.repeat(64) });
    const enrolled = await insertDevice(ds, { name: 'enrolled-with-b', enrollmentTokenId: tokenId });
    const other = await insertDevice(ds, { name: 'enrolled-otherwise' });

    const sut = await call(open, `/api/v1/enrollment-tokens/${tokenId}`, { method: 'DELETE', key: true });

    expect(sut).toMatchObject({ status: 200, body: { id: tokenId, revokedDevices: 1 } });
    const rows = await ds.query(`SELECT id, credential_hash FROM devices WHERE id = ANY($1::uuid[]) ORDER BY name`, [[enrolled.id, other.id]]);
    expect(rows.find((r: { id: string }) => r.id === enrolled.id).credential_hash).toBe(REVOKED);
    expect(rows.find((r: { id: string }) => r.id === other.id).credential_hash).not.toBe(REVOKED);
  });

  it('does not say which framework answers', async () => {
    expect((await call(open, '/healthz')).headers.get('x-powered-by')).toBeNull();
  });

  it('bounds every statement of its connections by the configured timeout, 15 s by default', async () => {
    const [openDs, keyedDs] = apps.map((a) => a.get(DataSource));
    const shown = (d: DataSource) => Promise.all(Array.from({ length: 4 }, () => d.query(`SHOW statement_timeout`).then(([r]) => r.statement_timeout)));

    expect(await shown(openDs!)).toEqual(['15s', '15s', '15s', '15s']);
    expect(await shown(keyedDs!)).toEqual(['1s', '1s', '1s', '1s']);
    await expect(keyedDs!.query(`SELECT pg_sleep(3)`)).rejects.toMatchObject({ driverError: { code: '57014' } });
  });

  it('lists a run whose model is not stored, counted in the total like the others', async () => {
    const sut = await call(open, '/api/v1/runs?limit=500');

    expect(sut.status).toBe(200);
    expect(sut.body.items).toHaveLength(sut.body.total);
    expect(sut.body.items.find((r: { id: string }) => r.id === ids.orphanRun)).toMatchObject({ model: 'f'.repeat(64) });
    expect((await call(open, `/api/v1/runs/${ids.orphanRun}`)).status).toBe(200);
  });
});
