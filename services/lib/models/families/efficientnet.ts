import { makeDivisible } from '../channels.js';
import type { FamilyDefinition, ModelEntry } from '../family.js';
import type { FigureSource } from '../published-figures.js';
import { publishedFigures } from '../published-figures.js';
import { poolClassifierHead, stemStep } from './steps.js';
import { lowerStages, mbconv } from './stages.js';

/** EfficientNet-B0 (Tan & Le, ICML 2019, Table 1): swish, SE 0.25 of the block input in every block. */
const ROWS = [
  mbconv(3, 1, 16, 1, 1, 0.25, 'swish'),
  mbconv(3, 6, 24, 2, 2, 0.25, 'swish'),
  mbconv(5, 6, 40, 2, 2, 0.25, 'swish'),
  mbconv(3, 6, 80, 3, 2, 0.25, 'swish'),
  mbconv(5, 6, 112, 3, 1, 0.25, 'swish'),
  mbconv(5, 6, 192, 4, 2, 0.25, 'swish'),
  mbconv(3, 6, 320, 1, 1, 0.25, 'swish'),
];

/** 0.39B for B0 (385.8M here) shows the paper rounds to nearest: truncated it would print 0.38B. */
const PAPER: FigureSource = { cite: 'Tan and Le 2019, EfficientNet (ICML 2019), Table 2', rounding: 'nearest' };

/** width, depth, resolution; FLOPs (multiply-adds) and params as Table 2 prints them, top-1. */
const SCALING: ReadonlyArray<[number, number, number, string, string, number]> = [
  [1.0, 1.0, 224, '0.39B', '5.3M', 76.3],
  [1.0, 1.1, 240, '0.70B', '7.8M', 78.8],
  [1.1, 1.2, 260, '1.0B', '9.2M', 79.8],
  [1.2, 1.4, 300, '1.8B', '12M', 81.1],
  [1.4, 1.8, 380, '4.2B', '19M', 82.6],
  [1.6, 2.2, 456, '9.9B', '30M', 83.3],
  [1.8, 2.6, 528, '19B', '43M', 84.0],
  [2.0, 3.1, 600, '37B', '66M', 84.4],
];

export const efficientnet: FamilyDefinition = {
  family: 'efficientnet',
  description: 'EfficientNet B0-B7 (Tan & Le, ICML 2019): compound scaling of width, depth and resolution',
  models: SCALING.map(([width, depth, resolution, madds, params, top1], i): ModelEntry => ({
    name: `efficientnet-b${i}`,
    family: 'efficientnet',
    line: 'efficientnet',
    ...(i === 0 ? { aliases: ['efficientnet'] } : {}),
    resolution,
    width,
    depth,
    published: publishedFigures(PAPER, madds, params, top1),
  })),
  knobs: ['compound'],
  defaults: (_entry, width) => ({ stem: makeDivisible(32 * width), seWidth: 'input', seGate: 'sigmoid', seActivation: 'block' }),
  template(_entry, spec) {
    const scale = (c: number): number => makeDivisible(c * spec.width);
    return {
      stem: [stemStep(spec.stem, 'swish')],
      blocks: lowerStages(ROWS, spec.stem, scale, spec.depth),
      head: poolClassifierHead(scale(1280), 'swish'),
    };
  },
};
