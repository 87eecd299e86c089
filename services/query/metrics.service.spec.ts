import { describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config/index.js';
import { liveLevel } from '../lib/predict/index.js';
import type { LatestMedian, MetricsRepository, PredictorAccuracyRow } from './metrics.repository.js';
import { MetricsService } from './metrics.service.js';
import type { PredictorService } from './predictor.service.js';

function fakeDb() {
  const state = {
    latencyRows: 100,
    latest: [{ studyId: 's1', study: 'demo', variant: 'relu', device: 'vm', medianNs: 3_340_000 }] as LatestMedian[],
    predictors: [{ device: 'vm', runtime: 'ort 1.30', optimization: 'all', within5: 0.25, within10: 0.5, rmspe: 0.18 }] as PredictorAccuracyRow[],
  };
  const db = {
    agents: async () => [{ deviceClass: 'cpu', state: 'busy' as const, n: 2 }],
    jobs: async () => new Map([['leased', 2]]),
    queueAges: async () => ({ oldestLeaseSeconds: 12.5, oldestQueuedSeconds: 0 }),
    ingested: async () => ({ latencyRows: state.latencyRows, layerRows: 0, bytes: 10, rejected: new Map<string, number>() }),
    storageBytes: async () => new Map([['runs', 8192]]),
    latestMedians: async () => state.latest,
    predictorAccuracy: async () => state.predictors,
  };
  return { state, db: db as unknown as MetricsRepository };
}

/** The device's predictor on its runs since training: 10% too fast on 3 of 4, right on the fourth. */
const LIVE = liveLevel([1, 2, 3, 4].map((i) => ({ predictedNs: 1e6, measuredNs: i < 4 ? 1.1e6 : 1e6 })));
const predictors = (live = [{ device: 'vm', runtime: 'ort 1.30', optimization: 'all', live: LIVE }]) => ({ liveLevels: async () => live }) as unknown as PredictorService;

describe(MetricsService.name, () => {
  it('reports the database’s totals and never lets a counter go down', async () => {
    const { state, db } = fakeDb();
    const sut = new MetricsService(db, loadConfig({}), predictors());

    expect(await sut.metrics()).toMatch(/^latfleet_result_rows_ingested_total\{kind="latency"\} 100$/m);
    state.latencyRows = 150;
    expect(await sut.metrics()).toMatch(/^latfleet_result_rows_ingested_total\{kind="latency"\} 150$/m);
    state.latencyRows = 120;
    expect(await sut.metrics()).toMatch(/^latfleet_result_rows_ingested_total\{kind="latency"\} 150$/m);
  });

  it('drops the latency series of a study that is no longer active', async () => {
    const { state, db } = fakeDb();
    const sut = new MetricsService(db, loadConfig({}), predictors());

    expect(await sut.metrics()).toMatch(/^latfleet_study_latency_median_seconds\{study_id="s1",study="demo",variant="relu",device="vm"\} 0\.00334$/m);
    state.latest = [];
    expect(await sut.metrics()).not.toMatch(/^latfleet_study_latency_median_seconds\{/m);
  });

  it('reports the held-out accuracy of each device’s latest predictor', async () => {
    const { state, db } = fakeDb();
    const sut = new MetricsService(db, loadConfig({}), predictors());

    const text = await sut.metrics();
    expect(text).toMatch(/^latfleet_predictor_heldout_within_ratio\{device="vm",runtime="ort 1\.30",optimization="all",tolerance="0\.1"\} 0\.5$/m);
    expect(text).toMatch(/^latfleet_predictor_heldout_within_ratio\{device="vm",runtime="ort 1\.30",optimization="all",tolerance="0\.05"\} 0\.25$/m);
    expect(text).toMatch(/^latfleet_predictor_heldout_rmspe_ratio\{device="vm",runtime="ort 1\.30",optimization="all"\} 0\.18$/m);
    state.predictors = [];
    expect(await sut.metrics()).not.toMatch(/^latfleet_predictor_heldout/m);
  });

  it('reports how the latest predictor of each device does on the runs since it was trained: drift', async () => {
    const text = await new MetricsService(fakeDb().db, loadConfig({}), predictors()).metrics();
    expect(text).toMatch(/^latfleet_predictor_live_error_ratio\{device="vm",runtime="ort 1\.30",optimization="all"\} -0\.0909$/m);
    expect(text).toMatch(/^latfleet_predictor_live_within_ratio\{device="vm",runtime="ort 1\.30",optimization="all",tolerance="0\.1"\} 1$/m);
    expect(text).toMatch(/^latfleet_predictor_live_within_ratio\{device="vm",runtime="ort 1\.30",optimization="all",tolerance="0\.05"\} 0\.25$/m);
    // no runs since training: no figure at all, not a zero
    const none = await new MetricsService(fakeDb().db, loadConfig({}), predictors([{ device: 'vm', runtime: 'ort 1.30', optimization: 'all', live: liveLevel([]) }])).metrics();
    expect(none).not.toMatch(/^latfleet_predictor_live/m);
  });

  it('counts agents by class and state, every state present, and the connected ones', async () => {
    const text = await new MetricsService(fakeDb().db, loadConfig({}), predictors()).metrics();
    expect(text).toMatch(/^latfleet_agents\{device_class="cpu",state="busy"\} 2$/m);
    expect(text).toMatch(/^latfleet_agents\{device_class="cpu",state="offline"\} 0$/m);
    expect(text).toMatch(/^latfleet_agents_connected\{device_class="cpu"\} 2$/m);
    expect(text).toMatch(/^latfleet_jobs_oldest_lease_age_seconds 12\.5$/m);
  });

  it('observes request durations by route template', async () => {
    const sut = new MetricsService(fakeDb().db, loadConfig({}), predictors());
    sut.observeRequest('GET', '/api/v1/studies/:id', 200, 0.02);
    expect(await sut.metrics()).toMatch(/^latfleet_http_request_duration_seconds_bucket\{le="0\.025",method="GET",route="\/api\/v1\/studies\/:id",status_code="200"\} 1$/m);
  });
});
