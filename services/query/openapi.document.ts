import { z } from 'zod';
import { ERROR_REASONS, ErrorCode } from '../lib/errors/index.js';
import { ABLATION_CELL_FIELDS } from './ablation-table.service.js';
import { accuracyListQuery, createAccuracyBody } from './accuracy.dto.js';
import { deviceHistoryQuery, deviceListQuery } from './device.dto.js';
import { artifactQuery, modelDevicesQuery, modelImportQuery, modelListQuery } from './model.dto.js';
import { predictionBody, predictorListQuery, trainPredictorBody } from './predictor.dto.js';
import { runLatenciesQuery, runListQuery } from './run.dto.js';
import { ablationTableQuery, comparisonQuery, layerDeltaQuery, paretoQuery, rewardQuery, studyListQuery } from './study.dto.js';
import { FIGURE_NAMES } from './figure-specs.js';
import { figureQuery } from './figure.dto.js';

const FIGURES_DESCRIPTION =
  'Drawn by Vega from a Vega-Lite spec built on the answer of the endpoint that gives the same figures as a table: latency and delta from ' +
  '/comparison (median with its CI; Δ with its CI and the ±MDE noise band), pareto-accuracy and pareto-madds from /pareto (and /predictions where a device has a predictor), layers and ' +
  'blocks from /runs/{run}/layers (kernel + executor overhead stacked), layer-delta from /layer-deltas, history from /devices/{device}/history.';

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
  /** answers text/csv too (format=csv) */
  csv?: boolean;
  body?: z.ZodType | JsonSchema;
  /** the body's content type; default application/json */
  bodyType?: string;
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
const int = (description?: string) => ({ type: 'integer', ...(description ? { description } : {}) });
const bool = (description?: string) => ({ type: 'boolean', ...(description ? { description } : {}) });
const verdict = { enum: ['faster', 'slower', 'within noise', 'undecided'] };
const device = obj({ id: str(), name: str(), deviceClass: str() });

/** LatencySummary (latency-statistics.ts): a latency from replicates, flagged runs counted. */
const latencySummary = {
  medianMs: nullable(num('median over the runs (replicates) of each run’s median; null when every run is flagged')),
  p90Ms: nullable(num('median over the runs of each run’s p90')),
  ciLowMs: nullable(num('95% hierarchical bootstrap CI of the median (runs, then iterations); null with fewer than 2 runs')),
  ciHighMs: nullable(num()),
  samples: int('timed iterations of the runs used'),
  replicates: int('runs the figures come from'),
  flaggedReplicates: int('flagged runs (throttled or busy after the agent’s retries): left out unless include=flagged'),
  flags: arr(str('a flag that flagged one of them (report.flaggedBy), e.g. busy-cpu')),
};

/** ReplicatedDelta (latency-statistics.ts): a difference from run medians paired by round. */
const replicatedDelta = {
  deltaMs: nullable(num('the baseline’s median × (ratio − 1)')),
  deltaPct: nullable(num('ratio − 1 in %, the ratio being the geometric mean of the per-round ratios of run medians')),
  deltaCiLowMs: nullable(num('95% interval of the ratio, over the baseline’s median')),
  deltaCiHighMs: nullable(num()),
  deltaCiLowPct: nullable(num('95% interval of the ratio − 1, in %')),
  deltaCiHighPct: nullable(num()),
  mdePct: nullable(num('minimum detectable effect: the interval’s half-width in %; "within noise" means within ±mdePct')),
  pValue: nullable(num('paired t on the log ratios (Welch for runs without a round)')),
  significant: nullable(bool('the interval excludes no difference; null when undecided')),
  verdict: nullable(verdict),
  verdictReason: nullable(str('why the verdict is undecided, e.g. "2 paired rounds: a verdict needs at least 3"')),
  rounds: nullable(int('rounds paired (paired) or the smaller side’s runs (unpaired)')),
  design: nullable({ enum: ['paired', 'unpaired'] }),
};

const pairedGroupDelta = {
  baselineMs: num('mean over the paired rounds of the baseline’s per-run medians (over all its runs when no round pairs)'),
  variantMs: num(),
  deltaMs: num('mean over rounds of variant − baseline'),
  deltaPct: nullable(num('relative to baselineMs; null when the baseline spends nothing there')),
  deltaCiLowMs: nullable(num('paired t interval (95%, not adjusted); null with fewer than 3 rounds')),
  deltaCiHighMs: nullable(num()),
  pValue: nullable(num('paired t; null with fewer than 3 rounds')),
  rounds: int('rounds in which both variants have a profiled run'),
  verdict,
};

const layerDeltaSide = obj({
  label: str(),
  model: str(),
  runIds: arr(str()),
  flaggedRunIds: arr(str()),
  replicates: int(),
  flaggedReplicates: int(),
  flags: arr(str()),
  profiledIterations: int(),
});

const reproducibility = {
  betweenStudyPct: num('the SD (%, log scale) of a study’s Δ between studies added in quadrature to every paired interval on the device'),
  source: { enum: ['learned', 'floor'], description: 'learned from the device’s comparisons repeated in several studies, or the protocol’s floor (betweenStudyPct)' },
  df: int('degrees of freedom of the learned estimate: Σ (studies − 1) over the repeated comparisons'),
  learnedPct: nullable(num('the learned estimate (%), once it rests on at least 5 degrees of freedom')),
};
const deviceReproducibility = arr(obj({ deviceId: str(), device: str(), ...reproducibility }));

const SCHEMAS: Record<string, JsonSchema> = {
  Error: obj({
    error: obj(
      {
        code: { enum: Object.values(ErrorCode), description: 'the class of the error (maps to the HTTP status)' },
        reason: { enum: Object.keys(ERROR_REASONS), description: 'what exactly went wrong (README, "Errors")' },
        message: str(),
        field: str('the input field at fault'),
      },
      ['code', 'reason', 'message'],
    ),
  }),
  Device: obj({
    id: str(),
    name: str(),
    deviceClass: str(),
    cpuModel: str(),
    cores: { type: 'integer' },
    os: str(),
    runner: str(),
    runtimeVersion: str(),
    agentVersion: str(),
    tags: { type: 'object' },
    formats: { type: 'array', items: str(), description: 'model formats its runner runs (onnx, tflite, a vendor format): it is leased only jobs of these' },
    state: { enum: ['online', 'offline'] },
    lastSeenAt: nullable(str()),
  }),
  ComparisonRow: obj({
    variant: str(),
    variantId: str(),
    baseline: bool(),
    model: str(),
    device: str(),
    deviceId: str(),
    ...latencySummary,
    ...replicatedDelta,
    madds: int(),
    params: int(),
    top1: nullable(num('ImageNet top-1, %')),
    top1Source: nullable(str()),
    runIds: arr(str('the runs the figures come from')),
    flaggedRunIds: arr(str('the flagged runs (also in runIds with include=flagged)')),
  }),
  Comparison: obj({
    studyId: str(),
    study: str(),
    status: str(),
    baseline: str(),
    confidenceLevel: num(),
    noiseTest: str(),
    includeFlagged: bool('flagged runs are in the figures'),
    devices: arr(device),
    variants: arr({ type: 'object' }),
    rows: arr(ref('ComparisonRow')),
    reproducibility: deviceReproducibility,
  }),
  AblationTable: obj({
    studyId: str(),
    study: str(),
    status: str(),
    baseline: str(),
    confidenceLevel: num(),
    noiseTest: str(),
    includeFlagged: bool(),
    devices: arr(device),
    reproducibility: deviceReproducibility,
    rows: arr(
      obj({
        variant: str(),
        baseline: bool(),
        model: str(),
        madds: int(),
        params: int(),
        top1: nullable(num()),
        top1Source: nullable(str()),
        latency: arr(nullable(obj(Object.fromEntries(ABLATION_CELL_FIELDS.map((f) => [f, ({ ...latencySummary, ...replicatedDelta } as Record<string, JsonSchema>)[f]!]))))),
      }),
    ),
  }),
  ReplicatedDelta: obj(replicatedDelta),
  GroupDelta: obj({
    key: str(),
    ...pairedGroupDelta,
    shareOfDelta: nullable(num('deltaMs ÷ the sum of every group’s |deltaMs|: signed like the group’s own delta, the |shares| add up to 1')),
    pAdjusted: nullable(num('Benjamini–Hochberg within the grouping; the verdict compares it with 0.05')),
  }),
  LayerDeltas: obj({
    studyId: str(),
    study: str(),
    device,
    variant: layerDeltaSide,
    baseline: layerDeltaSide,
    includeFlagged: bool(),
    reproducibility: obj(reproducibility),
    endToEnd: obj({ baselineMs: nullable(num('median of the timed runs’ medians')), variantMs: nullable(num()), ...replicatedDelta }),
    profiledKernel: obj(pairedGroupDelta),
    note: str(),
    groups: obj(Object.fromEntries(['block', 'op', 'role', 'runtimeOp', 'layer'].map((g) => [g, arr(ref('GroupDelta'))]))),
  }),
  RunSummary: obj({
    id: str(),
    studyId: str(),
    study: str(),
    variant: str(),
    model: str(),
    deviceId: str(),
    device: str(),
    medianMs: num(),
    p90Ms: num(),
    minMs: num(),
    timedRuns: int(),
    profiledMedianMs: num(),
    runtimeVersion: str(),
    agentVersion: str(),
    round: nullable(int('its job’s round; null for runs stored before rounds')),
    flagged: bool('throttled or busy after the agent’s retries'),
    createdAt: str(),
  }),
  Run: obj({
    id: str(),
    studyId: str(),
    study: str(),
    variantId: str(),
    variant: str(),
    model: str(),
    modelSha256: str(),
    deviceId: str(),
    device: str(),
    jobId: str(),
    attempt: int('the job attempt that stored it'),
    round: nullable(int('its job’s round; null for runs stored before rounds')),
    startedAt: str(),
    finishedAt: str(),
    createdAt: str(),
    environment: { type: 'object', description: 'device, core, CPU model, governor/frequency, temperature, runtime and agent versions, …' },
    protocol: { type: 'object', description: 'the measurement protocol' },
    statistics: obj({
      timedRuns: int(),
      medianNs: num(),
      p90Ns: num(),
      p99Ns: nullable(num()),
      minNs: num(),
      maxNs: nullable(num()),
      meanNs: num(),
      stdNs: nullable(num()),
      madNs: nullable(num('median absolute deviation (unscaled)')),
      medianCiLowNs: nullable(num('bootstrap 95% CI of the run’s median')),
      medianCiHighNs: nullable(num()),
      profiledMedianNs: num(),
      profilingOverhead: nullable(num('profiled median ÷ timed median − 1')),
    }),
    latencyRows: int(),
    layerRows: int(),
    flagged: bool('throttled or busy after the agent’s retries: left out of figures and verdicts unless include=flagged'),
    flags: arr(str('report.quality.flags: those that flagged it and, in an interleaved round, advisory ones')),
    flaggedBy: arr(str('the flags that flagged it (report.flaggedBy; report.quality.flags for reports without it); empty for a clean run')),
    attempts: arr(obj({ attempt: nullable(int('0 for the first')), flags: arr(str()), startedAt: nullable(str()), finishedAt: nullable(str()) })),
    resources: nullable(
      obj({
        loadFirstMs: num('creating the session (compiling the model) of the kept attempt'),
        loadWarmMs: num('creating it again right after'),
        peakResidentBytes: int('the runner process’s peak resident memory during the attempt'),
        peakResidentSource: { enum: ['vmhwm', 'process-lifetime'] },
      }),
    ),
    report: { type: 'object', description: 'the agent’s measurement report as stored' },
  }),
  RunLatencies: obj({ runId: str(), latencies: arr(obj({ iteration: int(), latencyNs: num() })) }),
  AttributedGroupRow: obj({
    key: str('block or runtime op type; `(unattributed)`: nodes no layer claims; `(session)`: the run’s time outside every node'),
    kernelMs: num('median over profiled runs of the kernel time'),
    overheadMs: num('median of the executor’s time between kernels spent on these nodes'),
    totalMs: num('median of kernel + overhead'),
    share: num('of the kernel table'),
    totalShare: num('of the kernel + overhead table, session included'),
    nodes: { type: 'integer', description: 'runtime nodes' },
  }),
  LayerSumRatios: obj({
    toProfiledMedian: nullable(num('÷ median of the profiled runs (wall time around session.run)')),
    toModelRunMedian: nullable(num('÷ median of the runtime’s own run time (`model_run`) over the profiled runs')),
    toTimedMedian: nullable(num('÷ median of the timed runs (profiling off)')),
  }),
  LayerRow: obj({
    layer: str('logical layer; `(unattributed)` for runtime nodes no layer claims'),
    block: nullable(str()),
    role: nullable(str()),
    op: nullable(str()),
    medianMs: num('median over profiled runs of the layer’s kernel time (stored node timings)'),
    share: num('of the summed kernel medians'),
    overheadMs: nullable(num('median of the executor’s time between kernels on the layer’s nodes; null for runs stored without it')),
    totalMs: nullable(num('median of kernel + overhead; null for runs stored without it')),
    totalShare: nullable(num('of the summed totals, `(session)` included; null for runs stored without it')),
    madds: nullable({ type: 'integer' }),
    runtimeNodes: arr(str()),
    runtimeOps: arr(str()),
  }),
  RunLayers: obj({
    runId: str(),
    variant: str(),
    device: str(),
    medianMs: num('end-to-end median of the timed (unprofiled) runs'),
    profiledMedianMs: num(),
    profilingOverheadPct: nullable(num('profiled vs timed median')),
    layerSumMs: num('sum of per-layer kernel medians'),
    layerSumRatio: nullable(num('layerSumMs ÷ profiled median')),
    attributionSource: nullable({ enum: ['lineage', 'names'], description: 'layers found through the optimized graph’s lineage, or by node-name prefix' }),
    modelRunMedianMs: nullable(num('median of `model_run` over the profiled runs')),
    layerSumWithOverheadMs: nullable(num('sum of per-layer kernel + overhead medians, `(session)` included')),
    ratios: obj({ kernel: ref('LayerSumRatios'), withOverhead: ref('LayerSumRatios') }),
    session: nullable(ref('AttributedGroupRow')),
    layers: arr(ref('LayerRow')),
    blocks: nullable(arr(ref('AttributedGroupRow'))),
    opTypes: nullable(arr(ref('AttributedGroupRow'))),
  }),
  Reward: obj({
    studyId: str(),
    study: str(),
    targetMs: num(),
    constraint: { enum: ['soft', 'hard'] },
    alpha: num(),
    beta: num(),
    formula: str(),
    devices: arr(
      obj({
        device,
        rows: arr(
          obj({
            rank: nullable({ type: 'integer' }),
            variant: str(),
            model: str(),
            medianMs: num(),
            top1: nullable(num()),
            reward: nullable(num()),
            withinTarget: { type: 'boolean' },
          }),
        ),
      }),
    ),
  }),
  Pareto: obj({
    studyId: str(),
    study: str(),
    devices: arr(
      obj({
        device,
        points: arr(
          obj({
            variant: str(),
            model: str(),
            medianMs: num(),
            madds: { type: 'integer' },
            top1: nullable(num()),
            accuracyFront: { type: 'boolean' },
            maddsFront: { type: 'boolean' },
          }),
        ),
        accuracyFront: arr(str()),
        maddsFront: arr(str()),
        maddsLatencyCorrelation: nullable(obj({ rho: num('Spearman'), n: { type: 'integer' } })),
      }),
    ),
  }),
  Accuracy: obj({
    id: str(),
    model: nullable(str()),
    variantId: nullable(str()),
    top1: num(),
    top5: nullable(num()),
    dataset: str(),
    source: str(),
    published: { type: 'boolean', description: 'preloaded from a paper (title and table in source); a user entry for the same model wins over it' },
    createdAt: str(),
  }),
  PredictorAccuracy: nullable(
    obj({
      heldOutVariants: int('variants predicted by a predictor trained without them'),
      folds: int('cross-validation folds, held out by variant'),
      within5Pct: num('share of held-out variants within ±5% of their measured median, %'),
      within10Pct: num('within ±10%, %'),
      rmspePct: num('root mean square percentage error'),
      medianAbsErrorPct: num(),
      spearmanRho: nullable(num('rank correlation of predicted and measured medians')),
    }),
  ),
  Predictor: obj({
    id: str(),
    deviceId: str(),
    device: str(),
    runtime: str('the runs’ runtime version'),
    optimization: str('the runs’ graph optimization level'),
    version: int('counts up per device, runtime and optimization level'),
    training: obj({ studies: arr(str()), variants: int(), runs: int(), families: arr(str()) }, []),
    validation: ref('PredictorAccuracy'),
    createdAt: str(),
  }),
  Prediction: obj(
    {
      variant: str(),
      device: str(),
      predicted: { const: true, description: 'a predicted latency, never a measured one' },
      medianMs: num('predicted end-to-end median (timed runs)'),
      intervalLowMs: num('2.5% quantile of the held-out errors applied to the median'),
      intervalHighMs: num(),
      kernelSumMs: num('sum of the predicted runtime kernels'),
      overheadMs: num('executor, session and unattributed time (learned per device)'),
      outOfRange: arr(str('why the variant lies outside what the predictor learned from: a layer kind never measured, a size beyond the training range')),
      predictor: obj({ id: str(), version: int(), runtime: str(), optimization: str(), validation: ref('PredictorAccuracy'), createdAt: str() }),
      layers: arr(obj({ layer: str(), predictedMs: num(), kernels: arr(obj({ opType: str('the runtime kernel, as the runtime ran such layers'), predictedMs: num() })) })),
    },
    ['variant', 'device', 'predicted', 'medianMs', 'intervalLowMs', 'intervalHighMs', 'kernelSumMs', 'overheadMs', 'outOfRange', 'predictor'],
  ),
  DeviceHistory: obj({
    device,
    optimization: str(),
    noiseTest: str(),
    models: arr(
      obj({
        model: str(),
        regression: bool(),
        segments: arr(
          obj({
            runtimeVersion: str(),
            agentVersion: str(),
            runs: int('stored runs, flagged ones included'),
            firstRunAt: str(),
            lastRunAt: str(),
            ...latencySummary,
            vsHistory: nullable(ref('ReplicatedDelta')),
            regression: bool('slower than its history beyond the noise'),
          }),
        ),
      }),
    ),
  }),
  ModelAcrossDevices: obj({
    model: str(),
    sha256s: arr(str()),
    madds: int(),
    params: int(),
    optimization: str(),
    note: str(),
    devices: arr(
      obj({
        device,
        ...latencySummary,
        runs: int('stored runs, flagged ones included'),
        relativeToFastest: nullable(num('median ÷ the fastest device’s')),
        runtimeVersions: arr(str()),
        lastRunAt: str(),
      }),
    ),
  }),
  Model: obj({
    sha256: str(),
    name: str(),
    family: str('the builder family, or `imported`'),
    resolution: int(),
    madds: int(),
    params: int(),
    format: { enum: ['onnx', 'tflite'] },
    origin: { enum: ['generated', 'imported', 'artifact'] },
    runs: int(),
    createdAt: str(),
  }),
  Artifact: obj({
    sha256: str('the artifact’s own bytes'),
    format: str('its vendor format, e.g. rknn'),
    artifactOf: str('sha256 of the model it was compiled from'),
    name: str('that model’s name: the artifact has its layers, MAdds and params'),
    sizeBytes: int(),
    createdAt: str(),
  }),
  ImportedModel: obj({
    sha256: str(),
    name: str(),
    family: { const: 'imported' },
    format: { enum: ['onnx', 'tflite'] },
    origin: { const: 'imported' },
    inputName: str(),
    inputShape: arr({ type: 'integer' }),
    resolution: int('the input’s height (NCHW for ONNX, NHWC for TFLite); 0 for a non-image input'),
    madds: int(),
    params: int(),
    sizeBytes: int(),
    layers: arr(
      obj(
        {
          name: str('node name (ONNX) or output tensor (TFLite)'),
          op: str(),
          role: str(),
          inputShape: arr({ type: 'integer' }),
          outputShape: arr({ type: 'integer' }),
          madds: int(),
          params: int(),
        },
        ['name', 'op', 'outputShape', 'madds', 'params'],
      ),
    ),
    createdAt: str(),
  }),
};

const notFound: [string, JsonSchema] = ['unknown id', ref('Error')];
const invalid: [string, JsonSchema] = ['invalid parameter; `error.field` names it', ref('Error')];
const finishedStudy: [string, JsonSchema] = ['the study already completed or failed: nothing to cancel', ref('Error')];
const unauthenticated: [string, JsonSchema] = ['API key missing or not valid', ref('Error')];
const anyObject = { type: 'object' };

export const OPERATIONS: Operation[] = [
  { method: 'get', path: '/healthz', tag: 'health', open: true, summary: 'liveness', responses: { 200: ['ok', anyObject] } },
  {
    method: 'get',
    path: '/readyz',
    tag: 'health',
    open: true,
    summary: 'readiness (database reachable)',
    responses: { 200: ['ok', anyObject], 503: ['database unreachable', ref('Error')] },
  },
  { method: 'get', path: '/metrics', tag: 'health', summary: 'Prometheus exposition (see the README for every metric)', responses: { 200: ['metrics', 'text/plain'] } },
  { method: 'get', path: '/api/docs', tag: 'docs', summary: 'this API, as a page', responses: { 200: ['HTML', 'text/html'] } },
  { method: 'get', path: '/api/docs/openapi.json', tag: 'docs', summary: 'this API, as an OpenAPI 3.1 document', responses: { 200: ['OpenAPI document', anyObject] } },
  {
    method: 'get',
    path: '/api/v1/devices',
    tag: 'devices',
    summary: 'devices with their state',
    query: deviceListQuery,
    responses: { 200: ['a page of devices', page(ref('Device'))], 400: invalid },
  },
  {
    method: 'get',
    path: '/api/v1/devices/{id}/history',
    tag: 'devices',
    summary: 'one device across runtime and agent versions, with regressions flagged',
    description:
      'Per model, the runs in time order cut into segments of one (runtime, agent) version pair, each run a replicate; a segment whose run medians are ' +
      'slower than those of all earlier segments (Welch t on the log run medians), beyond the noise, is a regression. Flagged runs are left out and counted.',
    query: deviceHistoryQuery,
    responses: { 200: ['history', ref('DeviceHistory')], 400: invalid, 404: notFound },
  },
  {
    method: 'post',
    path: '/api/v1/devices/{ref}/revoke',
    tag: 'devices',
    summary: 'revoke a device by name or id (API key)',
    description:
      'Its credential stops working: the agent is refused from its next call or heartbeat and its jobs go back to the queue. Its results stay, and ' +
      'its name may be registered again with an enrollment token (keeping the device id).',
    responses: {
      200: [
        'the device',
        { type: 'object', properties: { id: str(), name: str(), deviceClass: str(), revoked: { const: true }, wasEnrolled: bool('false when it was revoked already') } },
      ],
      401: unauthenticated,
      404: notFound,
    },
  },
  {
    method: 'get',
    path: '/api/v1/studies',
    tag: 'studies',
    summary: 'studies, newest first',
    query: studyListQuery,
    responses: { 200: ['a page of studies', page(anyObject)], 400: invalid },
  },
  {
    method: 'post',
    path: '/api/v1/studies',
    tag: 'studies',
    summary: 'create a study from a spec (builds the variants, queues the jobs)',
    body: { type: 'object', description: 'study spec: name, base or variants, axes, baseline, protocol (see the README)' },
    responses: { 201: ['the study with its variants and jobs', anyObject], 400: invalid },
  },
  {
    method: 'get',
    path: '/api/v1/studies/{id}',
    tag: 'studies',
    summary: 'one study: status, progress, variants (MAdds, params, format), jobs, and why queued jobs wait',
    description:
      '`waiting` lists, per format, the queued jobs no online agent can run now and why: "no online agent runs tflite", or "no online agent that ' +
      'runs tflite matches the study\'s device selection". Such jobs stay queued until an agent that can run them comes online.',
    responses: { 200: ['the study', anyObject], 404: notFound },
  },
  {
    method: 'post',
    path: '/api/v1/studies/{id}/cancel',
    tag: 'studies',
    summary: 'cancel a study: queued jobs never run, running ones are aborted; stored results stay',
    responses: {
      200: ['cancelled', obj({ id: str(), status: { enum: ['cancelled'] }, abortedJobs: { type: 'integer' } })],
      401: unauthenticated,
      404: notFound,
      409: finishedStudy,
    },
  },
  {
    method: 'get',
    path: '/api/v1/studies/{id}/comparison',
    tag: 'analysis',
    summary: 'per variant and device: median with its CI, Δ vs the baseline and whether it exceeds the noise',
    description:
      'Each run is a replicate: a cell’s median is the median of its runs’ medians, its CI a hierarchical bootstrap (runs, then iterations). ' +
      'Δ vs the baseline comes from the runs’ medians paired by round on the device (t interval of the log ratios; Welch for runs without a round); ' +
      'fewer than 3 rounds: undecided, with the reason. Flagged runs are left out of figures and verdicts unless include=flagged, and always counted.',
    query: comparisonQuery,
    responses: { 200: ['comparison', ref('Comparison')], 400: invalid, 404: notFound },
  },
  {
    method: 'get',
    path: '/api/v1/studies/{id}/table',
    tag: 'analysis',
    summary: "the study as a paper's ablation table: rows variants; latency per device, Δ, MAdds, params, top-1",
    query: ablationTableQuery,
    csv: true,
    responses: { 200: ['table (JSON, or CSV with format=csv)', ref('AblationTable')], 400: invalid, 404: notFound },
  },
  {
    method: 'get',
    path: '/api/v1/studies/{id}/layer-deltas',
    tag: 'analysis',
    summary: 'where the time went between two variants: deltas per block, op, role, runtime op type and layer',
    description:
      'Per group and run the median over the run’s profiled iterations of the group’s kernel time; runs paired by round on the device, a paired t test per group, ' +
      'Benjamini–Hochberg within each grouping (one family per grouping); verdict from the adjusted p < 0.05, undecided with fewer than 3 rounds. ' +
      'Flagged runs are left out unless include=flagged.',
    query: layerDeltaQuery,
    responses: { 200: ['deltas', ref('LayerDeltas')], 400: invalid, 404: notFound },
  },
  {
    method: 'get',
    path: '/api/v1/studies/{id}/reward',
    tag: 'analysis',
    summary: 'MnasNet reward ACC·(LAT/T)^w per device and the ranking by it',
    query: rewardQuery,
    responses: { 200: ['ranking', ref('Reward')], 400: invalid, 404: notFound },
  },
  {
    method: 'get',
    path: '/api/v1/studies/{id}/pareto',
    tag: 'analysis',
    summary: 'Pareto fronts latency–accuracy and latency–MAdds per device, and the MAdds–latency rank correlation',
    query: paretoQuery,
    responses: { 200: ['fronts', ref('Pareto')], 400: invalid, 404: notFound },
  },
  {
    method: 'get',
    path: '/api/v1/studies/{id}/figures/{name}.svg',
    tag: 'figures',
    summary: `a figure of the study as SVG; name: ${FIGURE_NAMES.join(', ')}`,
    description: FIGURES_DESCRIPTION,
    query: figureQuery,
    responses: { 200: ['the figure', 'image/svg+xml'], 400: invalid, 404: ['unknown study, run or figure', ref('Error')] },
  },
  {
    method: 'get',
    path: '/api/v1/studies/{id}/figures/{name}.vl.json',
    tag: 'figures',
    summary: 'the Vega-Lite spec the figure is drawn from, its data inline (restyle it and render it with Vega)',
    query: figureQuery,
    responses: { 200: ['Vega-Lite spec', anyObject], 400: invalid, 404: ['unknown study, run or figure', ref('Error')] },
  },
  { method: 'get', path: '/studies', tag: 'pages', summary: 'the studies, as a page', query: studyListQuery, responses: { 200: ['HTML', 'text/html'], 400: invalid } },
  {
    method: 'get',
    path: '/studies/{id}',
    tag: 'pages',
    summary: 'one study as a page: the ablation table, the figures (inline SVG), quality flags and links to its runs',
    responses: { 200: ['HTML', 'text/html'], 404: notFound },
  },
  {
    method: 'get',
    path: '/api/v1/runs',
    tag: 'runs',
    summary: 'runs, newest first',
    query: runListQuery,
    responses: { 200: ['a page of runs', page(ref('RunSummary'))], 400: invalid },
  },
  {
    method: 'get',
    path: '/api/v1/runs/{id}',
    tag: 'runs',
    summary: 'one run: study, variant, device, job, attempt, round, times, environment, protocol, statistics, quality flags, attempts and the whole report',
    responses: { 200: ['the run', ref('Run')], 404: notFound },
  },
  {
    method: 'get',
    path: '/api/v1/runs/{id}/latencies',
    tag: 'runs',
    summary: 'the run’s raw timed latencies (profiling off) in iteration order',
    query: runLatenciesQuery,
    csv: true,
    responses: { 200: ['latencies (JSON, or CSV iteration,latency_ns with format=csv)', ref('RunLatencies')], 400: invalid, 404: notFound },
  },
  {
    method: 'get',
    path: '/api/v1/runs/{id}/layers',
    tag: 'runs',
    summary: 'per logical layer of one run: kernel, executor overhead and total medians with their shares; the session bucket; layer-sum ratios',
    description:
      'Kernel medians per layer come from the stored node timings. Executor overhead (the runtime’s time between kernels), totals, ' +
      'the `(session)` bucket (time in `model_run` outside every node: neither a layer nor `(unattributed)`), the per-block and per-op-type ' +
      'tables and the ratios come from the agent’s report; runs stored before agents reported overhead have them null (kernel time only).',
    responses: { 200: ['layers', ref('RunLayers')], 404: notFound },
  },
  {
    method: 'get',
    path: '/api/v1/models',
    tag: 'models',
    summary: 'stored models (built variants in each format, imported models) with their run counts',
    query: modelListQuery,
    responses: { 200: ['a page of models', page(ref('Model'))], 400: invalid },
  },
  {
    method: 'post',
    path: '/api/v1/models',
    tag: 'models',
    summary: 'import a model file (ONNX or TFLite) a study can then name (API key)',
    description:
      'The body is the file itself. It is checked before anything is stored: it parses, has one float32 input whose shape is static (or given as ' +
      '`inputShape`), and every node’s output shape can be inferred (or is declared in the file). One layer per node (ONNX: its name, or ' +
      '`<OpType>_<index>` as ONNX Runtime names an unnamed node; TFLite: its output tensor), with MAdds and parameters. A study names it by ' +
      'name or sha256 (`variants: [{ model: <name> }]`). At most LATFLEET_MAX_MODEL_MB. The same file under the same name again answers 200.',
    query: modelImportQuery,
    body: { type: 'string', format: 'binary' },
    bodyType: 'application/octet-stream',
    responses: {
      201: ['the imported model with its layers', ref('ImportedModel')],
      200: ['the same file was imported under this name before', ref('ImportedModel')],
      400: ['corrupt or unsupported file, dynamic input shape, bad name or inputShape: nothing stored', ref('Error')],
      401: unauthenticated,
      409: ['the name is taken by another imported model, or the file is stored already under another name', ref('Error')],
      413: ['larger than LATFLEET_MAX_MODEL_MB', ref('Error')],
    },
  },
  {
    method: 'post',
    path: '/api/v1/models/{ref}/artifacts',
    tag: 'models',
    summary: 'attach a vendor artifact (e.g. .rknn) compiled from a model (API key)',
    description:
      'The body is the vendor file itself; `ref` is the model it was compiled from: a stored model’s sha256, an imported model’s name, or a ' +
      'variant name (built and stored now, the ONNX `latfleet models build` writes). The artifact is stored as a model of its own in `format`, ' +
      'with the source’s layers, MAdds and params (a vendor profile’s rows map to those layers by name where it names them). A study measures ' +
      'the variant in that format with `format: <format>`; control leases its jobs to agents that announce the format (the command runner’s ' +
      '`format` option). One artifact per model and format; the same bytes again answer 200. At most LATFLEET_MAX_MODEL_MB.',
    query: artifactQuery,
    body: { type: 'string', format: 'binary' },
    bodyType: 'application/octet-stream',
    responses: {
      201: ['the attached artifact', ref('Artifact')],
      200: ['these bytes were attached to this model in this format before', ref('Artifact')],
      400: ['an empty file, a format latfleet builds itself (onnx, tflite) or a bad format name: nothing stored', ref('Error')],
      401: unauthenticated,
      404: ['no stored model, imported name or variant by that name', ref('Error')],
      409: ['the model has another artifact in this format, or these bytes are stored already as another model', ref('Error')],
      413: ['larger than LATFLEET_MAX_MODEL_MB', ref('Error')],
    },
  },
  {
    method: 'get',
    path: '/api/v1/models/{ref}/devices',
    tag: 'models',
    summary: 'one model side by side on every device that ran it (ref: sha256 or canonical name)',
    description: 'Per device each run, from any study, is a replicate: the median of the runs’ medians with a hierarchical bootstrap CI. Flagged runs are left out and counted.',
    query: modelDevicesQuery,
    responses: { 200: ['per device', ref('ModelAcrossDevices')], 400: invalid, 404: notFound },
  },
  {
    method: 'get',
    path: '/api/v1/accuracies',
    tag: 'accuracy',
    summary: 'the accuracy registry (published top-1 preloaded with their source)',
    query: accuracyListQuery,
    responses: { 200: ['a page of entries', page(ref('Accuracy'))], 400: invalid },
  },
  {
    method: 'post',
    path: '/api/v1/accuracies',
    tag: 'accuracy',
    summary: 'attach an accuracy to a model (by name) or to one variant; the latest entry wins',
    body: createAccuracyBody,
    responses: { 201: ['the entry', ref('Accuracy')], 400: invalid, 401: unauthenticated, 404: ['unknown variant', ref('Error')] },
  },
  {
    method: 'post',
    path: '/api/v1/predictors',
    tag: 'predictions',
    summary: 'train the next predictor version of a device from its stored per-layer runs',
    description:
      'Kernel predictors (a random forest per runtime op type, on the layer configuration) summed through the fusion the runtime ran, plus a learned overhead model; validated by cross-validation held out by variant.',
    body: trainPredictorBody,
    responses: { 201: ['the predictor with its validation', ref('Predictor')], 400: invalid, 401: unauthenticated, 404: notFound },
  },
  {
    method: 'get',
    path: '/api/v1/predictors',
    tag: 'predictions',
    summary: 'stored predictors, newest version first',
    query: predictorListQuery,
    responses: { 200: ['predictors', arr(ref('Predictor'))], 400: invalid, 404: notFound },
  },
  {
    method: 'get',
    path: '/api/v1/studies/{id}/predicted',
    tag: 'predictions',
    summary: 'a study created with `measure` (top-k or pareto): every candidate’s predicted latency beside the measured median of those measured',
    responses: {
      200: ['the ranking, its predictor and per candidate predicted vs measured', anyObject],
      400: ['the study was not created with measure', ref('Error')],
      404: notFound,
    },
  },
  {
    method: 'post',
    path: '/api/v1/predictions',
    tag: 'predictions',
    summary: 'predicted latency of variants on devices, with interval, per-layer breakdown and the predictor’s validation',
    body: predictionBody,
    responses: { 200: ['one prediction per variant and device', obj({ predictions: arr(ref('Prediction')) })], 400: invalid, 401: unauthenticated, 404: notFound },
  },
  {
    method: 'post',
    path: '/api/v1/enrollment-tokens',
    tag: 'enrollment',
    summary: 'issue a token agents enroll with (the secret is shown once)',
    body: obj({ name: str(), ttlHours: nullable(num('hours until it expires; null: never')) }, []),
    responses: { 201: ['the token, with its secret', anyObject], 400: invalid, 401: unauthenticated },
  },
  {
    method: 'get',
    path: '/api/v1/enrollment-tokens',
    tag: 'enrollment',
    summary: 'issued tokens (no secrets)',
    responses: { 200: ['tokens', obj({ items: arr(anyObject) })], 401: unauthenticated },
  },
  {
    method: 'delete',
    path: '/api/v1/enrollment-tokens/{id}',
    tag: 'enrollment',
    summary: 'revoke a token and the devices that enrolled with it',
    responses: { 200: ['the revoked token and `revokedDevices`', anyObject], 401: unauthenticated, 404: notFound },
  },
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
            : { content: { 'application/json': { schema: content }, ...(op.csv ? { 'text/csv': { schema: { type: 'string' } } } : {}) } }),
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
      ...(op.body ? { requestBody: { required: true, content: { [op.bodyType ?? 'application/json']: { schema: jsonSchema(op.body) } } } } : {}),
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
