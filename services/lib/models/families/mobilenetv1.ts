import type { FamilyDefinition, ModelEntry } from '../family.js';
import type { FigureSource, PublishedFigures } from '../published-figures.js';
import { publishedFigures } from '../published-figures.js';
import { poolClassifierHead, stemStep } from './steps.js';
import type { StageRow } from './stages.js';
import { lowerStages } from './stages.js';

/** Depthwise-separable pairs: stride of the depthwise conv, output of the pointwise conv. */
const PAIRS: ReadonlyArray<[repeats: number, stride: number, out: number]> = [
  [1, 1, 64],
  [1, 2, 128],
  [1, 1, 128],
  [1, 2, 256],
  [1, 1, 256],
  [1, 2, 512],
  [5, 1, 512],
  [1, 2, 1024],
  // the paper prints s2 here, but the input is already 7x7
  [1, 1, 1024],
];

const ROWS: StageRow[] = PAIRS.map(([repeats, stride, out]) => ({
  kernels: [3],
  expand: 1,
  out,
  repeats,
  stride,
  se: null,
  activation: 'relu',
  separable: true,
}));

const WIDTHS = [1.0, 0.75, 0.5, 0.25] as const;
const RESOLUTIONS = [224, 192, 160, 128] as const;

/** 2.6M for 0.75 (2.58M here, 2.59M in TF-slim's mobilenet_v1.md) shows the paper rounds to nearest. */
const PAPER: FigureSource = { cite: 'Howard et al. 2017, MobileNets (arXiv:1704.04861), Tables 6 and 7', rounding: 'nearest' };

/** Million Mult-Adds and million parameters as Table 6 (width at 224) and Table 7 (resolution at width 1.0) print them. */
const PUBLISHED: Record<string, PublishedFigures> = {
  '1.0-224': publishedFigures(PAPER, '569M', '4.2M', 70.6),
  '0.75-224': publishedFigures(PAPER, '325M', '2.6M', 68.4),
  '0.5-224': publishedFigures(PAPER, '149M', '1.3M', 63.7),
  '0.25-224': publishedFigures(PAPER, '41M', '0.5M', 50.6),
  '1.0-192': publishedFigures(PAPER, '418M', '4.2M', 69.1),
  '1.0-160': publishedFigures(PAPER, '290M', '4.2M', 67.2),
  '1.0-128': publishedFigures(PAPER, '186M', '4.2M', 64.4),
};

const widthLabel = (w: number): string => (w === 1 ? '1.0' : String(w));
const scaleFor = (width: number) => (c: number) => Math.max(Math.floor(c * width), 8);

export const mobilenetV1: FamilyDefinition = {
  family: 'mobilenetv1',
  description: 'MobileNetV1 (Howard et al., 2017): depthwise-separable convolutions, width and resolution multipliers',
  models: WIDTHS.flatMap((width) =>
    RESOLUTIONS.map((resolution): ModelEntry => {
      const key = `${widthLabel(width)}-${resolution}`;
      const aliases = [...(resolution === 224 ? [`mobilenetv1-${widthLabel(width)}`] : []), ...(resolution === 224 && width === 1 ? ['mobilenetv1'] : [])];
      return {
        name: `mobilenetv1-${key}`,
        family: 'mobilenetv1',
        line: 'mobilenetv1',
        ...(aliases.length ? { aliases } : {}),
        resolution,
        width,
        depth: 1,
        ...(PUBLISHED[key] ? { published: PUBLISHED[key] } : {}),
      };
    }),
  ),
  knobs: [],
  defaults: (_entry, width) => ({ stem: scaleFor(width)(32), seWidth: 'expansion', seGate: 'hardsigmoid', seActivation: 'relu' }),
  template(_entry, spec) {
    return {
      stem: [stemStep(spec.stem, 'relu')],
      blocks: lowerStages(ROWS, spec.stem, scaleFor(spec.width), spec.depth),
      head: poolClassifierHead(null, 'relu'),
    };
  },
};
