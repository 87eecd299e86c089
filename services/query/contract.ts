/**
 * The query service's HTTP contract: the schema of every answer, declared once. The OpenAPI
 * document is generated from these schemas (openapi.document.ts), each controller handler names
 * its answer's schema (`@ApiRoute`, which also makes the handler's return type a compile-time
 * subtype of it), and clients (the CLI, tests) take the answer types inferred here — never from
 * the services, repositories or filters that produce them (eslint.config.mjs enforces it for the CLI).
 */
import { z } from 'zod';
import { ERROR_REASONS, ErrorCode } from '../lib/errors/index.js';
import { ABLATION_CELL_FIELDS } from './ablation-table.service.js';
import { GROUPINGS } from './layer-delta.service.js';

export type { CreateAccuracyBody } from './accuracy.dto.js';
export type { PredictedRewardBody, PredictionBody, TrainPredictorBody } from './predictor.dto.js';
export { FIGURE_NAMES } from './figure-specs.js';
export { GROUPINGS } from './layer-delta.service.js';
export { NO_DELTA } from './latency-statistics.js';
export { recordsToCsv } from './csv.util.js';

const str = (description?: string) => (description ? z.string().describe(description) : z.string());
const num = (description?: string) => (description ? z.number().describe(description) : z.number());
const int = (description?: string) => (description ? z.int().describe(description) : z.int());
const bool = (description?: string) => (description ? z.boolean().describe(description) : z.boolean());
const orNull = <S extends z.ZodType>(s: S, description?: string) => (description ? s.nullable().describe(description) : s.nullable());
const strings = (description?: string) => (description ? z.array(z.string()).describe(description) : z.array(z.string()));
/** A named schema: a component of the OpenAPI document, referenced wherever it is used. */
const named = <S extends z.ZodType>(id: string, s: S): S => s.meta({ id });

/** A page of a list: its items and where it stands among all that match. */
export const page = <S extends z.ZodType>(item: S) => z.object({ items: z.array(item), limit: int(), offset: int(), total: int('items matching the filters, over all pages') });

export const verdict = z.enum(['faster', 'slower', 'within noise', 'undecided']);
export type Verdict = z.infer<typeof verdict>;

export const errorBody = named(
  'Error',
  z.object({
    error: z.object({
      code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]).describe('the class of the error (maps to the HTTP status)'),
      reason: z.enum(Object.keys(ERROR_REASONS) as [keyof typeof ERROR_REASONS, ...Array<keyof typeof ERROR_REASONS>]).describe('what exactly went wrong (README, "Errors")'),
      message: str(),
      field: str('the input field at fault').optional(),
    }),
  }),
);
export type ErrorBody = z.infer<typeof errorBody>;

export const deviceRef = named('DeviceRef', z.object({ id: str(), name: str(), deviceClass: str() }));
export type DeviceRef = z.infer<typeof deviceRef>;

export const deviceRow = named(
  'Device',
  z.object({
    id: str(),
    name: str(),
    deviceClass: str(),
    cpuModel: str(),
    cores: int(),
    os: str(),
    runner: str(),
    runtimeVersion: str(),
    agentVersion: str(),
    tags: z.record(z.string(), z.string()),
    formats: strings('model formats its runner runs (onnx, tflite, a vendor format): it is leased only jobs of these'),
    state: z.enum(['online', 'offline']),
    lastSeenAt: orNull(str()),
  }),
);
export type DeviceRow = z.infer<typeof deviceRow>;

export const revokedDevice = deviceRef.extend({ revoked: z.literal(true), wasEnrolled: bool('false when it was revoked already') });

/** LatencySummary (latency-statistics.ts): a latency from replicates, flagged runs counted. */
const latencySummary = {
  medianMs: orNull(num(), 'median over the runs (replicates) of each run’s median; null when every run is flagged'),
  p90Ms: orNull(num(), 'median over the runs of each run’s p90'),
  ciLowMs: orNull(num(), '95% hierarchical bootstrap CI of the median (runs, then iterations); null with fewer than 2 runs'),
  ciHighMs: orNull(num()),
  samples: int('timed iterations of the runs used'),
  replicates: int('runs the figures come from'),
  flaggedReplicates: int('flagged runs (throttled or busy after the agent’s retries): left out unless include=flagged'),
  flags: strings('the flags that flagged them (report.flaggedBy), e.g. busy-cpu'),
};

/** ReplicatedDelta (latency-statistics.ts): a difference from run medians paired by round. */
const replicatedDeltaFields = {
  deltaMs: orNull(num(), 'the baseline’s median × (ratio − 1)'),
  deltaPct: orNull(num(), 'ratio − 1 in %, the ratio being the geometric mean of the per-round ratios of run medians'),
  deltaCiLowMs: orNull(num(), '95% interval of the ratio, over the baseline’s median'),
  deltaCiHighMs: orNull(num()),
  deltaCiLowPct: orNull(num(), '95% interval of the ratio − 1, in %'),
  deltaCiHighPct: orNull(num()),
  mdePct: orNull(num(), 'minimum detectable effect: the interval’s half-width in %; "within noise" means within ±mdePct'),
  pValue: orNull(num(), 'paired t on the log ratios (Welch for runs without a round)'),
  significant: orNull(bool(), 'the interval excludes no difference; null when undecided'),
  verdict: verdict.nullable(),
  verdictReason: orNull(str(), 'why the verdict is undecided, e.g. "2 paired rounds: a verdict needs at least 3"'),
  rounds: orNull(int(), 'rounds paired (paired) or the smaller side’s runs (unpaired)'),
  design: z.enum(['paired', 'unpaired']).nullable(),
};
export const replicatedDelta = named('ReplicatedDelta', z.object(replicatedDeltaFields));

const reproducibilityFields = {
  betweenStudyPct: num('the SD (%, log scale) of a study’s Δ between studies added in quadrature to every paired interval on the device'),
  source: z.enum(['learned', 'floor']).describe('learned from the device’s comparisons repeated in several studies, or the protocol’s floor (betweenStudyPct)'),
  df: int('degrees of freedom of the learned estimate: Σ (studies − 1) over the repeated comparisons'),
  learnedPct: orNull(num(), 'the learned estimate (%), once it rests on at least 5 degrees of freedom'),
  relativePct: num('the part that grows with the difference, in % of the |log ratio| (protocol betweenStudyRelativePct), in quadrature with betweenStudyPct'),
};
const deviceReproducibility = z.array(z.object({ deviceId: str(), device: str(), ...reproducibilityFields }));

export const comparisonRow = named(
  'ComparisonRow',
  z.object({
    variant: str(),
    variantId: str(),
    baseline: bool(),
    model: str('canonical name of the variant’s model'),
    device: str(),
    deviceId: str(),
    ...latencySummary,
    ...replicatedDeltaFields,
    madds: int(),
    params: int(),
    top1: orNull(num(), 'ImageNet top-1, %'),
    top1Source: orNull(str()),
    runIds: strings('the runs the figures come from'),
    flaggedRunIds: strings('the flagged runs (also in runIds with include=flagged)'),
    resources: orNull(
      z.object({
        loadFirstMs: num('median over the runs of creating the session (compiling the model), first'),
        loadWarmMs: num('median of creating it again right after'),
        peakResidentBytes: int('median of the runner process’s peak resident memory'),
        runs: int('runs (of runIds) that recorded them'),
      }),
      'model load and peak memory, medians over the runs the figures come from that recorded them (runners that measure them: ort-node, litert, android-adb)',
    ),
  }),
);
export type ComparisonRow = z.infer<typeof comparisonRow>;

const studyHeader = {
  studyId: str(),
  study: str(),
  status: str(),
  baseline: str(),
  confidenceLevel: num(),
  noiseTest: str('how `verdict` is decided'),
  includeFlagged: bool('flagged runs are in the figures (include=flagged); by default they are left out and only counted'),
  devices: z.array(deviceRef),
  reproducibility: deviceReproducibility.describe('per device: the between-study component every paired interval on it carries, and where it comes from'),
};

export const comparison = named(
  'Comparison',
  z.object({
    ...studyHeader,
    variants: z
      .array(z.object({ id: str(), label: str(), baseline: bool(), model: str(), madds: int(), params: int(), top1: orNull(num()), top1Source: orNull(str()) }))
      .describe('every variant of the study, measured or not, in the study’s order'),
    rows: z.array(comparisonRow),
  }),
);
export type Comparison = z.infer<typeof comparison>;

/** A cell of the ablation table: the comparison row's figures in ABLATION_CELL_FIELDS. */
export const ablationCell = comparisonRow.pick(Object.fromEntries(ABLATION_CELL_FIELDS.map((f) => [f, true])) as Record<(typeof ABLATION_CELL_FIELDS)[number], true>);
export type AblationCell = z.infer<typeof ablationCell>;

export const ablationTable = named(
  'AblationTable',
  z.object({
    ...studyHeader,
    rows: z.array(
      z.object({
        variant: str(),
        baseline: bool(),
        model: str(),
        madds: int(),
        params: int(),
        top1: orNull(num()),
        top1Source: orNull(str()),
        latency: z.array(ablationCell.nullable()).describe('one cell per entry of `devices`, null where the variant has no result on that device'),
      }),
    ),
  }),
);
export type AblationTable = z.infer<typeof ablationTable>;

const pairedGroupDeltaFields = {
  baselineMs: num('mean over the paired rounds of the baseline’s per-run medians (over all its runs when no round pairs)'),
  variantMs: num(),
  deltaMs: num('mean over rounds of variant − baseline'),
  deltaPct: orNull(num(), 'relative to baselineMs; null when the baseline spends nothing there'),
  deltaCiLowMs: orNull(num(), 'paired t interval (95%, not adjusted); null with fewer than 3 rounds'),
  deltaCiHighMs: orNull(num()),
  pValue: orNull(num(), 'paired t; null with fewer than 3 rounds'),
  rounds: int('rounds in which both variants have a profiled run'),
  verdict,
};

export const groupDelta = named(
  'GroupDelta',
  z.object({
    key: str('block (`stem`, `blocks.3`, `head`), builder op, role, runtime op type, or layer'),
    ...pairedGroupDeltaFields,
    shareOfDelta: orNull(num(), 'deltaMs ÷ the sum of every group’s |deltaMs|: signed like the group’s own delta, the |shares| add up to 1'),
    pAdjusted: orNull(num(), 'Benjamini–Hochberg within the grouping; the verdict compares it with 0.05'),
  }),
);

const layerDeltaSide = z.object({
  label: str(),
  model: str(),
  runIds: strings(),
  flaggedRunIds: strings(),
  replicates: int(),
  flaggedReplicates: int(),
  flags: strings(),
  profiledIterations: int(),
});

export const layerDeltas = named(
  'LayerDeltas',
  z.object({
    studyId: str(),
    study: str(),
    device: deviceRef,
    variant: layerDeltaSide,
    baseline: layerDeltaSide,
    includeFlagged: bool(),
    reproducibility: z.object(reproducibilityFields),
    endToEnd: z.object({ baselineMs: orNull(num(), 'median of the timed runs’ medians'), variantMs: orNull(num()), ...replicatedDeltaFields }),
    profiledKernel: z.object(pairedGroupDeltaFields),
    note: str(),
    groups: z.object(Object.fromEntries(GROUPINGS.map((g) => [g, z.array(groupDelta)])) as Record<(typeof GROUPINGS)[number], z.ZodArray<typeof groupDelta>>),
  }),
);
export type LayerDeltas = z.infer<typeof layerDeltas>;

export const runSummary = named(
  'RunSummary',
  z.object({
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
    round: orNull(int(), 'its job’s round; null for runs stored before rounds'),
    flagged: bool('throttled or busy after the agent’s retries'),
    createdAt: str(),
  }),
);
export type RunSummary = z.infer<typeof runSummary>;

const jsonObject = (description: string) => z.record(z.string(), z.unknown()).describe(description);

export const runDetail = named(
  'Run',
  z.object({
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
    round: orNull(int(), 'its job’s round; null for runs stored before rounds'),
    startedAt: str(),
    finishedAt: str(),
    createdAt: str(),
    environment: jsonObject('device, core, CPU model, governor/frequency, temperature, runtime and agent versions, …'),
    protocol: jsonObject('the measurement protocol'),
    statistics: z.object({
      timedRuns: int(),
      medianNs: num(),
      p90Ns: num(),
      p99Ns: orNull(num()),
      minNs: num(),
      maxNs: orNull(num()),
      meanNs: num(),
      stdNs: orNull(num()),
      madNs: orNull(num(), 'median absolute deviation (unscaled)'),
      medianCiLowNs: orNull(num(), 'bootstrap 95% CI of the run’s median'),
      medianCiHighNs: orNull(num()),
      profiledMedianNs: num(),
      profilingOverhead: orNull(num(), 'profiled median ÷ timed median − 1'),
    }),
    latencyRows: int(),
    layerRows: int(),
    flagged: bool('throttled or busy after the agent’s retries: left out of figures and verdicts unless include=flagged'),
    flags: strings('report.quality.flags: those that flagged it and, in an interleaved round, advisory ones'),
    flaggedBy: strings('the flags that flagged it (report.flaggedBy; report.quality.flags for reports without it); empty for a clean run'),
    attempts: z
      .array(z.object({ attempt: orNull(int(), '0 for the first'), flags: strings(), startedAt: orNull(str()), finishedAt: orNull(str()) }))
      .describe('from report.attempts, the kept attempt last'),
    resources: z
      .object({
        loadFirstMs: num('creating the session (compiling the model) of the kept attempt'),
        loadWarmMs: num('creating it again right after'),
        peakResidentBytes: int('the runner process’s peak resident memory during the attempt'),
        peakResidentSource: z.enum(['vmhwm', 'process-lifetime']),
      })
      .nullable(),
    report: jsonObject('the agent’s measurement report as stored'),
  }),
);
export type RunDetail = z.infer<typeof runDetail>;

export const runLatencies = named('RunLatencies', z.object({ runId: str(), latencies: z.array(z.object({ iteration: int(), latencyNs: num() })) }));

export const attributedGroupRow = named(
  'AttributedGroupRow',
  z.object({
    key: str('block or runtime op type; `(unattributed)`: nodes no layer claims; `(session)`: the run’s time outside every node'),
    kernelMs: num('median over profiled runs of the kernel time'),
    overheadMs: num('median of the executor’s time between kernels spent on these nodes'),
    totalMs: num('median of kernel + overhead'),
    share: num('of the kernel table'),
    totalShare: num('of the kernel + overhead table, session included'),
    nodes: int('runtime nodes'),
  }),
);
export type AttributedGroupRow = z.infer<typeof attributedGroupRow>;

const layerSumRatios = named(
  'LayerSumRatios',
  z.object({
    toProfiledMedian: orNull(num(), '÷ median of the profiled runs (wall time around session.run)'),
    toModelRunMedian: orNull(num(), '÷ median of the runtime’s own run time (`model_run`) over the profiled runs'),
    toTimedMedian: orNull(num(), '÷ median of the timed runs (profiling off)'),
  }),
);

export const layerRow = named(
  'LayerRow',
  z.object({
    layer: str('logical layer; `(unattributed)` for runtime nodes no layer claims'),
    block: orNull(str()),
    role: orNull(str()),
    op: orNull(str()),
    medianMs: num('median over profiled runs of the layer’s kernel time (stored node timings)'),
    share: num('of the summed kernel medians'),
    overheadMs: orNull(num(), 'median of the executor’s time between kernels on the layer’s nodes; null for runs stored without it'),
    totalMs: orNull(num(), 'median of kernel + overhead; null for runs stored without it'),
    totalShare: orNull(num(), 'of the summed totals, `(session)` included; null for runs stored without it'),
    madds: orNull(int()),
    runtimeNodes: strings(),
    runtimeOps: strings(),
  }),
);
export type LayerRow = z.infer<typeof layerRow>;

export const runLayers = named(
  'RunLayers',
  z.object({
    runId: str(),
    variant: str(),
    device: str(),
    medianMs: num('end-to-end median of the timed (unprofiled) runs'),
    profiledMedianMs: num(),
    profilingOverheadPct: orNull(num(), 'profiled vs timed median'),
    layerSumMs: num('sum of per-layer kernel medians'),
    layerSumRatio: orNull(num(), 'layerSumMs ÷ profiled median'),
    attributionSource: z.enum(['lineage', 'names']).nullable().describe('layers found through the optimized graph’s lineage, or by node-name prefix'),
    modelRunMedianMs: orNull(num(), 'median of `model_run` over the profiled runs'),
    layerSumWithOverheadMs: orNull(num(), 'sum of per-layer kernel + overhead medians, `(session)` included'),
    ratios: z.object({ kernel: layerSumRatios, withOverhead: layerSumRatios }),
    session: attributedGroupRow.nullable(),
    layers: z.array(layerRow),
    blocks: z.array(attributedGroupRow).nullable(),
    opTypes: z.array(attributedGroupRow).nullable(),
  }),
);
export type RunLayers = z.infer<typeof runLayers>;

export const reward = named(
  'Reward',
  z.object({
    studyId: str(),
    study: str(),
    targetMs: num(),
    constraint: z.enum(['soft', 'hard']),
    alpha: num(),
    beta: num(),
    formula: str(),
    devices: z.array(
      z.object({
        device: deviceRef,
        rows: z.array(
          z.object({
            rank: orNull(int(), '1 = best; null when the variant has no accuracy to rank by'),
            variant: str(),
            model: str(),
            medianMs: num(),
            top1: orNull(num()),
            reward: orNull(num(), 'ACC · (LAT/T)^w with ACC as a fraction'),
            withinTarget: bool(),
          }),
        ),
      }),
    ),
  }),
);

export const pareto = named(
  'Pareto',
  z.object({
    studyId: str(),
    study: str(),
    devices: z.array(
      z.object({
        device: deviceRef,
        points: z.array(
          z.object({
            variant: str(),
            model: str(),
            medianMs: num(),
            madds: int(),
            top1: orNull(num()),
            accuracyFront: bool('on the latency–accuracy front'),
            maddsFront: bool('on the latency–MAdds front'),
          }),
        ),
        accuracyFront: strings('fastest first (variants without accuracy take no part)'),
        maddsFront: strings('fastest first'),
        maddsLatencyCorrelation: z.object({ rho: num('Spearman'), n: int() }).nullable(),
      }),
    ),
  }),
);

export const accuracyRow = named(
  'Accuracy',
  z.object({
    id: str(),
    model: orNull(str()),
    variantId: orNull(str()),
    top1: num(),
    top5: orNull(num()),
    dataset: str(),
    source: str(),
    published: bool('preloaded from a paper (title and table in source); a user entry for the same model wins over it'),
    createdAt: str(),
  }),
);
export type AccuracyRow = z.infer<typeof accuracyRow>;

/** Stored as the trainer wrote it: the keys below, and any a later trainer adds. */
const predictorAccuracy = named(
  'PredictorAccuracy',
  z.looseObject({
    heldOutVariants: int('variants predicted by a predictor trained without them').optional(),
    folds: int('cross-validation folds, held out by variant').optional(),
    within5Pct: num('share of held-out variants within ±5% of their measured median, %').optional(),
    within10Pct: num('within ±10%, %').optional(),
    rmspePct: num('root mean square percentage error').optional(),
    medianAbsErrorPct: num().optional(),
    spearmanRho: orNull(num(), 'rank correlation of predicted and measured medians').optional(),
  }),
);

export const predictorSummary = named(
  'Predictor',
  z.object({
    id: str(),
    deviceId: str(),
    device: str(),
    runtime: str('the runs’ runtime version'),
    optimization: str('the runs’ graph optimization level'),
    format: str('the model format it predicts (onnx, tflite)'),
    kind: z.enum(['kernels', 'layer-sum']).describe('kernels: per runtime kernel, learned from profiled runs; layer-sum: per-layer rates learned from end-to-end medians'),
    version: int('counts up per device, runtime and optimization level'),
    training: z.looseObject({ studies: strings().optional(), variants: int().optional(), runs: int().optional(), families: strings().optional() }),
    validation: predictorAccuracy.nullable(),
    createdAt: str(),
  }),
);
export type PredictorSummary = z.infer<typeof predictorSummary>;

const predictorLive = named(
  'PredictorLive',
  z.object({
    runs: int('runs of builder variants the device measured since the predictor was trained (the newest, at most 20)'),
    factor: num('measured / predicted, median over those runs: the device’s speed now against calibration (1 without runs)'),
    applied: z.boolean().describe('predictions are scaled by factor (from 5 runs on, unless the request asked for level: trained)'),
    medianErrorPct: orNull(num(), 'the trained predictor’s median error on those runs, before scaling: (predicted − measured) / measured, %'),
    within5Pct: orNull(num(), 'share of those runs the trained predictor had within ±5%, %'),
    within10Pct: orNull(num(), 'within ±10%, %'),
  }),
);

export const predictedVariant = named(
  'Prediction',
  z.object({
    variant: str(),
    device: str(),
    predicted: z.literal(true).describe('a predicted latency, never a measured one'),
    medianMs: num('predicted end-to-end median (timed runs)'),
    intervalLowMs: num('2.5% quantile of the held-out errors applied to the median'),
    intervalHighMs: num(),
    kernelSumMs: num('sum of the predicted runtime kernels (layer-sum predictors: of the layers)'),
    overheadMs: num('executor, session and unattributed time (learned per device)'),
    outOfRange: strings('why the variant lies outside what the predictor learned from: a layer kind never measured, a size beyond the training range'),
    predictor: predictorSummary
      .pick({ id: true, version: true, runtime: true, optimization: true, format: true, kind: true, validation: true, createdAt: true })
      .extend({ live: predictorLive }),
    layers: z
      .array(
        z.object({
          layer: str(),
          predictedMs: num(),
          kernels: z.array(
            z.object({
              opType: str('the runtime kernel, as the runtime ran such layers (layer-sum predictors: the part of the layer, e.g. dw-k5:f32, act-hswish-fused:int8)'),
              predictedMs: num(),
            }),
          ),
        }),
      )
      .optional(),
  }),
);
export type PredictedVariant = z.infer<typeof predictedVariant>;
export const predictions = z.object({ predictions: z.array(predictedVariant) });

export const predictedReward = named(
  'PredictedReward',
  z.object({
    device: str(),
    targetMs: num(),
    constraint: z.enum(['soft', 'hard']),
    alpha: num(),
    beta: num(),
    predictor: predictedVariant.shape.predictor,
    rows: z.array(
      z.object({
        rank: orNull(int(), '1 = best; null when the variant has no accuracy to rank by'),
        variant: str(),
        top1: orNull(num(), 'ImageNet top-1, %'),
        accuracySource: orNull(z.enum(['given', 'stored']), 'from the request, from the accuracies table, or none'),
        latencyMs: num('predicted median latency'),
        latencySource: z.literal('predicted').describe('never measured'),
        outOfRange: strings('why the variant lies outside what the predictor learned from'),
        reward: num('ACC · (LAT/T)^w with ACC as a fraction; absent without an accuracy').optional(),
        rewardRange: z.object({ low: num(), high: num() }).nullable().optional().describe('the reward over the prediction interval: [at its high end, at its low end]'),
        withinTarget: bool().optional(),
      }),
    ),
  }),
);
export type PredictedRewardAnswer = z.infer<typeof predictedReward>;

export const studyPredictedVsMeasured = named(
  'StudyPredictedVsMeasured',
  z.object({
    study: str(),
    select: str(),
    k: int(),
    device: str(),
    predictor: z.object({ id: str(), version: int(), validation: predictorAccuracy.nullable() }),
    rows: z.array(
      z.object({
        label: str(),
        name: str(),
        predictedMs: num(),
        intervalLowMs: num(),
        intervalHighMs: num(),
        measured: bool(),
        measuredMs: orNull(num(), 'median of the variant’s runs (flagged ones included: `flaggedRuns`); null until measured'),
        runs: int(),
        flaggedRuns: int(),
        errorPct: orNull(num(), '(predicted − measured) / measured, %'),
      }),
    ),
  }),
);
export type StudyPredictedVsMeasured = z.infer<typeof studyPredictedVsMeasured>;

const versionSegment = z.object({
  runtimeVersion: str(),
  agentVersion: str(),
  runs: int('stored runs, flagged ones included'),
  firstRunAt: str(),
  lastRunAt: str(),
  ...latencySummary,
  vsHistory: replicatedDelta.nullable(),
  regression: bool('slower than its history beyond the noise'),
});

export const deviceHistory = named(
  'DeviceHistory',
  z.object({
    device: deviceRef,
    optimization: str(),
    noiseTest: str(),
    models: z.array(z.object({ model: str(), regression: bool('the latest segment is a regression'), segments: z.array(versionSegment) })),
  }),
);

export const modelAcrossDevices = named(
  'ModelAcrossDevices',
  z.object({
    model: str(),
    sha256s: strings(),
    madds: int(),
    params: int(),
    optimization: str(),
    note: str(),
    devices: z
      .array(
        z.object({
          device: deviceRef,
          ...latencySummary,
          runs: int('stored runs, flagged ones included'),
          relativeToFastest: orNull(num(), 'median ÷ the fastest device’s'),
          runtimeVersions: strings(),
          lastRunAt: str(),
        }),
      )
      .describe('fastest first; devices whose every run is flagged last'),
  }),
);

export const modelRow = named(
  'Model',
  z.object({
    sha256: str(),
    name: str(),
    family: str('the builder family, or `imported`'),
    resolution: int(),
    madds: int(),
    params: int(),
    format: str('onnx, tflite, or an artifact’s vendor format'),
    origin: str('generated: built by latfleet; imported: a file a user uploaded; artifact: a vendor file attached to a model'),
    runs: int(),
    createdAt: str(),
  }),
);
export type ModelRow = z.infer<typeof modelRow>;

export const artifactRow = named(
  'Artifact',
  z.object({
    sha256: str('the artifact’s own bytes'),
    format: str('its vendor format, e.g. rknn'),
    artifactOf: str('sha256 of the model it was compiled from'),
    name: str('that model’s name: the artifact has its layers, MAdds and params'),
    sizeBytes: int(),
    createdAt: str(),
  }),
);
export type ArtifactRow = z.infer<typeof artifactRow>;

/** LayerInfo (lib/models/layer-info.ts): a logical layer of a model, as its importer or builder describes it. */
const layerInfo = z.object({
  name: str('node name (ONNX) or output tensor (TFLite)'),
  block: str('`stem`, `blocks.<i>` or `head`'),
  role: z.enum(['stem', 'expand', 'depthwise', 'se', 'project', 'pointwise', 'residual', 'head', 'pool', 'classifier', 'other']),
  op: z.enum(['conv', 'dwconv', 'se', 'add', 'pool', 'fc', 'other']),
  kernel: int('largest (effective) kernel size; 1 for SE and fc, the input size for global pooling, 0 for add'),
  stride: int(),
  kernels: z.array(z.int()).optional().describe('MixConv: one kernel per channel group'),
  dilations: z.array(z.int()).optional().describe('set when any kernel is dilated'),
  groups: int('channel groups of a grouped pointwise convolution').optional(),
  activation: orNull(str()),
  inputShape: z.array(z.int()),
  outputShape: z.array(z.int()),
  madds: int(),
  params: int(),
  nodes: strings('its runtime nodes'),
});

export const importedModelRow = named(
  'ImportedModel',
  z.object({
    sha256: str(),
    name: str(),
    family: str('`imported`'),
    format: z.enum(['onnx', 'tflite']),
    origin: z.literal('imported'),
    inputName: str(),
    inputShape: z.array(z.int()),
    resolution: int('the input’s height (NCHW for ONNX, NHWC for TFLite); 0 for a non-image input'),
    madds: int(),
    params: int(),
    sizeBytes: int(),
    layers: z.array(layerInfo),
    createdAt: str(),
  }),
);
export type ImportedModelRow = z.infer<typeof importedModelRow>;

const studyStatus = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']);

export const studySummary = named(
  'StudySummary',
  z.object({
    id: str(),
    name: str(),
    status: studyStatus,
    baselineLabel: str(),
    createdAt: str(),
    finishedAt: orNull(str()),
    jobs: z.object({ queued: int(), leased: int(), completed: int(), failed: int(), cancelled: int() }),
    progress: num('0..1 over all jobs, counting the running ones by their reported progress'),
  }),
);
export type StudySummary = z.infer<typeof studySummary>;

export const studyDetail = named(
  'Study',
  studySummary.extend({
    spec: z.unknown().describe('the spec as accepted (after validation), so the study can be run again'),
    variants: z.array(
      z.object({
        id: str(),
        label: str(),
        isBaseline: bool(),
        model: z.object({
          sha256: str(),
          name: str(),
          family: str(),
          resolution: int(),
          madds: int(),
          params: int(),
          format: str(),
          origin: z.enum(['generated', 'imported']),
        }),
      }),
    ),
    jobList: z.array(
      z.object({
        id: str(),
        variantLabel: str(),
        round: int('the round (replicate)'),
        roundPosition: int('the job’s place in the round’s random order'),
        state: str(),
        attempt: int(),
        phase: orNull(str()),
        progress: num(),
        statusMessage: orNull(str(), 'the agent’s last status line, e.g. "retry 2/3: busy-system"'),
        deviceId: orNull(str()),
        error: orNull(str()),
      }),
    ),
    rounds: z
      .record(
        z.string(),
        z.object({
          rounds: int(),
          stopReason: z
            .enum(['target', 'floor', 'max-replicates', 'budget', 'fixed', 'no-comparison'])
            .nullable()
            .describe('what ended the group’s rounds; null while more may come'),
          worstHalfWidthPct: orNull(num(), 'the widest comparison’s 95% CI half-width of Δ% when the decision was taken'),
          detail: str('e.g. "every comparison within ±0.62% after 4 rounds"'),
          at: str(),
        }),
      )
      .describe('per device group (`*`: any device): rounds queued and, once no more will be, what ended them'),
    waiting: z
      .array(z.object({ format: str(), queuedJobs: int(), reason: str('e.g. "no online agent runs tflite"') }))
      .describe('queued jobs that wait because no online agent can run them'),
  }),
);
export type StudyDetail = z.infer<typeof studyDetail>;

export const cancelledStudy = z.object({ id: str(), status: z.literal('cancelled'), abortedJobs: int('running jobs aborted on their agents') });

export const enrollmentTokenRow = named('EnrollmentToken', z.object({ id: str(), name: str(), createdAt: str(), expiresAt: orNull(str()), revokedAt: orNull(str()) }));
export type EnrollmentTokenRow = z.infer<typeof enrollmentTokenRow>;
export const issuedEnrollmentToken = enrollmentTokenRow.extend({ token: str('the secret: shown once, only its hash is stored') });
export const revokedEnrollmentToken = enrollmentTokenRow.extend({ revokedDevices: int('devices enrolled with it, revoked with it') });

export const status = z.object({ status: z.literal('ok') });
/** A JSON document whose shape another standard defines (OpenAPI, Vega-Lite, a study spec): documented as an object, typed `T`. */
export const jsonDocument = <T = unknown>(description: string) => z.custom<T>().meta({ type: 'object', description });
