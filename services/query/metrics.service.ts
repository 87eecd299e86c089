import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { DataSource } from 'typeorm';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import { JOB_STATES } from '../lib/store/index.js';

/**
 * Prometheus metrics of the fleet, read from Postgres at scrape time: the query service is
 * stateless, so every replica reports the same fleet-wide numbers.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private ingested = { latency: 0, layer: 0 };

  constructor(
    private readonly ds: DataSource,
    @Inject(CONFIG) config: LatfleetConfig,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'latfleet_query_' });
    const staleSeconds = (3 * config.heartbeatMs) / 1000;
    const db = this.ds;
    new Gauge({
      name: 'latfleet_agents_connected',
      help: 'Agents with an open session and a recent heartbeat, by device class',
      labelNames: ['device_class'],
      registers: [this.registry],
      async collect() {
        const rows: Array<{ device_class: string; n: string }> = await db.query(
          `SELECT device_class, count(*) FILTER (WHERE state = 'online' AND last_seen_at > now() - make_interval(secs => $1)) AS n
             FROM devices GROUP BY device_class`,
          [staleSeconds],
        );
        this.reset();
        for (const r of rows) this.set({ device_class: r.device_class }, Number(r.n));
      },
    });
    new Gauge({
      name: 'latfleet_jobs',
      help: 'Jobs by state',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const rows: Array<{ state: string; n: string }> = await db.query(`SELECT state, count(*) AS n FROM jobs GROUP BY state`);
        for (const s of JOB_STATES) this.set({ state: s }, Number(rows.find((r) => r.state === s)?.n ?? 0));
      },
    });
    const ingested = this.ingested;
    new Counter({
      name: 'latfleet_result_rows_ingested_total',
      help: 'Result rows stored, by kind (latency: one timed iteration; layer: one node in one profiled iteration)',
      labelNames: ['kind'],
      registers: [this.registry],
      async collect() {
        const [r]: Array<{ latency: string | null; layer: string | null }> = await db.query(
          `SELECT sum(latency_rows) AS latency, sum(layer_rows) AS layer FROM runs`,
        );
        for (const kind of ['latency', 'layer'] as const) {
          const total = Number(r?.[kind] ?? 0);
          if (total > ingested[kind]) this.inc({ kind }, total - ingested[kind]);
          else this.inc({ kind }, 0);
          ingested[kind] = Math.max(ingested[kind], total);
        }
      },
    });
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
