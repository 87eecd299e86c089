import { request } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/lib/config/index.js';
import { createDataSource } from '../../services/lib/store/index.js';
import { startQuery } from '../../services/query/main.js';
import { freePort } from '../support/free-port.js';
import { auditStudyRows, type RowAudit } from '../support/row-audit.js';
import { insertDevice, insertModel, insertRun, insertStudy, latencies } from '../support/study-results.factory.js';
import { foreignOnnx } from '../support/foreign-onnx.js';
import { createTestDatabase } from '../support/test-database.js';
import { countAnswer, FUZZ_RUNS, fuzzSurface, type SurfaceCounts } from './fuzz-settings.js';
import { nastyString, nastyValue, nearValid } from './nasty.arbitrary.js';
import { RowSnapshot } from './row-snapshot.js';
import { FIGURE_NAMES } from '../../services/query/contract.js';

const API_KEY = 'fuzz-spec-key-0123456789';
const HEALTH_WITHIN_MS = 5_000;

interface Answer {
  status: number;
  body: string;
}

/** Raw HTTP, so that paths reach the server as written (fetch would resolve `../` and re-encode). */
function send(port: number, method: string, path: string, o: { body?: string | Uint8Array; key?: boolean; contentType?: string; timeoutMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (o.body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
    if (o.key) headers['authorization'] = `Bearer ${API_KEY}`;
    const req = request({ host: '127.0.0.1', port, method, path, headers, timeout: o.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${o.timeoutMs ?? 30_000} ms`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Percent-encodes only what an HTTP request line cannot carry: `../`, `%zz` and the like go through raw. */
const percent = (c: string) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
const lightlyEncoded = (s: string) => s.replace(/[^\x21-\x7e]|[?#&=]/gu, percent);
/** encodeURIComponent, which throws on a lone surrogate: that goes as the bytes Node would send (U+FFFD). */
const fullyEncoded = (s: string) => s.replace(/[^A-Za-z0-9\-_.!~*'()]/gu, percent);
const segment = fc.oneof(nastyString.map(fullyEncoded), nastyString.map(lightlyEncoded));

const QUERY_KEYS = [
  'limit',
  'offset',
  'status',
  'name',
  'device',
  'include',
  'format',
  'variant',
  'baseline',
  'target',
  'constraint',
  'alpha',
  'beta',
  'class',
  'dataset',
  'family',
  'measured',
  'model',
  'optimization',
  'source',
  'state',
  'study',
  'from',
  'to',
  'since',
];
const queryValue = fc.oneof(nastyString, fc.constantFrom('flagged', 'csv', 'json', 'hard', 'soft', '10', '0', '-1', '2147483648', '1e400', 'completed', 'vm'));
const queryString = fc
  .array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) }, { weight: 1, arbitrary: nastyString }), queryValue, fc.boolean()), { maxLength: 5 })
  .map((pairs) =>
    pairs.length ? `?${pairs.map(([k, v, light]) => (light ? `${lightlyEncoded(k)}=${lightlyEncoded(v)}` : `${fullyEncoded(k)}=${fullyEncoded(v)}`)).join('&')}` : '',
  );

describe('the HTTP API under fuzzing', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let pool: pg.Pool;
  let app: INestApplication;
  let port: number;
  let snapshot: RowSnapshot;
  let studyAudit: RowAudit;
  const ids = { study: '', run: '', device: '', deviceName: 'vm', model: '' };

  const auditStudy = () => auditStudyRows(pool, ids.study, { requireCompleted: false });

  /** The invariants every case must keep, whatever it sent. */
  async function check(answer: Answer | Error, before: Map<string, string>, counts: SurfaceCounts, what: string): Promise<void> {
    const health = await send(port, 'GET', '/healthz', { timeoutMs: HEALTH_WITHIN_MS }).catch((err: Error) => err);
    if (health instanceof Error || health.status !== 200) {
      counts.crashes++;
      throw new Error(`${what}: /healthz did not answer 200 within ${HEALTH_WITHIN_MS} ms afterwards (${health instanceof Error ? health.message : health.status})`);
    }
    if (answer instanceof Error) throw new Error(`${what}: ${answer.message}`);
    countAnswer(counts, answer.status);
    if (answer.status >= 500) {
      counts.serverErrors++;
      throw new Error(`${what}: ${answer.status} ${answer.body.slice(0, 500)}`);
    }
    if (answer.status >= 400) {
      const changed = RowSnapshot.changed(before, await snapshot.take(pool));
      if (changed.length) {
        counts.rowsChanged++;
        throw new Error(`${what}: rejected with ${answer.status}, yet rows changed in ${changed.join(', ')}`);
      }
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, { poolSize: 2 });
    await ds.initialize();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const device = await insertDevice(ds, { name: ids.deviceName });
    const model = await insertModel(ds, 'mobilenetv3-small-0.75@96');
    const other = await insertModel(ds, 'mobilenetv3-small-0.75@96+act=relu');
    const study = await insertStudy(ds, {
      name: 'done',
      baseline: 'a',
      variants: [
        { label: 'a', model },
        { label: 'b', model: other },
      ],
    });
    ids.run = await insertRun(ds, { studyId: study.id, variantId: study.variantIds['a']!, deviceId: device.id, model, latenciesNs: latencies(4e6) });
    await insertRun(ds, { studyId: study.id, variantId: study.variantIds['b']!, deviceId: device.id, model: other, latenciesNs: latencies(3e6) });
    Object.assign(ids, { study: study.id, device: device.id, model: model.sha256 });
    port = await freePort();
    const config = loadConfig({
      DATABASE_URL: db.url,
      LATFLEET_HTTP_PORT: String(port),
      LATFLEET_LOG_LEVEL: 'error',
      LATFLEET_API_KEYS: API_KEY,
      LATFLEET_QUERY_STATEMENT_TIMEOUT_MS: '5000',
    });
    app = await startQuery(config);
    snapshot = await RowSnapshot.of(pool);
    studyAudit = await auditStudy();
  });

  afterAll(async () => {
    await app?.close();
    await pool?.end();
    await ds?.destroy();
    await db?.drop();
  });

  it(`answers ${FUZZ_RUNS} arbitrary GETs on every route with a status below 500, and keeps answering`, async () => {
    const routes = [
      '/healthz',
      '/readyz',
      '/api/docs',
      '/api/docs/openapi.json',
      '/api/v1/accuracies',
      '/api/v1/devices',
      '/api/v1/devices/{device}/history',
      '/api/v1/enrollment-tokens',
      '/api/v1/models',
      '/api/v1/models/{model}/devices',
      '/api/v1/runs',
      '/api/v1/runs/{run}',
      '/api/v1/runs/{run}/latencies',
      '/api/v1/runs/{run}/layers',
      '/api/v1/studies',
      '/api/v1/studies/{study}',
      '/api/v1/studies/{study}/comparison',
      '/api/v1/studies/{study}/table',
      '/api/v1/studies/{study}/layer-deltas',
      '/api/v1/studies/{study}/reward',
      '/api/v1/studies/{study}/pareto',
      '/api/v1/studies/{study}/predicted',
      '/api/v1/studies/{study}/figures/{figure}.svg',
      '/api/v1/studies/{study}/figures/{figure}.vl.json',
      '/api/v1/predictors',
      '/studies',
      '/studies/{study}',
      '/metrics',
      '/api/v1/{any}',
      '/{any}/{any}',
    ];
    const real = {
      device: () => [ids.device, ids.deviceName],
      model: () => [ids.model, 'mobilenetv3-small-0.75@96'],
      run: () => [ids.run],
      study: () => [ids.study],
      any: () => ['studies', 'runs'],
      figure: () => [...FIGURE_NAMES],
    };
    const arb = fc.record({
      route: fc.constantFrom(...routes),
      params: fc.array(fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: segment }), { minLength: 3, maxLength: 3 }),
      realIndex: fc.nat(),
      query: queryString,
      key: fc.boolean(),
    });
    const before = await snapshot.take(pool);
    await fuzzSurface('http GET', arb, async ({ route, params, realIndex, query, key }, counts) => {
      let i = 0;
      const path = route.replace(/\{(\w+)\}/g, (_, name: keyof typeof real) => {
        const p = params[i++ % params.length];
        if (p !== null && p !== undefined) return p;
        const choices = real[name]();
        return choices[realIndex % choices.length]!;
      });
      const answer = await send(port, 'GET', `${path}${query}`, { key }).catch((err: Error) => err);
      await check(answer, before, counts, `GET ${path}${query}`);
    });
    expect(await auditStudy()).toEqual(studyAudit);
  });

  it(`answers ${FUZZ_RUNS} arbitrary and near-valid study specs with a status below 500, storing nothing when it refuses`, async () => {
    const valid = {
      name: 'fuzz-study',
      description: 'fuzzed',
      base: 'mobilenetv3-small-0.75@96',
      axes: { activation: ['relu', 'paper'] },
      baseline: 'paper',
      protocol: { warmupRuns: 1, timedRuns: 5, profiledRuns: 1 },
      devices: { class: 'cpu', tags: { rack: 'a' } },
      priority: 0,
    };
    const body = fc.oneof(
      { weight: 6, arbitrary: nearValid(valid).map((v) => ({ raw: JSON.stringify(v), contentType: undefined as string | undefined })) },
      { weight: 2, arbitrary: nastyValue.map((v) => ({ raw: JSON.stringify(v) ?? 'null', contentType: undefined as string | undefined })) },
      {
        weight: 1,
        arbitrary: fc.record({ raw: nastyString, contentType: fc.constantFrom<string | undefined>('application/json', 'text/plain', 'application/x-www-form-urlencoded') }),
      },
    );
    const arb = fc.record({ body, key: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) });
    let before = await snapshot.take(pool);
    await fuzzSurface('http POST /api/v1/studies', arb, async ({ body: { raw, contentType }, key }, counts) => {
      const answer = await send(port, 'POST', '/api/v1/studies', { body: raw, contentType, key }).catch((err: Error) => err);
      await check(answer, before, counts, `POST /api/v1/studies ${raw.slice(0, 300)}`);
      if (!(answer instanceof Error) && answer.status < 400) before = await snapshot.take(pool);
    });
    expect(await auditStudy()).toEqual(studyAudit);
  });

  it(`answers ${FUZZ_RUNS} damaged, arbitrary and near-valid model uploads with a status below 500, storing nothing when it refuses`, async () => {
    const onnx = foreignOnnx();
    const damagedOnnx = fc.array(fc.tuple(fc.nat(onnx.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }).map((edits) => {
      const copy = new Uint8Array(onnx);
      for (const [at, value] of edits) copy[at] = value;
      return copy;
    });
    const body = fc.oneof(
      { weight: 4, arbitrary: damagedOnnx },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4096 }) },
      { weight: 1, arbitrary: nastyString.map((s) => new TextEncoder().encode(s)) },
    );
    const arb = fc.record({
      body,
      query: fc.oneof(queryString, fc.constantFrom('?name=fuzz-net', '?name=fuzz-net&inputShape=1,3,32,32', '?name=mobilenetv2-1.0', '?inputShape=0,0')),
      contentType: fc.constantFrom('application/octet-stream', 'application/octet-stream', 'application/json', 'text/plain'),
      key: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    });
    let before = await snapshot.take(pool);
    await fuzzSurface('http POST /api/v1/models', arb, async ({ body: file, query, contentType, key }, counts) => {
      const answer = await send(port, 'POST', `/api/v1/models${query}`, { body: file, contentType, key }).catch((err: Error) => err);
      await check(answer, before, counts, `POST /api/v1/models${query} (${file.length} bytes, ${contentType})`);
      if (!(answer instanceof Error) && answer.status < 400) before = await snapshot.take(pool);
    });
    expect(await auditStudy()).toEqual(studyAudit);
  });
});
