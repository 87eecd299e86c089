import { makeDivisible } from '../channels.js';
import type { FamilyDefinition, ModelEntry } from '../family.js';
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

/** width, depth, resolution; published MAdds (FLOPs), params, top-1. */
const SCALING: ReadonlyArray<[number, number, number, number, number, number]> = [
  [1.0, 1.0, 224, 0.39e9, 5.3e6, 76.3],
  [1.0, 1.1, 240, 0.7e9, 7.8e6, 78.8],
  [1.1, 1.2, 260, 1.0e9, 9.2e6, 79.8],
  [1.2, 1.4, 300, 1.8e9, 12e6, 81.1],
  [1.4, 1.8, 380, 4.2e9, 19e6, 82.6],
  [1.6, 2.2, 456, 9.9e9, 30e6, 83.3],
  [1.8, 2.6, 528, 19e9, 43e6, 84.0],
  [2.0, 3.1, 600, 37e9, 66e6, 84.4],
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
    published: { madds, params, top1 },
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
