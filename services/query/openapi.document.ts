import { z } from 'zod';
import { accuracyListQuery, createAccuracyBody } from './accuracy.dto.js';
import { deviceHistoryQuery, deviceListQuery } from './device.dto.js';
import { modelDevicesQuery, modelListQuery } from './model.dto.js';
import { runListQuery } from './run.dto.js';
import { ablationTableQuery, comparisonQuery, layerDeltaQuery, paretoQuery, rewardQuery, studyListQuery } from './study.dto.js';

type JsonSchema = Record<string, unknown>;

interface Operation {
  method: 'get' | 'post' | 'delete';
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** answers without an API key (probes, Prometheus, these docs) */
  open?: boolean;
  query?: z.ZodType;
  body?: z.ZodType | JsonSchema;
  /** status → [description, schema or content type] */
  responses: Record<number, [string, (JsonSchema | string)?]>;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const obj = (properties: Record<string, JsonSchema>, required = Object.keys(properties)) => ({ type: 'object', properties, required });
const num = (description?: string) => ({ type: 'number', ...(description ? { description } : {}) });
const str = (description?: string) => ({ type: 'string', ...(description ? { description } : {}) });
const nullable = (s: JsonSchema) => ({ anyOf: [s, { type: 'null' }] });
const arr = (items: JsonSchema) => ({ type: 'array', items });
const page = (item: JsonSchema) => obj({ items: arr(item), limit: { type: 'integer' }, offset: { type: 'integer' }, total: { type: 'integer' } });
const verdict = { enum: ['faster', 'slower', 'within noise'] };
const device = obj({ id: str(), name: str(), deviceClass: str() });

const SCHEMAS: Record<string, JsonSchema> = {
  Error: obj({ error: obj({ code: { enum: ['VALIDATION_FAILED', 'NOT_FOUND', 'UNAUTHENTICATED', 'PERMISSION_DENIED', 'CONFLICT', 'UNAVAILABLE', 'INTERNAL'] }, message: str(), field: str('the input field at fault') }, ['code', 'message']) }),
  Device: obj({ id: str(), name: str(), deviceClass: str(), cpuModel: str(), cores: { type: 'integer' }, os: str(), runner: str(), runtimeVersion: str(), agentVersion: str(), tags: { type: 'object' }, state: { enum: ['online', 'offline'] }, lastSeenAt: nullable(str()) }),
  ComparisonRow: obj({
    variant: str(), variantId: str(), baseline: { type: 'boolean' }, model: str(), device: str(), deviceId: str(),
    medianMs: num(), p90Ms: num(), ciLowMs: num('95% bootstrap CI of the median'), ciHighMs: num(), samples: { type: 'integer' },
    deltaMs: nullable(num('vs the baseline on the same device')), deltaPct: nullable(num()),
    deltaCiLowMs: nullable(num('95% bootstrap CI of the median difference')), deltaCiHighMs: nullable(num()),
    pValue: nullable(num('two-sided Mann–Whitney U')), significant: nullable({ type: 'boolean' }), verdict: nullable(verdict),
    madds: { type: 'integer' }, params: { type: 'integer' }, top1: nullable(num('ImageNet top-1, %')), top1Source: nullable(str()), runIds: arr(str()),
  }),
  Comparison: obj({ studyId: str(), study: str(), status: str(), baseline: str(), confidenceLevel: num(), noiseTest: str(), devices: arr(device), variants: arr({ type: 'object' }), rows: arr(ref('ComparisonRow')) }),
  AblationTable: obj({
    studyId: str(), study: str(), status: str(), baseline: str(), confidenceLevel: num(), noiseTest: str(), devices: arr(device),
    rows: arr(obj({
      variant: str(), baseline: { type: 'boolean' }, model: str(), madds: { type: 'integer' }, params: { type: 'integer' }, top1: nullable(num()), top1Source: nullable(str()),
      latency: arr(nullable(obj({ medianMs: num(), ciLowMs: num(), ciHighMs: num(), deltaMs: nullable(num()), deltaPct: nullable(num()), verdict: nullable(verdict), samples: { type: 'integer' } }))),
    })),
  }),
  GroupDelta: obj({ key: str(), baselineMs: num(), variantMs: num(), deltaMs: num(), deltaPct: nullable(num()), shareOfDelta: nullable(num()), pValue: nullable(num()), verdict }),
  LayerDeltas: obj({
    studyId: str(), study: str(), device, variant: { type: 'object' }, baseline: { type: 'object' }, endToEnd: { type: 'object' }, profiledKernel: { type: 'object' }, note: str(),
    groups: obj(Object.fromEntries(['block', 'op', 'role', 'runtimeOp', 'layer'].map((g) => [g, arr(ref('GroupDelta'))]))),
  }),
  AttributedGroupRow: obj({
    key: str('block or runtime op type; `(unattributed)`: nodes no layer claims; `(session)`: the run’s time outside every node'),
    kernelMs: num('median over profiled runs of the kernel time'), overheadMs: num('median of the executor’s time between kernels spent on these nodes'),
    totalMs: num('median of kernel + overhead'), share: num('of the kernel table'), totalShare: num('of the kernel + overhead table, session included'),
    nodes: { type: 'integer', description: 'runtime nodes' },
  }),
  LayerSumRatios: obj({
    toProfiledMedian: nullable(num('÷ median of the profiled runs (wall time around session.run)')),
    toModelRunMedian: nullable(num('÷ median of the runtime’s own run time (`model_run`) over the profiled runs')),
    toTimedMedian: nullable(num('÷ median of the timed runs (profiling off)')),
  }),
  LayerRow: obj({
    layer: str('logical layer; `(unattributed)` for runtime nodes no layer claims'), block: nullable(str()), role: nullable(str()), op: nullable(str()),
    medianMs: num('median over profiled runs of the layer’s kernel time (stored node timings)'), share: num('of the summed kernel medians'),
    overheadMs: nullable(num('median of the executor’s time between kernels on the layer’s nodes; null for runs stored without it')),
    totalMs: nullable(num('median of kernel + overhead; null for runs stored without it')),
    totalShare: nullable(num('of the summed totals, `(session)` included; null for runs stored without it')),
    madds: nullable({ type: 'integer' }), runtimeNodes: arr(str()), runtimeOps: arr(str()),
  }),
  RunLayers: obj({
    runId: str(), variant: str(), device: str(),
    medianMs: num('end-to-end median of the timed (unprofiled) runs'), profiledMedianMs: num(), profilingOverheadPct: nullable(num('profiled vs timed median')),
    layerSumMs: num('sum of per-layer kernel medians'), layerSumRatio: nullable(num('layerSumMs ÷ profiled median')),
    attributionSource: nullable({ enum: ['lineage', 'names'], description: 'layers found through the optimized graph’s lineage, or by node-name prefix' }),
    modelRunMedianMs: nullable(num('median of `model_run` over the profiled runs')),
    layerSumWithOverheadMs: nullable(num('sum of per-layer kernel + overhead medians, `(session)` included')),
    ratios: obj({ kernel: ref('LayerSumRatios'), withOverhead: ref('LayerSumRatios') }),
    session: nullable(ref('AttributedGroupRow')),
    layers: arr(ref('LayerRow')),
    blocks: nullable(arr(ref('AttributedGroupRow'))), opTypes: nullable(arr(ref('AttributedGroupRow'))),
  }),
  Reward: obj({
    studyId: str(), study: str(), targetMs: num(), constraint: { enum: ['soft', 'hard'] }, alpha: num(), beta: num(), formula: str(),
    devices: arr(obj({ device, rows: arr(obj({ rank: nullable({ type: 'integer' }), variant: str(), model: str(), medianMs: num(), top1: nullable(num()), reward: nullable(num()), withinTarget: { type: 'boolean' } })) })),
  }),
  Pareto: obj({
    studyId: str(), study: str(),
    devices: arr(obj({
      device,
      points: arr(obj({ variant: str(), model: str(), medianMs: num(), madds: { type: 'integer' }, top1: nullable(num()), accuracyFront: { type: 'boolean' }, maddsFront: { type: 'boolean' } })),
      accuracyFront: arr(str()), maddsFront: arr(str()),
      maddsLatencyCorrelation: nullable(obj({ rho: num('Spearman'), n: { type: 'integer' } })),
    })),
  }),
  Accuracy: obj({ id: str(), model: nullable(str()), variantId: nullable(str()), top1: num(), top5: nullable(num()), dataset: str(), source: str(), createdAt: str() }),
  DeviceHistory: obj({
    device, optimization: str(), noiseTest: str(),
    models: arr(obj({
      model: str(), regression: { type: 'boolean' },
      segments: arr(obj({ runtimeVersion: str(), agentVersion: str(), runs: { type: 'integer' }, firstRunAt: str(), lastRunAt: str(), medianMs: num(), p90Ms: num(), ciLowMs: num(), ciHighMs: num(), samples: { type: 'integer' }, vsHistory: nullable({ type: 'object' }), regression: { type: 'boolean' } })),
    })),
  }),
  ModelAcrossDevices: obj({ model: str(), sha256s: arr(str()), madds: { type: 'integer' }, params: { type: 'integer' }, optimization: str(), devices: arr({ type: 'object' }) }),
};

const notFound: [string, JsonSchema] = ['unknown id', ref('Error')];
const invalid: [string, JsonSchema] = ['invalid parameter; `error.field` names it', ref('Error')];
const unauthenticated: [string, JsonSchema] = ['API key missing or not valid', ref('Error')];
const anyObject = { type: 'object' };

export const OPERATIONS: Operation[] = [
  { method: 'get', path: '/healthz', tag: 'health', open: true, summary: 'liveness', responses: { 200: ['ok', anyObject] } },
  { method: 'get', path: '/readyz', tag: 'health', open: true, summary: 'readiness (database reachable)', responses: { 200: ['ok', anyObject], 503: ['database unreachable', ref('Error')] } },
  { method: 'get', path: '/metrics', tag: 'health', open: true, summary: 'Prometheus exposition (see the README for every metric)', responses: { 200: ['metrics', 'text/plain'] } },
  { method: 'get', path: '/api/docs', tag: 'docs', open: true, summary: 'this API, as a page', responses: { 200: ['HTML', 'text/html'] } },
  { method: 'get', path: '/api/docs/openapi.json', tag: 'docs', open: true, summary: 'this API, as an OpenAPI 3.1 document', responses: { 200: ['OpenAPI document', anyObject] } },
  { method: 'get', path: '/api/v1/devices', tag: 'devices', summary: 'devices with their state', query: deviceListQuery, responses: { 200: ['a page of devices', page(ref('Device'))], 400: invalid } },
  {
    method: 'get', path: '/api/v1/devices/{id}/history', tag: 'devices', summary: 'one device across runtime and agent versions, with regressions flagged',
    description: 'Per model, the runs in time order cut into segments of one (runtime, agent) version pair; a segment slower than all earlier ones pooled, beyond the noise, is a regression.',
    query: deviceHistoryQuery, responses: { 200: ['history', ref('DeviceHistory')], 400: invalid, 404: notFound },
  },
  { method: 'get', path: '/api/v1/studies', tag: 'studies', summary: 'studies, newest first', query: studyListQuery, responses: { 200: ['a page of studies', page(anyObject)], 400: invalid } },
  {
    method: 'post', path: '/api/v1/studies', tag: 'studies', summary: 'create a study from a spec (builds the variants, queues the jobs)',
    body: { type: 'object', description: 'study spec: name, base or variants, axes, baseline, protocol (see the README)' },
    responses: { 201: ['the study with its variants and jobs', anyObject], 400: invalid },
  },
  { method: 'get', path: '/api/v1/studies/{id}', tag: 'studies', summary: 'one study: status, progress, variants (MAdds, params), jobs', responses: { 200: ['the study', anyObject], 404: notFound } },
  {
    method: 'post', path: '/api/v1/studies/{id}/cancel', tag: 'studies', summary: 'cancel a study: queued jobs never run, running ones are aborted; stored results stay',
    responses: { 200: ['cancelled', obj({ id: str(), status: { enum: ['cancelled'] }, abortedJobs: { type: 'integer' } })], 401: unauthenticated, 404: notFound },
  },
  {
    method: 'get', path: '/api/v1/studies/{id}/comparison', tag: 'analysis', summary: 'per variant and device: median with its CI, Δ vs the baseline and whether it exceeds the noise',
    query: comparisonQuery, responses: { 200: ['comparison', ref('Comparison')], 400: invalid, 404: notFound },
  },
  {
    method: 'get', path: '/api/v1/studies/{id}/table', tag: 'analysis', summary: "the study as a paper's ablation table: rows variants; latency per device, Δ, MAdds, params, top-1",
    query: ablationTableQuery, responses: { 200: ['table (JSON, or CSV with format=csv)', ref('AblationTable')], 400: invalid, 404: notFound },
  },
  {
    method: 'get', path: '/api/v1/studies/{id}/layer-deltas', tag: 'analysis', summary: 'where the time went between two variants: deltas per block, op, role, runtime op type and layer',
    query: layerDeltaQuery, responses: { 200: ['deltas', ref('LayerDeltas')], 400: invalid, 404: notFound },
  },
  {
    method: 'get', path: '/api/v1/studies/{id}/reward', tag: 'analysis', summary: 'MnasNet reward ACC·(LAT/T)^w per device and the ranking by it',
    query: rewardQuery, responses: { 200: ['ranking', ref('Reward')], 400: invalid, 404: notFound },
  },
  {
    method: 'get', path: '/api/v1/studies/{id}/pareto', tag: 'analysis', summary: 'Pareto fronts latency–accuracy and latency–MAdds per device, and the MAdds–latency rank correlation',
    query: paretoQuery, responses: { 200: ['fronts', ref('Pareto')], 400: invalid, 404: notFound },
  },
  { method: 'get', path: '/api/v1/runs', tag: 'runs', summary: 'runs, newest first', query: runListQuery, responses: { 200: ['a page of runs', page(anyObject)], 400: invalid } },
  {
    method: 'get', path: '/api/v1/runs/{id}/layers', tag: 'runs', summary: 'per logical layer of one run: kernel, executor overhead and total medians with their shares; the session bucket; layer-sum ratios',
    description:
      'Kernel medians per layer come from the stored node timings. Executor overhead (the runtime’s time between kernels), totals, ' +
      'the `(session)` bucket (time in `model_run` outside every node: neither a layer nor `(unattributed)`), the per-block and per-op-type ' +
      'tables and the ratios come from the agent’s report; runs stored before agents reported overhead have them null (kernel time only).',
    responses: { 200: ['layers', ref('RunLayers')], 404: notFound },
  },
  { method: 'get', path: '/api/v1/models', tag: 'models', summary: 'stored models (built variants) with their run counts', query: modelListQuery, responses: { 200: ['a page of models', page(anyObject)], 400: invalid } },
  {
    method: 'get', path: '/api/v1/models/{ref}/devices', tag: 'models', summary: 'one model side by side on every device that ran it (ref: sha256 or canonical name)',
    query: modelDevicesQuery, responses: { 200: ['per device', ref('ModelAcrossDevices')], 400: invalid, 404: notFound },
  },
  { method: 'get', path: '/api/v1/accuracies', tag: 'accuracy', summary: 'the accuracy registry (published top-1 preloaded with their source)', query: accuracyListQuery, responses: { 200: ['a page of entries', page(ref('Accuracy'))], 400: invalid } },
  {
    method: 'post', path: '/api/v1/accuracies', tag: 'accuracy', summary: 'attach an accuracy to a model (by name) or to one variant; the latest entry wins',
    body: createAccuracyBody, responses: { 201: ['the entry', ref('Accuracy')], 400: invalid, 401: unauthenticated, 404: ['unknown variant', ref('Error')] },
  },
  {
    method: 'post', path: '/api/v1/enrollment-tokens', tag: 'enrollment', summary: 'issue a token agents enroll with (the secret is shown once)',
    body: obj({ name: str(), ttlHours: nullable(num('hours until it expires; null: never')) }, []),
    responses: { 201: ['the token, with its secret', anyObject], 400: invalid, 401: unauthenticated },
  },
  { method: 'get', path: '/api/v1/enrollment-tokens', tag: 'enrollment', summary: 'issued tokens (no secrets)', responses: { 200: ['tokens', obj({ items: arr(anyObject) })], 401: unauthenticated } },
  { method: 'delete', path: '/api/v1/enrollment-tokens/{id}', tag: 'enrollment', summary: 'revoke a token', responses: { 200: ['the revoked token', anyObject], 401: unauthenticated, 404: notFound } },
];

const jsonSchema = (s: z.ZodType | JsonSchema): JsonSchema => {
  if (!(s instanceof z.ZodType)) return s;
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

function parameters(op: Operation): JsonSchema[] {
  const path = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  if (!op.query) return path;
  const schema = jsonSchema(op.query) as { properties?: Record<string, JsonSchema & { description?: string }>; required?: string[] };
  const query = Object.entries(schema.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    ...(s.description ? { description: s.description } : {}),
    schema: s,
  }));
  return [...path, ...query];
}

function responses(op: Operation): JsonSchema {
  return Object.fromEntries(
    Object.entries(op.responses).map(([status, [description, content]]) => [
      status,
      {
        description,
        ...(content === undefined
          ? {}
          : typeof content === 'string'
            ? { content: { [content]: { schema: { type: 'string' } } } }
            : { content: { 'application/json': { schema: content }, ...(op.path.endsWith('/table') ? { 'text/csv': { schema: { type: 'string' } } } : {}) } }),
      },
    ]),
  );
}

/** OpenAPI 3.1 of the query service; query and body schemas come from the same zod schemas that validate requests. */
export function openApiDocument(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of OPERATIONS) {
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      tags: [op.tag],
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      operationId: `${op.method}${op.path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      parameters: parameters(op),
      ...(op.open ? { security: [] } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } } } : {}),
      responses: responses(op),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'latfleet query API',
      version: '1',
      description:
        'Measured latency of CNN variants on real devices: comparisons, ablation tables, per-layer deltas, reward, Pareto fronts. ' +
        'Errors: {"error": {"code", "message", "field"?}}. Write endpoints need an API key (LATFLEET_API_KEYS), read endpoints too when LATFLEET_API_READ=key.',
    },
    security: [{ bearer: [] }, { apiKeyHeader: [] }],
    paths,
    components: {
      schemas: SCHEMAS,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } },
    },
  };
}
