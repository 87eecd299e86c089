import { describe, expect, it } from 'vitest';
import type { AttributedGroup } from '../lib/measure/index.js';
import type { LayerInfo } from '../lib/models/index.js';
import type { DeviceRepository } from './device.repository.js';
import type { RunRecord, RunRepository, RunRow, StoredNodeTiming } from './run.repository.js';
import { RunService, runLatenciesCsv } from './run.service.js';

const RUN_ID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';

const layer = (name: string, block: string): LayerInfo => ({ name, block, role: 'conv', op: 'conv', madds: 1000 }) as unknown as LayerInfo;
/**
 * The stored node rows of three profiled iterations, the middle one at exactly these times (kernel,
 * overhead in ns): stem 300 µs + 50, blocks.0.dw 450 + 70 (both Conv), an unattributed ReorderOutput
 * 50 + 10. `overhead: false`: rows stored before agents measured executor overhead.
 */
function nodeRows(o: { overhead?: boolean } = {}): StoredNodeTiming[] {
  const nodes = [
    { nodeName: 'stem_conv', opType: 'Conv', layer: 'stem', kernel: 300_000, overhead: 50_000 },
    { nodeName: 'dw_conv', opType: 'Conv', layer: 'blocks.0.dw', kernel: 450_000, overhead: 70_000 },
    { nodeName: 'ReorderOutput_1', opType: 'ReorderOutput', layer: '', kernel: 50_000, overhead: 10_000 },
  ];
  return [1.1, 1, 0.95].flatMap((f, iteration) =>
    nodes.map((n) => ({ iteration, nodeName: n.nodeName, opType: n.opType, layer: n.layer, durationNs: n.kernel * f, overheadNs: o.overhead === false ? null : n.overhead * f })),
  );
}
const group = (key: string, kernel: number, overhead: number, shares: [number, number], nodes = 1): AttributedGroup => ({
  key,
  kernelMedianNs: kernel,
  overheadMedianNs: overhead,
  totalMedianNs: kernel + overhead,
  share: shares[0],
  totalShare: shares[1],
  nodes,
});

/** A run profiled by the current agent (its report): kernel 800 µs + overhead 130 µs in nodes, 20 µs of session; model_run 950 µs. */
const CURRENT_ATTRIBUTION = {
  source: 'lineage',
  unattributedShare: 0.0625,
  layerSumToProfiledMedian: 0.8,
  layerSumToProfileRunMedian: 0.842105,
  layerSumToTimedMedian: 0.888889,
  layerSumWithOverheadToProfiledMedian: 0.95,
  layerSumWithOverheadToProfileRunMedian: 1,
  layerSumWithOverheadToTimedMedian: 1.055556,
  profileRunMedianNs: 950_000,
  accountedRunMedianNs: 950_000,
  sessionOverheadMedianNs: 20_000,
  // the agent's tables are not read (every per-layer, block and op figure comes from the rows); only its session bucket is
  byLayer: [group('(session)', 0, 20_000, [0, 0.021053], 0)],
};

/** The same run as an agent before executor overhead stored it: source and kernel ratios only. */
const OLD_ATTRIBUTION = { source: 'names', unattributedShare: 0.0625, layerSumToProfiledMedian: 0.8, layerSumToProfileRunMedian: null, layerSumToTimedMedian: 0.888889 };

function runWith(attribution: unknown): RunRow {
  return {
    id: RUN_ID,
    studyId: 's',
    variantLabel: 'paper',
    deviceName: 'vm-a',
    medianNs: 900_000,
    profiledMedianNs: 1_000_000,
    layers: [layer('stem', 'stem'), layer('blocks.0.dw', 'blocks.0')],
    attribution,
  };
}

function serviceFor(run: RunRow | null, rows = nodeRows()): RunService {
  // the unattributed rows first, as Postgres may return them: the unattributed bucket must still come last
  const runs = { find: async () => run, nodeTimings: async () => [...rows].sort((a, b) => a.layer.localeCompare(b.layer)) } as unknown as RunRepository;
  return new RunService(runs, {} as DeviceRepository);
}

describe(RunService.name, () => {
  describe('layers', () => {
    it('puts each layer’s executor overhead and total beside its kernel time, and the session as its own row', async () => {
      const sut = await serviceFor(runWith(CURRENT_ATTRIBUTION)).layers(RUN_ID);

      expect(sut.layers.map((l) => [l.layer, l.medianMs, l.overheadMs, l.totalMs, l.share, l.totalShare])).toEqual([
        ['stem', 0.3, 0.05, 0.35, 0.375, 0.3684],
        ['blocks.0.dw', 0.45, 0.07, 0.52, 0.5625, 0.5474],
        ['(unattributed)', 0.05, 0.01, 0.06, 0.0625, 0.0632],
      ]);
      expect(sut.session).toEqual({ key: '(session)', kernelMs: 0, overheadMs: 0.02, totalMs: 0.02, share: 0, totalShare: 0.0211, nodes: 0 });
      expect(sut.layerSumMs).toBe(0.8);
      expect(sut.layerSumWithOverheadMs).toBe(0.95);
      expect(sut.modelRunMedianMs).toBe(0.95);
      expect(sut.attributionSource).toBe('lineage');
    });

    it('gives the agent’s ratios, kernel only and with overhead, against the profiled, model_run and timed medians', async () => {
      const sut = await serviceFor(runWith(CURRENT_ATTRIBUTION)).layers(RUN_ID);

      expect(sut.ratios).toEqual({
        kernel: { toProfiledMedian: 0.8, toModelRunMedian: 0.842, toTimedMedian: 0.889 },
        withOverhead: { toProfiledMedian: 0.95, toModelRunMedian: 1, toTimedMedian: 1.056 },
      });
      expect(sut.layerSumRatio).toBe(0.8);
    });

    it('gives the per-block and per-op-type tables without the session bucket, unattributed by name', async () => {
      const sut = await serviceFor(runWith(CURRENT_ATTRIBUTION)).layers(RUN_ID);

      expect(sut.blocks?.map((g) => [g.key, g.kernelMs, g.overheadMs, g.totalMs])).toEqual([
        ['stem', 0.3, 0.05, 0.35],
        ['blocks.0', 0.45, 0.07, 0.52],
        ['(unattributed)', 0.05, 0.01, 0.06],
      ]);
      expect(sut.opTypes?.map((g) => [g.key, g.nodes, g.totalShare])).toEqual([
        ['Conv', 2, 0.9158],
        ['ReorderOutput', 1, 0.0632],
      ]);
    });

    it('shows a run stored before executor overhead with kernel time only and the new fields null', async () => {
      const sut = await serviceFor(runWith(OLD_ATTRIBUTION), nodeRows({ overhead: false })).layers(RUN_ID);

      expect(sut.layers.map((l) => [l.layer, l.medianMs, l.overheadMs, l.totalMs, l.totalShare])).toEqual([
        ['stem', 0.3, null, null, null],
        ['blocks.0.dw', 0.45, null, null, null],
        ['(unattributed)', 0.05, null, null, null],
      ]);
      expect(sut).toMatchObject({
        attributionSource: 'names',
        session: null,
        blocks: null,
        opTypes: null,
        layerSumWithOverheadMs: null,
        modelRunMedianMs: null,
        layerSumRatio: 0.8,
        ratios: {
          kernel: { toProfiledMedian: 0.8, toModelRunMedian: null, toTimedMedian: 0.889 },
          withOverhead: { toProfiledMedian: null, toModelRunMedian: null, toTimedMedian: null },
        },
      });
    });

    it('shows a run with no report at all from its rows, without the session bucket only the report holds', async () => {
      for (const attribution of [null, undefined, 'garbage', []]) {
        const sut = await serviceFor(runWith(attribution)).layers(RUN_ID);
        expect(sut).toMatchObject({ attributionSource: null, session: null, modelRunMedianMs: null, layerSumMs: 0.8, layerSumWithOverheadMs: 0.93 });
        expect(sut.layers.map((l) => l.overheadMs)).toEqual([0.05, 0.07, 0.01]);
        expect(sut.blocks?.map((g) => g.key)).toEqual(['stem', 'blocks.0', '(unattributed)']);
      }
    });

    it('lists each layer’s runtime nodes and op types from the rows', async () => {
      const sut = await serviceFor(runWith(CURRENT_ATTRIBUTION)).layers(RUN_ID);
      expect(sut.layers.map((l) => [l.layer, l.runtimeNodes, l.runtimeOps])).toEqual([
        ['stem', ['stem_conv'], ['Conv']],
        ['blocks.0.dw', ['dw_conv'], ['Conv']],
        ['(unattributed)', ['ReorderOutput_1'], ['ReorderOutput']],
      ]);
    });

    it('refuses an unknown run', async () => {
      await expect(serviceFor(null).layers(RUN_ID)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  describe('get', () => {
    const record = (report: Record<string, unknown>): RunRecord => ({
      id: RUN_ID,
      studyId: 's',
      study: 'activations',
      variantId: 'v',
      variant: 'hswish',
      model: 'm',
      modelSha256: 'a'.repeat(64),
      deviceId: 'd',
      device: 'vm-a',
      jobId: 'j',
      attempt: 1,
      round: 2,
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:09.000Z',
      createdAt: '2026-01-01T00:00:10.000Z',
      environment: {},
      protocol: {},
      latencyRows: 60,
      layerRows: 100,
      flagged: true,
      flags: ['busy-system'],
      flaggedBy: ['busy-system'],
      statistics: {
        timedRuns: 60,
        medianNs: 1,
        p90Ns: 1,
        p99Ns: null,
        minNs: 1,
        maxNs: null,
        meanNs: 1,
        stdNs: null,
        madNs: null,
        medianCiLowNs: null,
        medianCiHighNs: null,
        profiledMedianNs: 1,
        profilingOverhead: null,
      },
      report,
    });
    const serviceWith = (
      r: RunRecord | null,
      latencies = [
        { iteration: 0, latencyNs: 900_000 },
        { iteration: 1, latencyNs: 910_000 },
      ],
    ) => new RunService({ record: async () => r, exists: async () => r !== null, latencies: async () => latencies } as unknown as RunRepository, {} as DeviceRepository);

    it('lists the report’s attempts with their flags, the kept one last, and keeps the whole report', async () => {
      const report = {
        flagged: true,
        attempts: [
          { attempt: 0, startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:04.000Z', quality: { flags: ['busy-system', 'host-slow'] } },
          { attempt: 1, startedAt: '2026-01-01T00:00:05.000Z', finishedAt: '2026-01-01T00:00:09.000Z', quality: { flags: ['busy-system'] } },
        ],
      };
      const sut = await serviceWith(record(report)).get(RUN_ID);

      expect(sut.attempts).toEqual([
        { attempt: 0, flags: ['busy-system', 'host-slow'], startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:04.000Z' },
        { attempt: 1, flags: ['busy-system'], startedAt: '2026-01-01T00:00:05.000Z', finishedAt: '2026-01-01T00:00:09.000Z' },
      ]);
      expect(sut).toMatchObject({ round: 2, flagged: true, flags: ['busy-system'], report });
    });

    it('has no attempts for a run whose report predates them', async () => {
      expect((await serviceWith(record({})).get(RUN_ID)).attempts).toEqual([]);
    });

    it('refuses an unknown run', async () => {
      await expect(serviceWith(null).get(RUN_ID)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(serviceWith(null, []).latencies(RUN_ID)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('gives the raw latencies in iteration order, as JSON or CSV', async () => {
      const sut = await serviceWith(record({})).latencies(RUN_ID);

      expect(sut).toEqual({
        runId: RUN_ID,
        latencies: [
          { iteration: 0, latencyNs: 900_000 },
          { iteration: 1, latencyNs: 910_000 },
        ],
      });
      expect(runLatenciesCsv(sut)).toBe('iteration,latency_ns\r\n0,900000\r\n1,910000\r\n');
    });
  });
});
