import { describe, expect, it } from 'vitest';
import type { LayerInfo } from '../lib/models/index.js';
import { ProfiledSide, groupDeltas } from './layer-delta.service.js';
import { UNATTRIBUTED } from './run.service.js';
import type { IterationSum } from './layer-delta.repository.js';

const layer = (name: string, block: string, op: LayerInfo['op'], role: LayerInfo['role']) => ({ name, block, op, role }) as LayerInfo;
const LAYERS = [layer('stem', 'stem', 'conv', 'stem'), layer('blocks.0.dw', 'blocks.0', 'dwconv', 'depthwise'), layer('blocks.0.se', 'blocks.0', 'se', 'se'), layer('head.fc', 'head', 'fc', 'classifier')];
const order = new Map(LAYERS.map((l, index) => [l.name, { index, block: l.block }]));

const sums = (iterations: number, perLayer: Record<string, number>, opType = 'Conv'): IterationSum[] =>
  Array.from({ length: iterations }, (_, iteration) => Object.entries(perLayer).map(([l, ns]) => ({ runId: 'r', iteration, layer: l, opType, ns }))).flat();

describe(groupDeltas.name, () => {
  const base = new ProfiledSide(sums(7, { stem: 100_000, 'blocks.0.dw': 200_000, 'blocks.0.se': 50_000, 'head.fc': 10_000, '': 5_000 }), LAYERS);
  const cand = new ProfiledSide(sums(7, { stem: 100_000, 'blocks.0.dw': 260_000, 'head.fc': 10_000, '': 5_000 }), LAYERS);

  it('sums layers into their blocks, in network order, the unattributed time last', () => {
    const sut = groupDeltas(base, cand, 'block', order);
    expect(sut.map((g) => [g.key, g.deltaMs])).toEqual([
      ['stem', 0],
      ['blocks.0', 0.01],
      ['head', 0],
      [UNATTRIBUTED, 0],
    ]);
  });

  it('counts a group absent from one side as zero there (an SE module removed)', () => {
    const sut = groupDeltas(base, cand, 'op', order);
    expect(sut.find((g) => g.key === 'se')).toMatchObject({ baselineMs: 0.05, variantMs: 0, deltaPct: -100, verdict: 'faster' });
    expect(sut.find((g) => g.key === 'dwconv')).toMatchObject({ deltaPct: 30, verdict: 'slower', shareOfDelta: 6 });
  });

  it('orders op, role and runtime-op groups by the size of their delta', () => {
    expect(groupDeltas(base, cand, 'role', order).map((g) => g.key).slice(0, 2)).toEqual(['depthwise', 'se']);
  });

  it('gives nothing when a side has no profiled iterations', () => {
    expect(groupDeltas(new ProfiledSide([], LAYERS), cand, 'block', order)).toEqual([]);
  });
});

describe(ProfiledSide.name, () => {
  it('treats each (run, iteration) as one sample and takes the median of the totals', () => {
    const sut = new ProfiledSide(
      [
        { runId: 'a', iteration: 0, layer: 'stem', opType: 'Conv', ns: 10 },
        { runId: 'a', iteration: 0, layer: '', opType: 'Reorder', ns: 1 },
        { runId: 'b', iteration: 0, layer: 'stem', opType: 'Conv', ns: 30 },
        { runId: 'b', iteration: 1, layer: 'stem', opType: 'Conv', ns: 20 },
      ],
      LAYERS,
    );
    expect(sut.iterations).toBe(3);
    expect(sut.totalMedianNs()).toBe(20);
    expect(sut.totals('runtimeOp').get('Reorder')).toEqual([1, 0, 0]);
  });

  it('falls back to the block in the layer name when the metadata lacks the layer', () => {
    const sut = new ProfiledSide([], LAYERS);
    expect(sut.keyOf({ runId: 'r', iteration: 0, layer: 'blocks.7.expand', opType: 'Conv', ns: 1 }, 'block')).toBe('blocks.7');
    expect(sut.keyOf({ runId: 'r', iteration: 0, layer: 'blocks.7.expand', opType: 'Conv', ns: 1 }, 'op')).toBe(UNATTRIBUTED);
  });
});
