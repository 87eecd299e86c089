import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CONFIG, offlineAfterMs, type LatfleetConfig } from '../lib/config/index.js';
import { ErrorCode, LatfleetError } from '../lib/errors/index.js';
import { JOB_STATES } from '../lib/store/index.js';
import { MetricsRepository, type AgentState, type LatestMedian, type PredictorAccuracyRow } from './metrics.repository.js';
import { PredictorService } from './predictor.service.js';

interface FleetSnapshot {
  agents: Awaited<ReturnType<MetricsRepository['agents']>>;
  jobs: Map<string, number>;
  queue: { oldestLeaseSeconds: number; oldestQueuedSeconds: number };
  ingested: Awaited<ReturnType<MetricsRepository['ingested']>>;
  storage: Map<string, number>;
  latest: LatestMedian[];
  predictors: PredictorAccuracyRow[];
  live: Awaited<ReturnType<PredictorService['liveLevels']>>;
}

type PredictorLabels = 'device' | 'runtime' | 'optimization' | 'tolerance';

/** A predictor's shares within ±5% and ±10% (ratios), one series per tolerance; none where the share is unknown. */
function setWithin(gauge: Gauge<PredictorLabels>, p: { device: string; runtime: string; optimization: string }, within5: number | null, within10: number | null): void {
  const labels = { device: p.device, runtime: p.runtime, optimization: p.optimization };
  if (within5 !== null) gauge.set({ ...labels, tolerance: '0.05' }, within5);
  if (within10 !== null) gauge.set({ ...labels, tolerance: '0.1' }, within10);
}

/** Bounded cardinality: at most this many (study, variant, device) latency series. */
export const MAX_LATENCY_SERIES = 500;
const AGENT_STATES: readonly AgentState[] = ['idle', 'busy', 'offline'];

/**
 * A counter whose total lives in Postgres: each scrape adds what the database gained since the
 * last one, so it never decreases and every replica reports the fleet-wide total.
 */
class DatabaseCounter<L extends string> {
  private readonly seen = new Map<string, number>();

  constructor(readonly counter: Counter<L>) {}

  sync(labels: Partial<Record<L, string>>, total: number): void {
    const key = JSON.stringify(labels);
    const before = this.seen.get(key) ?? 0;
    this.counter.inc(labels, Math.max(0, total - before));
    this.seen.set(key, Math.max(before, total));
  }
}

/**
 * Prometheus metrics of the fleet, read from Postgres at scrape time (the query service is
 * stateless, so every replica reports the same fleet-wide numbers), plus this process's HTTP
 * request durations. Names follow the conventions: `latfleet_` prefix, base units, `_total`.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<'method' | 'route' | 'status_code'>;
  private pending: Promise<FleetSnapshot> | undefined;

  constructor(
    private readonly db: MetricsRepository,
    @Inject(CONFIG) private readonly config: LatfleetConfig,
    // a class, not a Pick of one: Nest resolves the parameter by its reflected type
    private readonly predictors: PredictorService,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'latfleet_query_' });
    const registers = [this.registry];
    const snapshot = () => this.snapshot();

    new Gauge({
      name: 'latfleet_agents_connected',
      help: 'Agents with an open session and a recent heartbeat, by device class',
      labelNames: ['device_class'],
      registers,
      async collect() {
        const { agents } = await snapshot();
        this.reset();
        for (const cls of new Set(agents.map((r) => r.deviceClass))) {
          this.set(
            { device_class: cls },
            agents.filter((r) => r.deviceClass === cls && r.state !== 'offline').reduce((s, r) => s + r.n, 0),
          );
        }
      },
    });
    new Gauge({
      name: 'latfleet_agents',
      help: 'Registered agents by device class and state (idle, busy: running a job, offline)',
      labelNames: ['device_class', 'state'],
      registers,
      async collect() {
        const { agents } = await snapshot();
        this.reset();
        for (const cls of new Set(agents.map((r) => r.deviceClass))) {
          for (const state of AGENT_STATES) this.set({ device_class: cls, state }, agents.find((r) => r.deviceClass === cls && r.state === state)?.n ?? 0);
        }
      },
    });
    new Gauge({
      name: 'latfleet_jobs',
      help: 'Jobs by state',
      labelNames: ['state'],
      registers,
      async collect() {
        const { jobs } = await snapshot();
        for (const s of JOB_STATES) this.set({ state: s }, jobs.get(s) ?? 0);
      },
    });
    new Gauge({
      name: 'latfleet_jobs_oldest_lease_age_seconds',
      help: 'Time since the oldest current lease was granted (0 when no job is leased)',
      registers,
      async collect() {
        this.set((await snapshot()).queue.oldestLeaseSeconds);
      },
    });
    new Gauge({
      name: 'latfleet_jobs_oldest_queued_age_seconds',
      help: 'Time the oldest queued job has waited (0 when none is queued)',
      registers,
      async collect() {
        this.set((await snapshot()).queue.oldestQueuedSeconds);
      },
    });

    const rows = new DatabaseCounter(
      new Counter({
        name: 'latfleet_result_rows_ingested_total',
        help: 'Result rows stored, by kind (latency: one timed iteration; layer: one node in one profiled iteration)',
        labelNames: ['kind'],
        registers,
        async collect() {
          const { ingested } = await snapshot();
          rows.sync({ kind: 'latency' }, ingested.latencyRows);
          rows.sync({ kind: 'layer' }, ingested.layerRows);
        },
      }),
    );
    const bytes = new DatabaseCounter(
      new Counter({
        name: 'latfleet_result_bytes_ingested_total',
        help: 'Bytes of result uploads stored, as received by the control plane',
        registers,
        async collect() {
          bytes.sync({}, (await snapshot()).ingested.bytes);
        },
      }),
    );
    const rejected = new DatabaseCounter(
      new Counter({
        name: 'latfleet_result_uploads_rejected_total',
        help: 'Result uploads rejected, by error code',
        labelNames: ['code'],
        registers,
        async collect() {
          const counts = (await snapshot()).ingested.rejected;
          for (const code of new Set([...Object.values(ErrorCode), ...counts.keys()])) rejected.sync({ code }, counts.get(code) ?? 0);
        },
      }),
    );
    new Gauge({
      name: 'latfleet_result_storage_bytes',
      help: 'On-disk size of the result tables in Postgres, indexes included',
      labelNames: ['table'],
      registers,
      async collect() {
        for (const [table, size] of (await snapshot()).storage) this.set({ table }, size);
      },
    });
    new Gauge({
      name: 'latfleet_study_latency_median_seconds',
      help: `Median end-to-end latency of the latest run per variant and device of active studies (at most ${MAX_LATENCY_SERIES} series)`,
      labelNames: ['study_id', 'study', 'variant', 'device'],
      registers,
      async collect() {
        const { latest } = await snapshot();
        this.reset();
        for (const m of latest) this.set({ study_id: m.studyId, study: m.study, variant: m.variant, device: m.device }, m.medianNs / 1e9);
      },
    });

    new Gauge({
      name: 'latfleet_predictor_heldout_within_ratio',
      help: 'Share of held-out variants the latest latency predictor of a device predicted within the tolerance (0.05, 0.1) of their measured median, as of its training (drift since then: latfleet_predictor_live_error_ratio)',
      labelNames: ['device', 'runtime', 'optimization', 'tolerance'],
      registers,
      async collect() {
        this.reset();
        for (const p of (await snapshot()).predictors) {
          setWithin(this, p, p.within5, p.within10);
        }
      },
    });
    new Gauge({
      name: 'latfleet_predictor_heldout_rmspe_ratio',
      help: 'Root mean square percentage error (as a ratio) of the latest latency predictor of a device on held-out variants',
      labelNames: ['device', 'runtime', 'optimization'],
      registers,
      async collect() {
        this.reset();
        for (const p of (await snapshot()).predictors) {
          if (p.rmspe !== null) this.set({ device: p.device, runtime: p.runtime, optimization: p.optimization }, p.rmspe);
        }
      },
    });

    new Gauge({
      name: 'latfleet_predictor_live_error_ratio',
      help: 'Median error, (predicted − measured) / measured, of the latest latency predictor of a device on the runs it measured since the predictor was trained (the newest 20), before the live level is applied: drift, a reason to recalibrate',
      labelNames: ['device', 'runtime', 'optimization'],
      registers,
      async collect() {
        this.reset();
        for (const p of (await snapshot()).live) {
          if (p.live.medianErrorPct !== null) this.set({ device: p.device, runtime: p.runtime, optimization: p.optimization }, p.live.medianErrorPct / 100);
        }
      },
    });
    new Gauge({
      name: 'latfleet_predictor_live_within_ratio',
      help: 'Share of the runs since training (the newest 20) the latest latency predictor of a device had within the tolerance (0.05, 0.1) of their measured median, before the live level is applied',
      labelNames: ['device', 'runtime', 'optimization', 'tolerance'],
      registers,
      async collect() {
        this.reset();
        for (const p of (await snapshot()).live) {
          setWithin(this, p, p.live.within5Pct === null ? null : p.live.within5Pct / 100, p.live.within10Pct === null ? null : p.live.within10Pct / 100);
        }
      },
    });

    this.requestDuration = new Histogram({
      name: 'latfleet_http_request_duration_seconds',
      help: 'HTTP requests served by this query process, by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
  }

  /** One consistent read of the database per scrape, shared by every metric's collect. */
  private snapshot(): Promise<FleetSnapshot> {
    this.pending ??= this.load();
    return this.pending;
  }

  private async load(): Promise<FleetSnapshot> {
    const [agents, jobs, queue, ingested, storage, latest, predictors, live] = await Promise.all([
      this.db.agents(offlineAfterMs(this.config) / 1000),
      this.db.jobs(),
      this.db.queueAges(),
      this.db.ingested(),
      this.db.storageBytes(),
      this.db.latestMedians(MAX_LATENCY_SERIES),
      this.db.predictorAccuracy(MAX_LATENCY_SERIES),
      this.predictors.liveLevels(),
    ]);
    return { agents, jobs, queue, ingested, storage, latest, predictors, live };
  }

  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.requestDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
  }

  /** Ready to serve: the database answers. */
  async ready(): Promise<void> {
    if (!(await this.db.reachable())) throw new LatfleetError(ErrorCode.Unavailable, 'database unreachable');
  }

  async metrics(): Promise<string> {
    this.pending = undefined;
    try {
      return await this.registry.metrics();
    } finally {
      this.pending = undefined;
    }
  }
}
