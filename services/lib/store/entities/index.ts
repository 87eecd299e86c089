import { AccuracyEntity } from './accuracy.entity.js';
import { DeviceEntity } from './device.entity.js';
import { EnrollmentTokenEntity } from './enrollment-token.entity.js';
import { JobAttemptEntity } from './job-attempt.entity.js';
import { JobEntity } from './job.entity.js';
import { LayerTimingEntity } from './layer-timing.entity.js';
import { ModelEntity } from './model.entity.js';
import { PredictorEntity } from './predictor.entity.js';
import { RunLatencyEntity } from './run-latency.entity.js';
import { ResultUploadEntity } from './result-upload.entity.js';
import { RunEntity } from './run.entity.js';
import { StudyEntity } from './study.entity.js';
import { VariantEntity } from './variant.entity.js';

export * from './accuracy.entity.js';
export * from './device.entity.js';
export * from './enrollment-token.entity.js';
export * from './job-attempt.entity.js';
export * from './job.entity.js';
export * from './layer-timing.entity.js';
export * from './model.entity.js';
export * from './predictor.entity.js';
export * from './run-latency.entity.js';
export * from './result-upload.entity.js';
export * from './run.entity.js';
export * from './study.entity.js';
export * from './variant.entity.js';

export const ENTITIES = [
  DeviceEntity,
  ModelEntity,
  StudyEntity,
  VariantEntity,
  JobEntity,
  RunEntity,
  RunLatencyEntity,
  LayerTimingEntity,
  AccuracyEntity,
  ResultUploadEntity,
  EnrollmentTokenEntity,
  JobAttemptEntity,
  PredictorEntity,
];
