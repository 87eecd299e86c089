import { makeDivisible } from '../channels.js';
import type { FamilyDefinition } from '../family.js';
import type { FigureSource } from '../published-figures.js';
import { publishedFigures } from '../published-figures.js';
import { poolClassifierHead, stemStep } from './steps.js';
import { lowerStages, mbconv } from './stages.js';

/** MnasNet-A1 (Tan et al., CVPR 2019, Figure 7): ReLU throughout, SE on the expanded tensor. */
const ROWS = [
  mbconv(3, 1, 16, 1, 1, null, 'relu', { noSkip: true }),
  mbconv(3, 6, 24, 2, 2, null, 'relu'),
  mbconv(5, 3, 40, 3, 2, 0.25, 'relu'),
  mbconv(3, 6, 80, 4, 2, null, 'relu'),
  mbconv(3, 6, 112, 2, 1, 0.25, 'relu'),
  mbconv(5, 6, 160, 3, 2, 0.25, 'relu'),
  mbconv(3, 6, 320, 1, 1, null, 'relu'),
];

const PAPER: FigureSource = { cite: 'Tan et al. 2019, MnasNet (CVPR 2019), Table 1', rounding: 'nearest' };

export const mnasnet: FamilyDefinition = {
  family: 'mnasnet',
  description: 'MnasNet-A1 (Tan et al., CVPR 2019): platform-aware searched MBConv network with SE',
  models: [
    {
      name: 'mnasnet-a1',
      family: 'mnasnet',
      line: 'mnasnet-a1',
      aliases: ['mnasnet'],
      resolution: 224,
      width: 1,
      depth: 1,
      published: publishedFigures(PAPER, '312M', '3.9M', 75.2),
    },
  ],
  knobs: [],
  defaults: (_entry, width) => ({ stem: makeDivisible(32 * width), seWidth: 'input', seGate: 'sigmoid', seActivation: 'relu' }),
  template(_entry, spec) {
    const scale = (c: number): number => makeDivisible(c * spec.width);
    return {
      stem: [stemStep(spec.stem, 'relu')],
      blocks: lowerStages(ROWS, spec.stem, scale, spec.depth),
      head: poolClassifierHead(makeDivisible(1280 * Math.max(1, spec.width)), 'relu'),
    };
  },
};
