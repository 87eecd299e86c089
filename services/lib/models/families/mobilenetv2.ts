import { makeDivisible } from '../channels.js';
import type { FamilyDefinition, ModelEntry } from '../family.js';
import type { FigureSource, PublishedFigures } from '../published-figures.js';
import { publishedFigures } from '../published-figures.js';
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

/** Table 4 prints 3.4M for what TF-slim's README gives as 3.47M: the paper truncates. */
const PAPER: FigureSource = { cite: 'Sandler et al. 2018, MobileNetV2 (CVPR 2018), Table 4', rounding: 'truncate' };
/** Table 4 lists only 1.0 and 1.4; the smaller multipliers' figures and top-1 are TF-slim's. */
const TF_SLIM: FigureSource = { cite: 'tensorflow/models research/slim/nets/mobilenet/README.md, MobileNetV2 checkpoints', rounding: 'nearest' };

const entry = (width: number, published: PublishedFigures): ModelEntry => ({
  name: `mobilenetv2-${width === 1 ? '1.0' : String(width)}`,
  family: 'mobilenetv2',
  line: 'mobilenetv2',
  ...(width === 1 ? { aliases: ['mobilenetv2'] } : {}),
  resolution: 224,
  width,
  depth: 1,
  published,
});

export const mobilenetV2: FamilyDefinition = {
  family: 'mobilenetv2',
  description: 'MobileNetV2 (Sandler et al., 2018): inverted residuals with linear bottlenecks, ReLU6',
  models: [
    entry(1.4, publishedFigures(PAPER, '585M', '6.9M', 74.7)),
    entry(1.0, publishedFigures(PAPER, '300M', '3.4M', 72.0)),
    entry(0.75, publishedFigures(TF_SLIM, '209M', '2.61M', 69.8)),
    entry(0.5, publishedFigures(TF_SLIM, '97M', '1.95M', 65.4)),
    entry(0.35, publishedFigures(TF_SLIM, '59M', '1.66M', 60.3)),
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
