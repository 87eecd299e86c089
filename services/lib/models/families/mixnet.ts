import { makeDivisible } from '../channels.js';
import type { FamilyDefinition, ModelEntry } from '../family.js';
import type { Activation } from '../network-plan.js';
import type { FigureSource } from '../published-figures.js';
import { publishedFigures } from '../published-figures.js';
import { poolClassifierHead, stemStep } from './steps.js';
import type { StageRow } from './stages.js';
import { lowerStages } from './stages.js';

/** n, out, expansion, depthwise kernels, expand groups, project groups, stride, SE ratio, activation. */
type Row = [number, number, number, number[], number, number, number, number | null, Activation];

const row = ([repeats, out, expand, kernels, expandGroups, projectGroups, stride, se, activation]: Row): StageRow => ({
  kernels,
  expand,
  out,
  repeats,
  stride,
  se,
  activation,
  expandGroups,
  projectGroups,
});

/** MixNet (Tan & Le, BMVC 2019), Figure 8: MixConv kernels and grouped pointwise convolutions. */
const LINES: Record<'s' | 'm', { stem: number; rows: StageRow[] }> = {
  s: {
    stem: 16,
    rows: (
      [
        [1, 16, 1, [3], 1, 1, 1, null, 'relu'],
        [1, 24, 6, [3], 2, 2, 2, null, 'relu'],
        [1, 24, 3, [3], 2, 2, 1, null, 'relu'],
        [1, 40, 6, [3, 5, 7], 1, 1, 2, 0.5, 'swish'],
        [3, 40, 6, [3, 5], 2, 2, 1, 0.5, 'swish'],
        [1, 80, 6, [3, 5, 7], 1, 2, 2, 0.25, 'swish'],
        [2, 80, 6, [3, 5], 1, 2, 1, 0.25, 'swish'],
        [1, 120, 6, [3, 5, 7], 2, 2, 1, 0.5, 'swish'],
        [2, 120, 3, [3, 5, 7, 9], 2, 2, 1, 0.5, 'swish'],
        [1, 200, 6, [3, 5, 7, 9, 11], 1, 1, 2, 0.5, 'swish'],
        [2, 200, 6, [3, 5, 7, 9], 1, 2, 1, 0.5, 'swish'],
      ] satisfies Row[]
    ).map(row),
  },
  m: {
    stem: 24,
    rows: (
      [
        [1, 24, 1, [3], 1, 1, 1, null, 'relu'],
        [1, 32, 6, [3, 5, 7], 2, 2, 2, null, 'relu'],
        [1, 32, 3, [3], 2, 2, 1, null, 'relu'],
        [1, 40, 6, [3, 5, 7, 9], 1, 1, 2, 0.5, 'swish'],
        [3, 40, 6, [3, 5], 2, 2, 1, 0.5, 'swish'],
        [1, 80, 6, [3, 5, 7], 1, 1, 2, 0.25, 'swish'],
        [3, 80, 6, [3, 5, 7, 9], 2, 2, 1, 0.25, 'swish'],
        [1, 120, 6, [3], 1, 1, 1, 0.5, 'swish'],
        [3, 120, 3, [3, 5, 7, 9], 2, 2, 1, 0.5, 'swish'],
        [1, 200, 6, [3, 5, 7, 9], 1, 1, 2, 0.5, 'swish'],
        [3, 200, 6, [3, 5, 7, 9], 1, 2, 1, 0.5, 'swish'],
      ] satisfies Row[]
    ).map(row),
  },
};

const HEAD = 1536;

interface MixNetEntry extends ModelEntry {
  size: 's' | 'm';
}

const PAPER: FigureSource = { cite: 'Tan and Le 2019, MixConv (BMVC 2019), ImageNet results table', rounding: 'nearest' };

const entry = (name: string, size: 's' | 'm', width: number, madds: string, params: string, top1: number): MixNetEntry => ({
  name,
  family: 'mixnet',
  line: `mixnet-${size}`,
  size,
  resolution: 224,
  width,
  depth: 1,
  published: publishedFigures(PAPER, madds, params, top1),
});

export const mixnet: FamilyDefinition<MixNetEntry> = {
  family: 'mixnet',
  description: 'MixNet (Tan & Le, BMVC 2019): mixed depthwise kernel sizes (MixConv), grouped pointwise convolutions',
  models: [entry('mixnet-s', 's', 1, '256M', '4.1M', 75.8), entry('mixnet-m', 'm', 1, '360M', '5.0M', 77.0), entry('mixnet-l', 'm', 1.3, '565M', '7.3M', 78.9)],
  knobs: [],
  defaults: (e, width) => ({ stem: makeDivisible(LINES[e.size].stem * width), seWidth: 'input', seGate: 'sigmoid', seActivation: 'block' }),
  template(model, spec) {
    const scale = (c: number): number => makeDivisible(c * spec.width);
    return {
      stem: [stemStep(spec.stem, 'relu')],
      blocks: lowerStages(LINES[model.size].rows, spec.stem, scale, spec.depth),
      head: poolClassifierHead(HEAD, 'relu'),
    };
  },
};
