import { column, dashboard, promql, sql, stat, table, timeseries } from './grafana.mjs';

// Every query replica reports the same fleet-wide numbers (they are read from Postgres at scrape
// time), so series are combined with max, never sum, across replicas.

const red = (from) => ({ mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: from }] });

export default dashboard({
  uid: 'latfleet-fleet',
  title: 'latfleet / Fleet',
  tags: ['fleet'],
  description: `
    Health of the measurement fleet: agents online by device class, the job queue and its age,
    result ingest, errors. Prometheus (the query service's /metrics) and Postgres.`,
  time: { from: 'now-6h', to: 'now' },
  refresh: '30s',
  rows: [
    [
      stat({ title: 'Agents online', w: 4, targets: [promql('sum(max by (device_class) (latfleet_agents_connected))', '', { instant: true })], fields: { thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }] } } }),
      stat({ title: 'Agents busy', w: 4, targets: [promql('sum(max by (device_class) (latfleet_agents{state="busy"}))', '', { instant: true })], fields: { color: { mode: 'fixed', fixedColor: 'blue' } } }),
      stat({ title: 'Agents offline', description: 'Registered agents without an open session or a recent heartbeat.', w: 4, targets: [promql('sum(max by (device_class) (latfleet_agents{state="offline"}))', '', { instant: true })], fields: { thresholds: red(1) } }),
      stat({ title: 'Jobs queued', w: 4, targets: [promql('max(latfleet_jobs{state="queued"})', '', { instant: true })], fields: { color: { mode: 'fixed', fixedColor: 'text' } } }),
      stat({ title: 'Oldest queued job', w: 4, targets: [promql('max(latfleet_jobs_oldest_queued_age_seconds)', '', { instant: true })], fields: { unit: 's', thresholds: red(3600) } }),
      stat({ title: 'Query replicas up', description: 'Query service replicas Prometheus scrapes successfully.', w: 4, targets: [promql('sum(up{job="latfleet-query"})', '', { instant: true })], fields: { thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }] } } }),
    ],
    [
      timeseries({ title: 'Agents by device class and state', w: 12, steps: true, targets: [promql('max by (device_class, state) (latfleet_agents)', '{{device_class}} {{state}}')], fields: { decimals: 0, min: 0 } }),
      timeseries({ title: 'Jobs queued and running', w: 12, steps: true, targets: [promql('max by (state) (latfleet_jobs{state=~"queued|leased"})', '{{state}}')], fields: { decimals: 0, min: 0 } }),
    ],
    [
      timeseries({
        title: 'Queue age',
        description: 'How long the oldest queued job has waited, and how long ago the oldest running job was leased (a job is re-queued when its lease expires).',
        w: 8,
        targets: [promql('max(latfleet_jobs_oldest_queued_age_seconds)', 'oldest queued'), promql('max(latfleet_jobs_oldest_lease_age_seconds)', 'oldest lease')],
        fields: { unit: 's', min: 0 },
      }),
      timeseries({
        title: 'Result rows ingested',
        description: 'latency: one timed iteration; layer: one runtime node in one profiled iteration.',
        w: 8,
        targets: [promql('max by (kind) (rate(latfleet_result_rows_ingested_total[$__rate_interval]))', '{{kind}}')],
        fields: { unit: 'rowsps', min: 0 },
      }),
      timeseries({
        title: 'Errors',
        description: 'Result uploads the control plane rejected, and query-service requests that failed with a 5xx.',
        w: 8,
        targets: [
          promql('sum(max by (code) (rate(latfleet_result_uploads_rejected_total[$__rate_interval]))) or vector(0)', 'rejected uploads'),
          promql('sum(rate(latfleet_http_request_duration_seconds_count{status_code=~"5.."}[$__rate_interval])) or vector(0)', 'HTTP 5xx'),
        ],
        fields: { unit: 'reqps', min: 0 },
      }),
    ],
    [
      timeseries({
        title: 'Latest median latency of active studies',
        description: 'Median of the latest run per variant and device of studies that are running or finished within the last hour.',
        w: 8,
        targets: [promql('max by (study, variant, device) (latfleet_study_latency_median_seconds)', '{{study}} {{variant}} {{device}}')],
        fields: { unit: 's' },
      }),
      timeseries({ title: 'Upload bytes ingested', w: 8, targets: [promql('max(rate(latfleet_result_bytes_ingested_total[$__rate_interval]))', 'stored uploads')], fields: { unit: 'Bps', min: 0 } }),
      timeseries({ title: 'Result storage in Postgres', w: 8, targets: [promql('max by (table) (latfleet_result_storage_bytes)', '{{table}}')], fields: { unit: 'bytes', min: 0 } }),
    ],
    [
      timeseries({
        title: 'Query service: p90 request duration by route',
        w: 12,
        targets: [promql('histogram_quantile(0.9, sum by (le, route) (rate(latfleet_http_request_duration_seconds_bucket[$__rate_interval])))', '{{route}}')],
        fields: { unit: 's', min: 0 },
      }),
      timeseries({
        title: 'Runs stored per device class',
        description: 'From Postgres: runs per minute, by the class of the device that measured them.',
        w: 12,
        bars: true,
        stack: true,
        targets: [
          sql(
            `
            SELECT $__timeGroupAlias(r.created_at, '1m'), d.device_class AS metric, count(*) AS runs
              FROM runs r JOIN devices d ON d.id = r.device_id
             WHERE $__timeFilter(r.created_at)
             GROUP BY 1, 2
             ORDER BY 1`,
            'time_series',
          ),
        ],
        fields: { decimals: 0, min: 0 },
      }),
    ],
    [
      timeseries({
        title: 'Latency predictors: held-out accuracy',
        description:
          'Per device, the share of variants its latest latency predictor predicted within ±5% and ±10% of their measured median, on variants it never saw (cross-validation by variant), as of its training. Drift after training shows in the next panel.',
        w: 8,
        targets: [promql('max by (device, runtime, tolerance) (latfleet_predictor_heldout_within_ratio)', '{{device}} {{runtime}} ±{{tolerance}}')],
        fields: { unit: 'percentunit', min: 0, max: 1 },
      }),
      timeseries({
        title: 'Latency predictors: held-out RMSPE',
        description: 'Root mean square percentage error of each device’s latest latency predictor on variants it never saw.',
        w: 8,
        targets: [promql('max by (device, runtime) (latfleet_predictor_heldout_rmspe_ratio)', '{{device}} {{runtime}}')],
        fields: { unit: 'percentunit', min: 0 },
      }),
      timeseries({
        title: 'Latency predictors: error since training (drift)',
        description:
          'Per device, the median error (predicted − measured) / measured of its latest predictor on the newest 20 runs measured since it was trained, before predictions follow the live level. Negative: the device got slower than calibrated. A steady move after a runtime or OS upgrade is a reason to run calibrate again.',
        w: 8,
        targets: [promql('max by (device, runtime) (latfleet_predictor_live_error_ratio)', '{{device}} {{runtime}}')],
        fields: { unit: 'percentunit' },
      }),
    ],
    [
      table({
        title: 'Devices',
        w: 24,
        h: 8,
        targets: [
          sql(`
            SELECT d.name, d.device_class AS class, d.runner,
                   CASE WHEN d.state <> 'online' THEN 'offline'
                        WHEN j.id IS NOT NULL THEN 'busy' ELSE 'idle' END AS state,
                   d.last_seen_at AS "last seen", s.name AS "running study", v.label AS "running variant", j.phase,
                   d.cpu_model AS cpu, d.cores, d.os, d.runtime_version AS runtime, d.agent_version AS agent, d.tags::text AS tags
              FROM devices d
              LEFT JOIN jobs j ON j.device_id = d.id AND j.state = 'leased'
              LEFT JOIN studies s ON s.id = j.study_id
              LEFT JOIN variants v ON v.id = j.variant_id
             ORDER BY d.device_class, d.name`),
        ],
        overrides: [
          column('state', {
            'custom.cellOptions': { type: 'color-text' },
            mappings: [{ type: 'value', options: { idle: { color: 'green', index: 0 }, busy: { color: 'blue', index: 1 }, offline: { color: 'red', index: 2 } } }],
          }),
        ],
      }),
    ],
    [
      table({
        title: 'Job attempts by outcome',
        description: 'Leases granted in the time range and how they ended (running: not ended yet).',
        w: 8,
        h: 9,
        targets: [
          sql(`
            SELECT o.outcome, count(a.job_id) AS attempts
              FROM (VALUES ('completed'), ('failed'), ('expired'), ('lost'), ('cancelled'), ('superseded'), ('running')) o(outcome)
              LEFT JOIN job_attempts a ON coalesce(a.outcome, 'running') = o.outcome AND $__timeFilter(a.leased_at)
             GROUP BY o.outcome
             ORDER BY attempts DESC, o.outcome`),
        ],
        overrides: [column('attempts', { thresholds: red(1) })],
      }),
      table({
        title: 'Latest job attempts',
        description: 'The 50 most recent leases in the time range, with the error of those that failed.',
        w: 16,
        h: 9,
        targets: [
          sql(`
            SELECT a.leased_at AS leased, a.ended_at AS ended, coalesce(a.outcome, 'running') AS outcome,
                   s.name AS study, v.label AS variant, d.name AS device, a.attempt, a.error
              FROM job_attempts a
              JOIN jobs j ON j.id = a.job_id
              JOIN studies s ON s.id = j.study_id
              JOIN variants v ON v.id = j.variant_id
              JOIN devices d ON d.id = a.device_id
             WHERE $__timeFilter(a.leased_at)
             ORDER BY a.leased_at DESC
             LIMIT 50`),
        ],
        overrides: [
          column('outcome', {
            'custom.cellOptions': { type: 'color-text' },
            mappings: [{ type: 'value', options: { completed: { color: 'green', index: 0 }, running: { color: 'blue', index: 1 }, failed: { color: 'red', index: 2 }, lost: { color: 'orange', index: 3 }, expired: { color: 'orange', index: 4 } } }],
          }),
        ],
      }),
    ],
    [
      table({
        title: 'Studies',
        description: 'Studies queued or running, and those created or finished in the time range.',
        w: 24,
        h: 8,
        targets: [
          sql(`
            SELECT s.name AS study, s.status, s.priority,
                   count(j.id) FILTER (WHERE j.state = 'completed') AS done, count(j.id) AS jobs,
                   count(j.id) FILTER (WHERE j.state = 'failed') AS failed,
                   s.created_at AS created, s.finished_at AS finished, s.id::text AS id
              FROM studies s LEFT JOIN jobs j ON j.study_id = s.id
             WHERE s.status IN ('queued', 'running') OR $__timeFilter(s.created_at) OR $__timeFilter(s.finished_at)
             GROUP BY s.id
             ORDER BY s.created_at DESC`),
        ],
        overrides: [
          column('id', { links: [{ title: 'Open the study', url: '/d/latfleet-study/latfleet-study?var-study=${__value.raw}' }] }),
        ],
      }),
    ],
  ],
});
