import { describe, expect, it } from 'vitest';
import { ErrorCode, LatfleetError } from '../lib/errors/index.js';
import { toWireProtocol, type UploadResultsRequest } from '../lib/proto/index.js';
import type { JobRepository } from './job.repository.js';
import type { ResultRepository, RunRecord, StoredRun, UploadRecord } from './result.repository.js';
import { ResultService } from './result.service.js';

const LEASE = { jobId: 'job-1', studyId: 's', variantId: 'v', attempt: 1, deviceId: 'd', jobState: 'leased' };

function upload(over: { latencies?: number[]; layers?: UploadResultsRequest['layers']; level?: string } = {}): UploadResultsRequest[] {
  const base = { jobId: 'job-1', attempt: 1 };
  return [
    {
      ...base,
      sequence: 0,
      summary: {
        startedAtUnixMs: 1_700_000_000_000,
        finishedAtUnixMs: 1_700_000_001_000,
        protocol: { ...toWireProtocol({ warmupRuns: 1, timedRuns: 3, profiledRuns: 1 }), graphOptimizationLevel: over.level ?? 'all' },
        environment: undefined,
        modelSha256: 'a'.repeat(64),
        profiledMedianNs: 4_000_000,
        flagged: false,
        reportJson: '',
        messageCount: 3,
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

function setup(opts: { stored?: StoredRun; jobRun?: StoredRun; outcome?: 'not-granted' | 'superseded' | 'cancelled' } = {}) {
  const records: RunRecord[] = [];
  const uploads: UploadRecord[] = [];
  const results = {
    recordUpload: async (u: UploadRecord) => void uploads.push(u),
    findRun: async (_job: string, attempt?: number) => (attempt === undefined ? opts.jobRun : opts.stored) ?? null,
    store: async (_job: string, _device: string, _attempt: number, build: (lease: typeof LEASE) => RunRecord) => {
      if (opts.outcome) return opts.outcome;
      records.push(build(LEASE));
      uploads.push({ deviceId: 'd', jobId: 'job-1', attempt: 1, outcome: 'stored', bytes: 0 });
      return { runId: 'run-1', latencyRows: 3, layerRows: 2, duplicate: false };
    },
  } as unknown as ResultRepository;
  const sut = new ResultService(results, {} as JobRepository);
  return { sut, records, uploads };
}

describe(ResultService.name, () => {
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
    ['no timed runs', { latencies: [] }, 'latencies'],
    ['a negative layer time', { layers: { timings: [{ iteration: 0, nodeName: 'x', opType: 'Conv', layer: '', durationNs: -1, provider: '' }] } }, 'layers[0].duration_ns'],
    ['a negative executor overhead', { layers: { timings: [{ iteration: 0, nodeName: 'x', opType: 'Conv', layer: '', durationNs: 1, provider: '', overheadNs: -3 }] } }, 'layers[0].overhead_ns'],
    ['an unknown optimization level', { level: 'max' }, 'summary.protocol.graphOptimizationLevel'],
  ])('rejects %s, naming the field, and stores nothing', async (_what, over, field) => {
    const { sut, records, uploads } = setup();
    await expect(sut.ingest('d', upload(over))).rejects.toMatchObject({ code: ErrorCode.ValidationFailed, field });
    expect(records).toHaveLength(0);
    expect(uploads).toEqual([expect.objectContaining({ outcome: 'rejected', errorCode: ErrorCode.ValidationFailed, field })]);
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

  it('acknowledges, without storing, results that arrive after another attempt completed the job, naming its run', async () => {
    const jobRun = { runId: 'run-of-attempt-2', latencyRows: 3, layerRows: 2, duplicate: true };
    const { sut, records, uploads } = setup({ outcome: 'superseded', jobRun });
    await expect(sut.ingest('d', upload())).resolves.toEqual({ runId: 'run-of-attempt-2', latencyRows: 3, layerRows: 2, duplicate: true });
    expect(records).toHaveLength(0);
    expect(uploads).toEqual([expect.objectContaining({ outcome: 'duplicate', runId: 'run-of-attempt-2' })]);
  });

  it('refuses, without storing, results of a job whose study was cancelled', async () => {
    const { sut, records } = setup({ outcome: 'cancelled' });
    await expect(sut.ingest('d', upload())).rejects.toMatchObject({ code: ErrorCode.PermissionDenied, message: expect.stringMatching(/cancelled/) });
    expect(records).toHaveLength(0);
  });

  it('refuses results for a job never leased to this agent', async () => {
    const { sut } = setup({ outcome: 'not-granted' });
    await expect(sut.ingest('d', upload())).rejects.toEqual(expect.any(LatfleetError));
    await expect(sut.ingest('d', upload())).rejects.toMatchObject({ code: ErrorCode.PermissionDenied });
  });
});
