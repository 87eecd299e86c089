import { describe, expect, it } from 'vitest';
import { ErrorCode, LatfleetError } from '../lib/errors/index.js';
import { toWireProtocol, type LayerTiming, type RunSummary, type UploadResultsRequest } from '../lib/proto/index.js';
import type { JobRepository } from './job.repository.js';
import type { RunRepository, RunRecord, StoredRun, UploadRecord } from './run.repository.js';
import { RunService } from './run.service.js';

const JOB = '00000000-0000-4000-8000-000000000001';
const SHA = 'a'.repeat(64);
const LEASE = {
  jobId: JOB,
  studyId: 's',
  variantId: 'v',
  round: 0,
  attempt: 1,
  deviceId: 'd',
  jobState: 'leased',
  modelSha256: SHA,
  // what the job was queued with: at most 5 timed runs, 1 profiled iteration
  protocol: { warmupRuns: 1, timedRuns: 3, timedMaxRuns: 5, profiledRuns: 1 },
};

interface UploadOverrides {
  latencies?: number[];
  layers?: UploadResultsRequest['layers'];
  level?: string;
  summary?: Partial<RunSummary>;
  jobId?: string;
  attempt?: number;
}

const timing = (over: Partial<LayerTiming> = {}): LayerTiming => ({ iteration: 0, nodeName: 'x', opType: 'Conv', layer: '', durationNs: 1, provider: '', ...over });

function upload(over: UploadOverrides = {}): UploadResultsRequest[] {
  const base = { jobId: over.jobId ?? JOB, attempt: over.attempt ?? 1 };
  return [
    {
      ...base,
      sequence: 0,
      summary: {
        startedAtUnixMs: 1_700_000_000_000,
        finishedAtUnixMs: 1_700_000_001_000,
        protocol: { ...toWireProtocol({ warmupRuns: 1, timedRuns: 3, profiledRuns: 1 }), graphOptimizationLevel: over.level ?? 'all' },
        environment: undefined,
        modelSha256: SHA,
        profiledMedianNs: 4_000_000,
        flagged: false,
        reportJson: '',
        messageCount: 3,
        ...over.summary,
      },
    },
    { ...base, sequence: 1, latencies: { latenciesNs: over.latencies ?? [3_000_000, 1_000_000, 2_000_000] } },
    {
      ...base,
      sequence: 2,
      layers: over.layers ?? {
        timings: [
          { iteration: 0, nodeName: 'stem.conv_nchwc', opType: 'Conv', layer: 'stem', durationNs: 500_000, provider: 'CPU', overheadNs: 20_000 },
          { iteration: 0, nodeName: 'ReorderOutput', opType: 'ReorderOutput', layer: '', durationNs: 10_000, provider: 'CPU' },
        ],
      },
    },
  ];
}

function setup(opts: { stored?: StoredRun; jobRun?: StoredRun; outcome?: 'not-granted' | 'superseded' | 'cancelled'; granted?: boolean } = {}) {
  const records: RunRecord[] = [];
  const uploads: UploadRecord[] = [];
  const runs = {
    recordUpload: async (u: UploadRecord) => void uploads.push(u),
    findRun: async (_job: string, attempt?: number) => (attempt === undefined ? opts.jobRun : opts.stored) ?? null,
    store: async (_job: string, _device: string, _attempt: number, build: (lease: typeof LEASE) => RunRecord) => {
      if (opts.outcome) return opts.outcome;
      records.push(build(LEASE));
      uploads.push({ deviceId: 'd', jobId: JOB, attempt: 1, outcome: 'stored', bytes: 0 });
      return { runId: 'run-1', latencyRows: 3, layerRows: 2, duplicate: false };
    },
  } as unknown as RunRepository;
  const jobs = { findGrantedAttempt: async () => (opts.granted === false ? null : LEASE) } as unknown as JobRepository;
  const sut = new RunService(runs, jobs);
  return { sut, records, uploads };
}

describe(RunService.name, () => {
  it('stores the summary statistics of the timed runs, and the nodes with the layer and overhead the agent gave them', async () => {
    const { sut, records } = setup();
    await expect(sut.ingest('d', upload())).resolves.toMatchObject({ runId: 'run-1', duplicate: false });
    expect(records[0]!.stats).toMatchObject({ count: 3, median: 2_000_000, min: 1_000_000 });
    expect(records[0]!.layers.map((l) => [l.layer, l.overheadNs])).toEqual([
      ['stem', 20_000],
      ['', undefined],
    ]);
  });

  it('acknowledges a re-sent upload without storing it again, and records it as a duplicate', async () => {
    const { sut, records, uploads } = setup({ stored: { runId: 'run-0', latencyRows: 3, layerRows: 2, duplicate: true } });
    await expect(sut.ingest('d', upload())).resolves.toMatchObject({ runId: 'run-0', duplicate: true });
    expect(records).toHaveLength(0);
    expect(uploads).toEqual([expect.objectContaining({ outcome: 'duplicate', runId: 'run-0', bytes: expect.any(Number) })]);
    expect(uploads[0]!.bytes).toBeGreaterThan(50);
  });

  it('counts a chunk re-sent within one stream once', async () => {
    const { sut, records } = setup();
    const parts = upload();
    await sut.ingest('d', [...parts, parts[1]!]);
    expect(records[0]!.latenciesNs).toHaveLength(3);
  });

  it.each([
    ['a negative latency', { latencies: [1_000_000, -5] }, 'latencies[1]'],
    ['a NaN latency', { latencies: [Number.NaN] }, 'latencies[0]'],
    ['an absurd latency', { latencies: [1e16] }, 'latencies[0]'],
    ['more timed runs than the job’s protocol allows', { latencies: Array(6).fill(2_000_000) }, 'latencies'],
    ['fewer timed runs than the job’s protocol asks for', { latencies: [2_000_000, 3_000_000] }, 'latencies'],
    [
      'more profiled iterations than the job’s protocol asks for',
      { layers: { timings: [0, 1].map((iteration) => ({ iteration, nodeName: 'x', opType: 'Conv', layer: '', durationNs: 5, provider: 'CPU' })) } },
      'layers',
    ],
    ['no timed runs', { latencies: [] }, 'latencies'],
    ['a negative layer time', { layers: { timings: [{ iteration: 0, nodeName: 'x', opType: 'Conv', layer: '', durationNs: -1, provider: '' }] } }, 'layers[0].duration_ns'],
    [
      'a negative executor overhead',
      { layers: { timings: [{ iteration: 0, nodeName: 'x', opType: 'Conv', layer: '', durationNs: 1, provider: '', overheadNs: -3 }] } },
      'layers[0].overhead_ns',
    ],
    ['an unknown optimization level', { level: 'max' }, 'summary.protocol.graphOptimizationLevel'],
  ])('rejects %s, naming the field, and stores nothing', async (_what, over, field) => {
    const { sut, records, uploads } = setup();
    await expect(sut.ingest('d', upload(over))).rejects.toMatchObject({ code: ErrorCode.ValidationFailed, field });
    expect(records).toHaveLength(0);
    expect(uploads).toEqual([expect.objectContaining({ outcome: 'rejected', errorCode: ErrorCode.ValidationFailed, field })]);
  });

  // 2^63 − 1 as a double rounds to 2^63: the wire's largest int64 either way, far past any plausible value
  const INT64_MAX = 2 ** 63;
  const nested = (depth: number) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;

  it.each([
    ['another model', { summary: { modelSha256: 'b'.repeat(64) } }, 'summary.model_sha256'],
    ['no model', { summary: { modelSha256: '' } }, 'summary.model_sha256'],
    ['a path for a model', { summary: { modelSha256: '../../etc/passwd' } }, 'summary.model_sha256'],
    ['a model sha longer than 64 characters', { summary: { modelSha256: 'a'.repeat(65) } }, 'summary.model_sha256'],
    ['a finish before the start', { summary: { startedAtUnixMs: 1_700_000_001_000, finishedAtUnixMs: 1_700_000_000_000 } }, 'summary.finished_at_unix_ms'],
    ['a finish two days ahead', { summary: { finishedAtUnixMs: Date.now() + 2 * 86_400_000 } }, 'summary.finished_at_unix_ms'],
    ['int64-max times', { summary: { startedAtUnixMs: INT64_MAX, finishedAtUnixMs: INT64_MAX } }, 'summary.started_at_unix_ms'],
    ['a negative profiled median', { summary: { profiledMedianNs: -1 } }, 'summary.profiled_median_ns'],
    ['an int64-max profiled median', { summary: { profiledMedianNs: INT64_MAX } }, 'summary.profiled_median_ns'],
    ['a timed latency under a microsecond', { latencies: [2_000_000, 999] }, 'latencies[1]'],
    ['a node timed twice in one iteration', { layers: { timings: [timing(), timing({ opType: 'Relu' })] } }, 'layers[1]'],
    ['an iteration beyond int32', { layers: { timings: [timing({ iteration: 2 ** 31 })] } }, 'layers[0].iteration'],
    ['a profiled iteration missing a node', { layers: { timings: [timing(), timing({ nodeName: 'y' }), timing({ iteration: 1 })] } }, 'layers'],
    ['a profiled iteration with a node the others lack', { layers: { timings: [timing(), timing({ iteration: 1 }), timing({ iteration: 1, nodeName: 'y' })] } }, 'layers'],
    ['a NUL in a node name', { layers: { timings: [timing({ nodeName: 'x\0y' })] } }, 'layers[0].nodeName'],
    ['a deeply nested report', { summary: { reportJson: nested(100_000) } }, 'summary.report_json'],
    ['a NUL in the report', { summary: { reportJson: '{"note":"a\\u0000b"}' } }, 'summary.report_json.note'],
    ['a job id that is no uuid', { jobId: 'job-1' }, 'job_id'],
    ['an attempt beyond int32', { attempt: 2 ** 31 }, 'attempt'],
  ])('rejects %s, naming the field, and stores nothing', async (_what, over: UploadOverrides, field) => {
    const { sut, records, uploads } = setup();

    await expect(sut.ingest('d', upload(over))).rejects.toMatchObject({ code: ErrorCode.ValidationFailed, field });

    expect(records).toHaveLength(0);
    expect(uploads).toEqual([expect.objectContaining({ outcome: 'rejected', field })]);
  });

  it('records a rejected upload whose job reference cannot be stored without that reference', async () => {
    const { sut, uploads } = setup();

    await expect(sut.ingest('d', upload({ jobId: 'x\0', attempt: 2 ** 32 - 1 }))).rejects.toMatchObject({ field: 'job_id' });

    expect(uploads).toEqual([expect.objectContaining({ outcome: 'rejected', jobId: null, attempt: null })]);
  });

  it("refuses another agent's completed job before saying whether it is done", async () => {
    const stored = { runId: 'run-of-b', latencyRows: 3, layerRows: 2, duplicate: true };
    const { sut, records } = setup({ granted: false, stored, jobRun: stored });

    await expect(sut.ingest('d', upload())).rejects.toMatchObject({ code: ErrorCode.PermissionDenied, message: expect.not.stringContaining('run-of-b') });

    expect(records).toHaveLength(0);
  });

  it('stores nothing from a stream cut short, and asks for the upload again (retryable)', async () => {
    const { sut, records, uploads } = setup();
    const parts = upload();
    parts[0]!.summary!.messageCount = 3;
    await expect(sut.ingest('d', parts.slice(0, 2))).rejects.toMatchObject({ code: ErrorCode.Unavailable, message: expect.stringMatching(/2 of 3/) });
    expect(records).toHaveLength(0);
    expect(uploads).toEqual([expect.objectContaining({ outcome: 'rejected', errorCode: ErrorCode.Unavailable })]);
    await expect(sut.ingest('d', parts)).resolves.toMatchObject({ runId: 'run-1', duplicate: false });
    expect(records[0]!.layers).toHaveLength(2);
  });

  it('checks nothing when the summary states no count (agents before message_count)', async () => {
    const { sut, records } = setup();
    const parts = upload();
    parts[0]!.summary!.messageCount = 0;
    await expect(sut.ingest('d', parts.slice(0, 2))).resolves.toMatchObject({ duplicate: false });
    expect(records).toHaveLength(1);
  });

  it('rejects a chunk beyond the count the summary announces', async () => {
    const { sut, records } = setup();
    const parts = upload();
    parts[0]!.summary!.messageCount = 2;
    await expect(sut.ingest('d', parts)).rejects.toMatchObject({ code: ErrorCode.ValidationFailed, field: 'sequence' });
    expect(records).toHaveLength(0);
  });

  it('rejects an upload whose first chunk is not the summary', async () => {
    const { sut } = setup();
    const [, latencies] = upload();
    await expect(sut.ingest('d', [{ ...latencies!, sequence: 0 }])).rejects.toMatchObject({ field: 'summary' });
  });

  it('acknowledges, without storing, an upload that arrives after another attempt completed the job, naming its run', async () => {
    const jobRun = { runId: 'run-of-attempt-2', latencyRows: 3, layerRows: 2, duplicate: true };
    const { sut, records, uploads } = setup({ outcome: 'superseded', jobRun });
    await expect(sut.ingest('d', upload())).resolves.toEqual({ runId: 'run-of-attempt-2', latencyRows: 3, layerRows: 2, duplicate: true });
    expect(records).toHaveLength(0);
    expect(uploads).toEqual([expect.objectContaining({ outcome: 'duplicate', runId: 'run-of-attempt-2' })]);
  });

  it('refuses, without storing, an upload for a job whose study was cancelled', async () => {
    const { sut, records } = setup({ outcome: 'cancelled' });
    await expect(sut.ingest('d', upload())).rejects.toMatchObject({ code: ErrorCode.PermissionDenied, message: expect.stringMatching(/cancelled/) });
    expect(records).toHaveLength(0);
  });

  it('refuses an upload for a job never leased to this agent', async () => {
    const { sut } = setup({ outcome: 'not-granted' });
    await expect(sut.ingest('d', upload())).rejects.toEqual(expect.any(LatfleetError));
    await expect(sut.ingest('d', upload())).rejects.toMatchObject({ code: ErrorCode.PermissionDenied });
  });
});
