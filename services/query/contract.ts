/**
 * The query service's HTTP contract: the shapes of its answers and request bodies, and the names
 * its parameters take. Clients (the CLI, tests) import them from here — never from the services,
 * repositories or filters that produce them (eslint.config.mjs enforces it for the CLI).
 */
export type { AblationCell, AblationTable } from './ablation-table.service.js';
export type { AccuracyRow } from './accuracy.repository.js';
export type { EnrollmentTokenRow } from './enrollment-token.repository.js';
export type { Comparison, ComparisonRow, Verdict } from './comparison.service.js';
export type { DeviceRef, DeviceRow } from './device.repository.js';
export type { ErrorBody } from './http-exception.filter.js';
export type { ArtifactRow, ImportedModelRow, ModelRow } from './model.repository.js';
export type { PredictionBody, TrainPredictorBody } from './predictor.dto.js';
export type { PredictorSummary } from './predictor.repository.js';
export type { PredictedVariant, StudyPredictedVsMeasured } from './predictor.service.js';
export type { AttributedGroupRow, LayerRow, RunLayers, RunDetail } from './run.service.js';
export type { RunSummary } from './run.repository.js';
export type { StudyDetail, StudySummary } from './study.repository.js';
export type { LayerDeltas } from './layer-delta.service.js';
export { FIGURE_NAMES } from './figure-specs.js';
export { GROUPINGS } from './layer-delta.service.js';
export { NO_DELTA } from './latency-statistics.js';
export { recordsToCsv } from './csv.util.js';
