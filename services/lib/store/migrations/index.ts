import { InitialSchema1795500000000 } from './1795500000000-initial-schema.js';
import { FleetScheduling1795550000000 } from './1795550000000-fleet-scheduling.js';
import { RunStatistics1795560000000 } from './1795560000000-run-statistics.js';
import { AccuraciesAndUploads1795600000000 } from './1795600000000-accuracies-and-uploads.js';
import { ModelDataExternalStorage1795700000000 } from './1795700000000-model-data-external-storage.js';
import { ReplicatedRounds1795800000000 } from './1795800000000-replicated-rounds.js';
import { DeviceEnrollmentToken1795900000000 } from './1795900000000-device-enrollment-token.js';
import { ModelFormats1796000000000 } from './1796000000000-model-formats.js';
import { PublishedAccuracySources1796200000000 } from './1796200000000-published-accuracy-sources.js';
import { Predictors1796300000000 } from './1796300000000-predictors.js';
import { ModelArtifacts1796400000000 } from './1796400000000-model-artifacts.js';

export const MIGRATIONS = [
  InitialSchema1795500000000,
  FleetScheduling1795550000000,
  RunStatistics1795560000000,
  AccuraciesAndUploads1795600000000,
  ModelDataExternalStorage1795700000000,
  ReplicatedRounds1795800000000,
  DeviceEnrollmentToken1795900000000,
  ModelFormats1796000000000,
  PublishedAccuracySources1796200000000,
  Predictors1796300000000,
  ModelArtifacts1796400000000,
];
