import { describe, expect, it } from 'vitest';
import { benjaminiHochberg } from '../lib/measure/index.js';
import type { LayerInfo } from '../lib/models/index.js';
import type { DeviceRepository } from './device.repository.js';
import type { IterationSum, LayerDeltaRepository, LayerDeltaRun } from './layer-delta.repository.js';
import { LayerDeltaService, ProfiledRuns, groupDeltas } from './layer-delta.service.js';
import type { StudyRepository } from './study.repository.js';
import { UNATTRIBUTED } from './run.service.js';

const layer = (name: string, block: string, op: LayerInfo['op'], role: LayerInfo['role']) => ({ name, block, op, role }) as LayerInfo;
const LAYERS = [
  layer('stem', 'stem', 'conv', 'stem'),
  layer('blocks.0.dw', 'blocks.0', 'dwconv', 'depthwise'),
  layer('blocks.0.se', 'blocks.0', 'se', 'se'),
  layer('head.fc', 'head', 'fc', 'classifier'),
];
const order = new Map(LAYERS.map((l, index) => [l.name, { index, block: l.block }]));

/** `iterations` profiled iterations of one run, each layer taking the same time in every one. */
const sums = (runId: string, iterations: number, perLayer: Record<string, number>, opType = 'Conv'): IterationSum[] =>
  Array.from({ length: iterations }, (_, iteration) => Object.entries(perLayer).map(([l, ns]) => ({ runId, iteration, layer: l, opType, ns }))).flat();

/** One run per round of a variant: `perLayer(round)` its layers' times in that round. */
function side(label: string, roundCount: number, perLayer: (round: number) => Record<string, number>, round: (r: number) => number | null = (r) => r): ProfiledRuns {
  const runs = Array.from({ length: roundCount }, (_, r) => ({ id: `${label}-${r}`, round: round(r) }));
  return new ProfiledRuns(
    runs.flatMap((run, r) => sums(run.id, 5, perLayer(r))),
    LAYERS,
    runs,
  );
}

describe(groupDeltas.name, () => {
  // the host is 5% slower in round 1 for both variants; the variant drops the SE layer and spends 30% more in the depthwise one
  const host = [1, 1.05, 1];
  const base = side('base', 3, (r) => ({ stem: 100_000 * host[r]!, 'blocks.0.dw': 200_000 * host[r]!, 'blocks.0.se': 50_000 * host[r]!, 'head.fc': 10_000 * host[r]!, '': 5_000 }));
  const cand = side('cand', 3, (r) => ({ stem: 100_000 * host[r]!, 'blocks.0.dw': 260_000 * host[r]! + [0, 300, -200][r]!, 'head.fc': 10_000 * host[r]!, '': 5_000 }));

  it('sums layers into their blocks, in network order, the unattributed time last', () => {
    const sut = groupDeltas(base, cand, 'block', order);
    expect(sut.map((g) => [g.key, g.deltaMs])).toEqual([
      ['stem', 0],
      ['blocks.0', 0.01],
      ['head', 0],
      [UNATTRIBUTED, 0],
    ]);
  });

  it('pairs the runs by round: means over rounds, the mean difference with its interval', () => {
    const dw = groupDeltas(base, cand, 'layer', order).find((g) => g.key === 'blocks.0.dw')!;
    expect(dw).toMatchObject({ rounds: 3, verdict: 'slower', baselineMs: 0.203, variantMs: 0.264, deltaMs: 0.061 });
    expect(dw.deltaPct).toBeCloseTo(30, 1);
    expect(dw.deltaCiLowMs!).toBeGreaterThan(0);
    expect(dw.pValue!).toBeLessThan(0.05);
  });

  it('counts a group absent from one side as zero there (an SE module removed)', () => {
    const sut = groupDeltas(base, cand, 'op', order);
    expect(sut.find((g) => g.key === 'se')).toMatchObject({ variantMs: 0, deltaPct: -100, verdict: 'faster', rounds: 3 });
    expect(sut.find((g) => g.key === 'fc')).toMatchObject({ deltaMs: 0, pValue: 1, verdict: 'within noise' });
  });

  it('orders op, role and runtime-op groups by the size of their delta', () => {
    expect(
      groupDeltas(base, cand, 'role', order)
        .map((g) => g.key)
        .slice(0, 2),
    ).toEqual(['depthwise', 'se']);
  });

  it('adjusts the p-values of a grouping together (Benjamini–Hochberg) and decides on the adjusted ones', () => {
    // four rounds; per round the variant's extra time: stem always 100 ns, the depthwise layer 5, 3, 6, 2 ns (p ≈ 0.02), the rest noise around 0
    const extra = { stem: [100, 101, 99, 100], 'blocks.0.dw': [5, 3, 6, 2], 'blocks.0.se': [1, -1, 2, -2], 'head.fc': [2, -2, 1, -1], '': [0, 1, 0, -1] };
    const at = (r: number, plus: boolean) => Object.fromEntries(Object.entries(extra).map(([l, d]) => [l, 10_000 + (plus ? d[r]! : 0)]));
    const sut = groupDeltas(
      side('base', 4, (r) => at(r, false)),
      side('cand', 4, (r) => at(r, true)),
      'layer',
      order,
    );
    const dw = sut.find((g) => g.key === 'blocks.0.dw')!;

    expect(sut.map((g) => g.pAdjusted)).toEqual(benjaminiHochberg(sut.map((g) => g.pValue)));
    expect(sut.find((g) => g.key === 'stem')).toMatchObject({ verdict: 'slower', rounds: 4 });
    expect(dw.pValue!).toBeLessThan(0.05);
    expect(dw.pAdjusted!).toBeGreaterThan(0.05);
    expect(dw.verdict).toBe('within noise');
  });

  it('is undecided with fewer than three rounds', () => {
    const sut = groupDeltas(
      side('base', 2, () => ({ stem: 100_000 })),
      side('cand', 2, () => ({ stem: 150_000 })),
      'layer',
      order,
    );
    expect(sut).toEqual([expect.objectContaining({ key: 'stem', deltaMs: 0.05, rounds: 2, pValue: null, pAdjusted: null, deltaCiLowMs: null, verdict: 'undecided' })]);
  });

  it('pairs nothing for runs stored before rounds: means over all runs, undecided', () => {
    const sut = groupDeltas(
      side(
        'base',
        3,
        () => ({ stem: 100_000 }),
        () => null,
      ),
      side(
        'cand',
        3,
        () => ({ stem: 150_000 }),
        () => null,
      ),
      'layer',
      order,
    );
    expect(sut[0]).toMatchObject({ baselineMs: 0.1, variantMs: 0.15, deltaMs: 0.05, rounds: 0, verdict: 'undecided' });
  });

  it('gives each group its signed part of the gross change, bounded when gains and losses nearly cancel', () => {
    // the stem gains 5 µs, the depthwise layer loses 4.9 µs: ΣΔ is 0.1 µs, Σ|Δ| 9.9 µs
    const sut = groupDeltas(
      side('base', 3, () => ({ stem: 100_000, 'blocks.0.dw': 100_000 })),
      side('cand', 3, () => ({ stem: 105_000, 'blocks.0.dw': 95_100 })),
      'layer',
      order,
    );

    expect(sut.map((g) => [g.key, g.shareOfDelta])).toEqual([
      ['stem', 0.5051],
      ['blocks.0.dw', -0.4949],
    ]);
    expect(
      groupDeltas(
        side('base', 3, () => ({ stem: 100_000 })),
        side('cand', 3, () => ({ stem: 100_000 })),
        'layer',
        order,
      )[0]!.shareOfDelta,
    ).toBeNull();
  });

  it('gives nothing when a side has no profiled iterations', () => {
    expect(groupDeltas(new ProfiledRuns([], LAYERS, []), cand, 'block', order)).toEqual([]);
  });
});

describe(ProfiledRuns.name, () => {
  it('takes per run the median over its iterations of each group’s summed time (0 in iterations without it)', () => {
    const sut = new ProfiledRuns(
      [
        { runId: 'a', iteration: 0, layer: 'stem', opType: 'Conv', ns: 10 },
        { runId: 'a', iteration: 0, layer: '', opType: 'Reorder', ns: 1 },
        { runId: 'a', iteration: 1, layer: 'stem', opType: 'Conv', ns: 14 },
        { runId: 'a', iteration: 2, layer: 'stem', opType: 'Conv', ns: 12 },
        { runId: 'b', iteration: 0, layer: 'stem', opType: 'Conv', ns: 30 },
        { runId: 'b', iteration: 1, layer: 'stem', opType: 'Conv', ns: 20 },
      ],
      LAYERS,
      [
        { id: 'b', round: 1 },
        { id: 'a', round: 0 },
        { id: 'unprofiled', round: 2 },
      ],
    );
    expect(sut.iterations).toBe(5);
    expect(sut.groupMedians('runtimeOp').get('Reorder')).toEqual([
      { round: 1, value: 0 },
      { round: 0, value: 0 },
    ]);
    expect(sut.groupMedians('layer').get('stem')).toEqual([
      { round: 1, value: 25 },
      { round: 0, value: 12 },
    ]);
    expect(sut.totalMedians()).toEqual([
      { round: 1, value: 25 },
      { round: 0, value: 12 },
    ]);
    expect(sut.zeros()).toEqual([
      { round: 1, value: 0 },
      { round: 0, value: 0 },
    ]);
  });

  it('falls back to the block in the layer name when the metadata lacks the layer', () => {
    const sut = new ProfiledRuns([], LAYERS, []);
    expect(sut.keyOf({ runId: 'r', iteration: 0, layer: 'blocks.7.expand', opType: 'Conv', ns: 1 }, 'block')).toBe('blocks.7');
    expect(sut.keyOf({ runId: 'r', iteration: 0, layer: 'blocks.7.expand', opType: 'Conv', ns: 1 }, 'op')).toBe(UNATTRIBUTED);
  });
});

describe(LayerDeltaService.name, () => {
  /** 4 rounds of paper and hswish on one device; hswish's round-3 run is flagged busy and 20% slow everywhere. */
  function setup() {
    const run = (label: string, round: number, flags?: string[]): LayerDeltaRun => ({ id: `${label}-${round}`, round, flagged: flags !== undefined, flags: flags ?? [] });
    const runs: Record<string, LayerDeltaRun[]> = {
      'v-paper': [0, 1, 2, 3].map((r) => run('paper', r)),
      'v-hswish': [0, 1, 2].map((r) => run('hswish', r)).concat(run('hswish', 3, ['busy-system'])),
    };
    const slow = (id: string) => (id === 'hswish-3' ? 1.2 : 1);
    const extra = (id: string) => (id.startsWith('hswish') ? 5_000 : 0);
    const layers: LayerDeltaRepository = {
      variant: async (_: string, label: string) => ({ id: `v-${label}`, label, model: `m-${label}`, layers: LAYERS }),
      commonDevices: async () => [{ id: 'd1', name: 'vm-a', deviceClass: 'cpu' }],
      runs: async (_: string, variantId: string) => runs[variantId]!,
      iterationSums: async (ids: readonly string[]) => ids.flatMap((id) => sums(id, 5, { stem: (10_000 + extra(id)) * slow(id), 'head.fc': 10_000 * slow(id) })),
      timedMediansNs: async (ids: readonly string[]) => new Map(ids.map((id) => [id, 4e6 * slow(id) * (1 + Number(id.slice(-1)) / 100)])),
    } as unknown as LayerDeltaRepository;
    const studies = {
      header: async (id: string) => ({ id, name: 'activations', status: 'completed', baselineLabel: 'paper', betweenStudyPct: 0.3, betweenStudyRelativePct: 1 }),
    } as unknown as StudyRepository;
    const devices = {
      reproducibility: async (ids: string[], floor: number, relativePct: number) =>
        new Map(ids.map((id) => [id, { betweenStudyPct: floor, source: 'floor', df: 0, learnedPct: null, relativePct }])),
    };
    return new LayerDeltaService(studies, layers, devices as unknown as DeviceRepository);
  }

  it('leaves the flagged run out of every figure by default, and shows it', async () => {
    const sut = await setup().deltas('s1', { variant: 'hswish' });

    expect(sut.variant).toMatchObject({ replicates: 3, flaggedReplicates: 1, flags: ['busy-system'], flaggedRunIds: ['hswish-3'], profiledIterations: 15 });
    expect(sut.variant.runIds).toEqual(['hswish-0', 'hswish-1', 'hswish-2']);
    expect(sut.groups.layer.find((g) => g.key === 'stem')).toMatchObject({ rounds: 3, deltaMs: 0.005, verdict: 'slower' });
    expect(sut.groups.layer.find((g) => g.key === 'head.fc')).toMatchObject({ rounds: 3, deltaMs: 0, verdict: 'within noise' });
    expect(sut.endToEnd).toMatchObject({ baselineMs: 4.06, variantMs: 4.04, deltaMs: 0, deltaPct: 0, verdict: 'within noise', rounds: 3, design: 'paired' });
    expect(sut.profiledKernel).toMatchObject({ deltaMs: 0.005, rounds: 3, verdict: 'slower' });
    expect(sut.note).toContain('Benjamini–Hochberg within each grouping');
    expect(sut.includeFlagged).toBe(false);
    expect(sut.reproducibility).toEqual({ betweenStudyPct: 0.3, source: 'floor', df: 0, learnedPct: null, relativePct: 1 });
  });

  it('keeps the flagged run with include=flagged', async () => {
    const sut = await setup().deltas('s1', { variant: 'hswish', include: 'flagged' });

    expect(sut.variant).toMatchObject({ replicates: 4, flaggedReplicates: 1, profiledIterations: 20 });
    expect(sut.groups.layer.find((g) => g.key === 'head.fc')).toMatchObject({ rounds: 4 });
    expect(sut.endToEnd).toMatchObject({ rounds: 4 });
    expect(sut.endToEnd.deltaPct!).toBeGreaterThan(4);
    expect(sut.includeFlagged).toBe(true);
  });
});
