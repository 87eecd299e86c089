import { makeDivisible } from '../channels.js';
import type { FamilyDefinition, ModelEntry } from '../family.js';
import { poolClassifierHead, stemStep } from './steps.js';
import { lowerStages, mbconv } from './stages.js';

/** t, c, n, s of the paper's Table 2. */
const ROWS = [
  mbconv(3, 1, 16, 1, 1, null, 'relu6'),
  mbconv(3, 6, 24, 2, 2, null, 'relu6'),
  mbconv(3, 6, 32, 3, 2, null, 'relu6'),
  mbconv(3, 6, 64, 4, 2, null, 'relu6'),
  mbconv(3, 6, 96, 3, 1, null, 'relu6'),
  mbconv(3, 6, 160, 3, 2, null, 'relu6'),
  mbconv(3, 6, 320, 1, 1, null, 'relu6'),
];

const entry = (width: number, madds: number, params: number, top1: number): ModelEntry => ({
  name: `mobilenetv2-${width === 1 ? '1.0' : String(width)}`,
  family: 'mobilenetv2',
  line: 'mobilenetv2',
  ...(width === 1 ? { aliases: ['mobilenetv2'] } : {}),
  resolution: 224,
  width,
  depth: 1,
  published: { madds, params, top1 },
});

export const mobilenetV2: FamilyDefinition = {
  family: 'mobilenetv2',
  description: 'MobileNetV2 (Sandler et al., 2018): inverted residuals with linear bottlenecks, ReLU6',
  models: [
    entry(1.4, 585e6, 6.9e6, 74.7),
    entry(1.0, 300e6, 3.4e6, 72.0),
    entry(0.75, 209e6, 2.6e6, 69.8),
    entry(0.5, 97e6, 2.0e6, 65.4),
    entry(0.35, 59e6, 1.7e6, 60.3),
  ],
  knobs: [],
  defaults: (_entry, width) => ({ stem: makeDivisible(32 * width), seWidth: 'expansion', seGate: 'hardsigmoid', seActivation: 'relu' }),
  template(_entry, spec) {
    const scale = (c: number): number => makeDivisible(c * spec.width);
    return {
      stem: [stemStep(spec.stem, 'relu6')],
      blocks: lowerStages(ROWS, spec.stem, scale, spec.depth),
      head: poolClassifierHead(makeDivisible(1280 * Math.max(1, spec.width)), 'relu6'),
    };
  },
};

